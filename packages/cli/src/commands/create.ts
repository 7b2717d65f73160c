// vmctl create: from flags (a sensible VM in one line) or from a TOML file (-f).
import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import type { VmDefinitionInput } from "@vmctl/api-types";
import { defaultDiskFile } from "@vmctl/definition/disk-file-name";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson } from "../output.js";
import { waitAndReport } from "./power.js";

interface CreateOptions {
  file?: string; cpus?: string; memory?: string; disk?: string; iso?: string; kernel?: string; initrd?: string;
  append?: string; datastore?: string; nic: boolean; network?: string[]; onCrash?: string; autostart?: boolean; start?: boolean;
}

export function definitionFromFlags(name: string, options: CreateOptions): VmDefinitionInput {
  const cpus = options.cpus === undefined ? undefined : Number(options.cpus);
  if (cpus !== undefined && !Number.isInteger(cpus)) throw new CliError(`--cpus: "${options.cpus}" is not a whole number`, "bad_request", 2);
  const def: VmDefinitionInput = { name, ...(cpus !== undefined ? { cpus } : {}), memory: options.memory ?? "512MiB" };
  if (options.disk) def.disks = { disk0: { file: defaultDiskFile(name, "disk0"), size: options.disk } };
  if (options.iso) def.cdroms = { cdrom0: { iso: options.iso } };
  if (options.kernel || options.initrd || options.append) {
    def.boot = { ...(options.kernel ? { kernel: options.kernel } : {}), ...(options.initrd ? { initrd: options.initrd } : {}), ...(options.append ? { cmdline: options.append } : {}) };
  }
  if (options.network?.length && !options.nic) throw new CliError("--network and --no-nic contradict each other; give one", "bad_request", 2);
  // One NIC per --network (net0, net1, …), or one on the host's default network.
  if (options.nic) def.nics = Object.fromEntries((options.network?.length ? options.network : ["default"]).map((network, i) => [`net${i}`, { network, model: "virtio" as const, mac: "auto" }]));
  if (options.onCrash || options.autostart) {
    def.policy = { ...(options.onCrash ? { on_crash: options.onCrash as "restart" | "stop" } : {}), ...(options.autostart ? { autostart: true } : {}) };
  }
  return def;
}

export function registerCreate(program: Command, globals: () => GlobalOptions): void {
  program.command("create").description("define a new VM, from flags or from a TOML file")
    .argument("[name]", "VM name (lower case letters, digits, - _ .)")
    .option("-f, --file <def.toml>", "create from a definition file")
    .option("--cpus <n>", "virtual CPUs", undefined)
    .option("--memory <size>", "memory, e.g. 512MiB or 2GiB")
    .option("--disk <size>", "a new qcow2 disk of this size, e.g. 10GiB")
    .option("--iso <path>", "an ISO in the datastore, attached as a CD-ROM")
    .option("--kernel <path>", "kernel for direct kernel boot (datastore path)")
    .option("--initrd <path>", "initramfs for direct kernel boot (datastore path)")
    .option("--append <cmdline>", "kernel command line")
    .option("--datastore <name>", "datastore to create the VM in", "local")
    .option("--network <name>", "a virtio NIC on this host network (`vmctl network ls`); repeat for more NICs", (value: string, previous: string[] = []) => [...previous, value])
    .option("--no-nic", "no network card (default: one virtio NIC on the host's default network)")
    .option("--on-crash <restart|stop>", "what to do when the VM crashes")
    .option("--autostart", "start with the host")
    .option("--start", "start the VM once created")
    .action(async (name: string | undefined, options: CreateOptions) => {
      const client = clientFor(globals());
      let vm;
      if (options.file) {
        vm = await client.createVmFromToml(await readFile(options.file, "utf8"), options.datastore);
      } else {
        if (!name) throw new CliError("give a VM name, or -f FILE with a definition", "bad_request", 2);
        vm = await client.createVm(definitionFromFlags(name, options), options.datastore);
      }
      if (!options.start) {
        if (globals().json) return printJson(vm);
        process.stdout.write(`created ${vm.name} (${vm.definitionPath})\n`);
        return;
      }
      if (!globals().json) process.stdout.write(`created ${vm.name} (${vm.definitionPath})\n`);
      await waitAndReport(client, [vm.name], { action: "start" }, globals().json ?? false);
    });
}
