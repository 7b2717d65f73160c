// vmctl import SOURCE and vmctl export VM: VMs in and out as OVA packages. An OVA on this machine is
// streamed up with progress; "ds:path" names a package (.ova, .ovf, libvirt .xml) already in a datastore.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { NAME_PATTERN, type Task } from "@vmctl/api-types";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson, progressLine } from "../output.js";
import { assertSucceeded, followTask } from "../task-follow.js";

/** "DATASTORE:PATH": a datastore name (NAME_PATTERN, without its anchors), a colon, a path. */
const DATASTORE_PATH = new RegExp(`^(${NAME_PATTERN.replace(/^\^|\$$/g, "")}):(.+)$`);

export function registerTransfer(program: Command, globals: () => GlobalOptions): void {
  program.command("import").description("import a VM from an OVA/OVF (VMware and others) or a libvirt domain XML; the disks are converted to qcow2")
    .argument("<source>", "an .ova file on this machine, or DATASTORE:PATH of an .ova, .ovf or libvirt .xml in a datastore")
    .option("--name <name>", "the new VM's name (default: the package's, made valid)")
    .option("--datastore <name>", "datastore of the new VM (default: local)")
    .option("--start", "start the VM once imported")
    .option("--no-wait", "return once the import task is submitted")
    .action(async (source: string, options: { name?: string; datastore?: string; start?: boolean; wait: boolean }) => {
      const client = clientFor(globals());
      const json = globals().json ?? false;
      const target = { ...(options.name ? { name: options.name } : {}), ...(options.start ? { start: true } : {}) };
      let task: Task;
      const inDatastore = DATASTORE_PATH.exec(source);
      if (inDatastore && !existsSync(source)) {
        task = await client.importFromDatastore({ datastore: inDatastore[1]!, path: inDatastore[2]!, ...target, ...(options.datastore ? { targetDatastore: options.datastore } : {}) });
      } else {
        if (!existsSync(source)) throw new CliError(`"${source}" does not exist; give an .ova file, or DATASTORE:PATH for a package already in a datastore`, "bad_request", 2);
        const progress = progressLine(`uploading ${source}`, json);
        try {
          task = await client.importOva(resolve(source), { ...target, ...(options.datastore ? { datastore: options.datastore } : {}) }, progress.update);
        } finally {
          progress.end();
        }
      }
      if (options.wait) {
        task = await followTask(client, "import", task, json);
        assertSucceeded(task);
      }
      if (json) printJson(task);
      else process.stdout.write(options.wait ? `imported ${task.target.replace(/^vm\//, "")}\n` : `import submitted as task ${task.id}\n`);
    });

  program.command("export").description("export a stopped VM as an OVA (OVF descriptor, SHA-256 manifest, stream-optimized VMDKs) that VMware and vmctl import")
    .argument("<name>", "the VM").option("-o, --output <file>", "where to write the OVA (default: ./<name>.ova)")
    .action(async (name: string, options: { output?: string }) => {
      const client = clientFor(globals());
      const json = globals().json ?? false;
      const file = resolve(options.output ?? `${name}.ova`);
      if (existsSync(file)) throw new CliError(`"${file}" already exists; remove it or give another --output`, "file_exists", 1);
      process.stderr.write(json ? "" : `converting the disks of ${name}, then downloading\n`);
      const progress = progressLine(`downloading ${name}.ova`, json);
      try {
        await client.exportOva(name, file, progress.update);
      } finally {
        progress.end();
      }
      if (json) printJson({ name, file });
      else process.stdout.write(`exported ${name} to ${file}\n`);
    });
}
