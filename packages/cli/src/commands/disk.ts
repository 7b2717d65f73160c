// vmctl disk ls|add|detach|resize: a VM's disks, changed live over QMP while it runs (virtio) and
// always written to its definition.
import { Option, type Command } from "commander";
import { SIZE_PATTERN, type DiskAddRequest, type DiskInfo } from "@vmctl/api-types";
import { humanSize } from "@vmctl/definition/sizes";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson, printTable } from "../output.js";

const SIZE = new RegExp(SIZE_PATTERN);

/** A size as the API takes it ("10GiB", "512MiB"); anything else is a usage error. */
export function checkSize(what: string, text: string): string {
  if (!SIZE.test(text)) throw new CliError(`${what}: "${text}" is not a size; write e.g. 10GiB or 512MiB`, "bad_request", 2);
  return text;
}

function note(disk: DiskInfo): string {
  const notes: string[] = [];
  if (disk.kind === "disk" && disk.readonly) notes.push("readonly");
  if (disk.backingFile) notes.push(`linked to ${disk.backingFile}`);
  if (disk.kind === "disk" && disk.virtualSizeBytes === undefined) notes.push(`image missing or unreadable: ${disk.path ?? disk.file}`);
  return notes.join("; ");
}

export function printDisks(disks: DiskInfo[]): void {
  printTable(["ID", "KIND", "BUS", "FORMAT", "SIZE", "USED", "DATASTORE", "FILE", "NOTE"], disks.map((d) => [
    d.id, d.kind, d.bus, d.format ?? "-",
    d.virtualSizeBytes !== undefined ? humanSize(d.virtualSizeBytes) : "-", d.allocatedBytes !== undefined ? humanSize(d.allocatedBytes) : "-",
    d.datastore, d.file ?? (d.kind === "cdrom" ? "(empty)" : "-"), note(d),
  ]));
}

interface AddOptions { size?: string; file?: string; datastore?: string; format?: "qcow2" | "raw"; bus?: "virtio" | "sata" | "scsi" | "ide"; id?: string; readonly?: boolean }

export function registerDisk(program: Command, globals: () => GlobalOptions): void {
  const json = () => globals().json ?? false;
  const disk = program.command("disk").description("a VM's disks: list, add, detach, grow");

  disk.command("ls").alias("list").description("list a VM's disks and CD-ROM drives with their sizes").argument("<vm>")
    .action(async (vm: string) => {
      const disks = await clientFor(globals()).listDisks(vm);
      if (json()) return printJson(disks);
      if (disks.length === 0) {
        process.stdout.write(`${vm} has no disks; \`vmctl disk add ${vm} --size 10GiB\` adds one\n`);
        return;
      }
      printDisks(disks);
    });

  disk.command("add").description("add a disk: a new image (--size) or an existing one (--file); hot-plugged into a running VM (virtio only)").argument("<vm>")
    .option("--size <size>", "create a new image of this size, e.g. 10GiB")
    .option("--file <path>", "an image in the datastore (default: a new <vm>/<id>.qcow2)")
    .option("--datastore <name>", "datastore of the file (default: the VM's)")
    .addOption(new Option("--format <format>", "image format (default: qcow2, raw for *.img/*.raw)").choices(["qcow2", "raw"]))
    .addOption(new Option("--bus <bus>", "bus (default: virtio, the one that hot-plugs)").choices(["virtio", "sata", "scsi", "ide"]))
    .option("--id <id>", "device id (default: the next free diskN)")
    .option("--readonly", "attach read-only (an image another VM uses may only be shared so)")
    .action(async (vm: string, options: AddOptions) => {
      if (options.size === undefined && options.file === undefined) throw new CliError("give --size to create a new disk, or --file to attach an existing image", "bad_request", 2);
      const request: DiskAddRequest = {
        ...(options.size !== undefined ? { size: checkSize("--size", options.size) } : {}),
        ...(options.file !== undefined ? { file: options.file } : {}),
        ...(options.datastore !== undefined ? { datastore: options.datastore } : {}),
        ...(options.format !== undefined ? { format: options.format } : {}),
        ...(options.bus !== undefined ? { bus: options.bus } : {}),
        ...(options.id !== undefined ? { id: options.id } : {}),
        ...(options.readonly ? { readonly: true } : {}),
      };
      const added = await clientFor(globals()).addDisk(vm, request);
      if (json()) return printJson(added);
      const size = added.virtualSizeBytes !== undefined ? `${humanSize(added.virtualSizeBytes)} ` : "";
      process.stdout.write(`added ${added.id} to ${vm}: ${size}${added.format ?? ""} on ${added.bus}, ${added.datastore}:${added.file ?? "-"}\n`);
    });

  disk.command("detach").alias("rm").description("detach a disk (hot-unplug when running); --delete also deletes its image").argument("<vm>").argument("<id>")
    .option("--delete", "also delete the image file (only one inside the VM's folder)")
    .action(async (vm: string, id: string, options: { delete?: boolean }) => {
      const result = await clientFor(globals()).detachDisk(vm, id, options.delete ?? false);
      if (json()) return printJson({ vm, id, ...result });
      process.stdout.write(`detached ${id} from ${vm}${result.deleted ? `; deleted ${result.deleted}` : "; its image is kept"}\n`);
    });

  disk.command("resize").description("grow a disk (live when running); disks only grow").argument("<vm>").argument("<id>").argument("<size>", "the new size, e.g. 20GiB")
    .action(async (vm: string, id: string, size: string) => {
      const resized = await clientFor(globals()).resizeDisk(vm, id, checkSize("size", size));
      if (json()) return printJson(resized);
      process.stdout.write(`${id} of ${vm} is now ${resized.virtualSizeBytes !== undefined ? humanSize(resized.virtualSizeBytes) : size}\n`);
    });
}
