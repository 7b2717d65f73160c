// vmctl ls: the VMs of this host.
import type { Command } from "commander";
import { humanSize } from "@vmctl/definition/sizes";
import { clientFor, type GlobalOptions } from "../context.js";
import { duration, printJson, printTable } from "../output.js";

export function registerLs(program: Command, globals: () => GlobalOptions): void {
  program.command("ls").alias("list").description("list VMs with their state")
    .option("--state <state>", "only VMs in this state (running, stopped, …)")
    .action(async (options: { state?: string }) => {
      const vms = await clientFor(globals()).listVms(options.state);
      if (globals().json) return printJson(vms);
      if (vms.length === 0) {
        process.stdout.write("no VMs defined; `vmctl create NAME` makes one\n");
        return;
      }
      printTable(["NAME", "STATE", "CPUS", "MEMORY", "IP", "PID", "UPTIME", "NOTE"], vms.map((vm) => [
        vm.name, vm.state, String(vm.cpus || "-"), vm.memoryBytes ? humanSize(vm.memoryBytes) : "-",
        (vm.addresses ?? []).map((a) => a.ip).join(",") || "-",
        vm.pid !== undefined ? String(vm.pid) : "-", vm.state === "running" || vm.state === "paused" ? duration(vm.startedAt) : "-",
        vm.definitionError ? `invalid definition: ${vm.definitionError.split("\n")[0]}` : vm.template ? "template" : vm.state === "crashed" && vm.lastExitReason ? `last exit: ${vm.lastExitReason}` : "",
      ]));
    });
}
