// vmctl rename OLD NEW: rename a stopped VM (its folder and definition); it keeps its uuid, and so
// its grants, port forwards and history.
import type { Command } from "commander";
import { clientFor, type GlobalOptions } from "../context.js";
import { printJson } from "../output.js";

export function registerRename(program: Command, globals: () => GlobalOptions): void {
  program.command("rename").description("rename a stopped VM (its folder and definition; the uuid is kept)").argument("<name>").argument("<new-name>")
    .action(async (name: string, newName: string) => {
      const vm = await clientFor(globals()).renameVm(name, newName);
      if (globals().json) printJson({ from: name, name: vm.name, uuid: vm.uuid ?? null, definitionPath: vm.definitionPath });
      else process.stdout.write(`renamed ${name} to ${vm.name}\n`);
    });
}
