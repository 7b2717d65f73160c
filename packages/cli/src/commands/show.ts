// vmctl show NAME: state, process and the definition as written.
import type { Command } from "commander";
import { humanSize } from "@vmctl/definition/sizes";
import { clientFor, type GlobalOptions } from "../context.js";
import { duration, printJson } from "../output.js";

export function registerShow(program: Command, globals: () => GlobalOptions): void {
  program.command("show").description("show a VM's state and definition").argument("<name>")
    .action(async (name: string) => {
      const client = clientFor(globals());
      const vm = await client.getVm(name);
      if (globals().json) return printJson(vm);
      const { text } = await client.getDefinition(name);
      const lines = [
        `name:        ${vm.name}`,
        ...(vm.uuid ? [`uuid:        ${vm.uuid}`] : []),
        `state:       ${vm.state}${vm.state === "running" || vm.state === "paused" ? ` for ${duration(vm.startedAt)}` : ""}${vm.lastExitReason && vm.state !== "running" ? ` (last exit: ${vm.lastExitReason})` : ""}`,
        `cpus:        ${vm.cpus}`,
        `memory:      ${humanSize(vm.memoryBytes)}`,
        ...(vm.pid !== undefined ? [`qemu pid:    ${vm.pid}`] : []),
        ...(vm.accel ? [`accelerator: ${vm.accel}`] : []),
        ...(vm.addresses ?? []).map((a) => `address:     ${a.ip} (${a.nic}, ${a.mac}, ${a.source})`),
        ...(vm.agent ? [`agent:       ${vm.agent.connected ? `connected${vm.agent.os ? ` (${vm.agent.os.name}${vm.agent.os.version ? ` ${vm.agent.os.version.split(" ")[0]}` : ""})` : ""}${vm.agent.hostname ? `, hostname ${vm.agent.hostname}` : ""}` : "not connected"}`] : []),
        `definition:  ${vm.definitionPath}`,
        `run dir:     ${vm.runDir}`,
        ...(vm.definitionError ? ["", `INVALID DEFINITION:\n  ${vm.definitionError}`] : []),
        "",
        text.trimEnd(),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
