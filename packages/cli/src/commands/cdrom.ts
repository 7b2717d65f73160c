// vmctl cdrom add|insert|eject: CD-ROM drives (added while stopped) and their media (changed at any time).
import { Option, type Command } from "commander";
import type { DiskInfo } from "@vmctl/api-types";
import type { CdromAddRequest } from "@vmctl/client";
import { clientFor, type GlobalOptions } from "../context.js";
import { printJson } from "../output.js";

const medium = (drive: DiskInfo) => (drive.file ? `${drive.datastore}:${drive.file}` : "empty");

export function registerCdrom(program: Command, globals: () => GlobalOptions): void {
  const json = () => globals().json ?? false;
  const cdrom = program.command("cdrom").description("CD-ROM drives and their media");

  cdrom.command("add").description("add a CD-ROM drive to a stopped VM (a drive present at boot takes media at any time)").argument("<vm>")
    .addOption(new Option("--bus <bus>", "bus (default: the machine's)").choices(["sata", "ide", "scsi"]))
    .option("--iso <path>", "an ISO in the datastore to load, e.g. iso/debian.iso")
    .option("--datastore <name>", "datastore of the ISO (default: the VM's)")
    .option("--id <id>", "device id (default: the next free cdromN)")
    .action(async (vm: string, options: CdromAddRequest) => {
      const request: CdromAddRequest = {
        ...(options.bus !== undefined ? { bus: options.bus } : {}),
        ...(options.iso !== undefined ? { iso: options.iso } : {}),
        ...(options.datastore !== undefined ? { datastore: options.datastore } : {}),
        ...(options.id !== undefined ? { id: options.id } : {}),
      };
      const drive = await clientFor(globals()).addCdrom(vm, request);
      if (json()) return printJson(drive);
      process.stdout.write(`added ${drive.id} to ${vm} on ${drive.bus}: ${medium(drive)}\n`);
    });

  cdrom.command("insert").description("put an ISO into a CD-ROM drive, live while the VM runs").argument("<vm>").argument("<id>", "the drive, e.g. cdrom0").argument("<iso>", "an ISO in the datastore, e.g. iso/debian.iso")
    .option("--datastore <name>", "datastore of the ISO (default: the VM's)")
    .action(async (vm: string, id: string, iso: string, options: { datastore?: string }) => {
      const drive = await clientFor(globals()).setMedia(vm, id, iso, options.datastore);
      if (json()) return printJson(drive);
      process.stdout.write(`${id} of ${vm}: ${medium(drive)}\n`);
    });

  cdrom.command("eject").description("take the medium out of a CD-ROM drive, live while the VM runs").argument("<vm>").argument("<id>", "the drive, e.g. cdrom0")
    .action(async (vm: string, id: string) => {
      const drive = await clientFor(globals()).setMedia(vm, id, null);
      if (json()) return printJson(drive);
      process.stdout.write(`${id} of ${vm}: ejected\n`);
    });
}
