// vmctl ls: the VMs of this host, or at vmcenter those of every host, with a HOST column.
import type { Command } from "commander";
import type { VmSummary } from "@vmctl/api-types";
import { humanSize } from "@vmctl/definition/sizes";
import { clientFor, type GlobalOptions } from "../context.js";
import { duration, printJson, printTable } from "../output.js";

/** vmcenter's GET /api/v1/vms tells each VM's host; a host's own list does not. */
type ListedVm = VmSummary & { host?: string; hostName?: string };

/** The table of `vmctl ls`: a HOST column after STATE when the VMs carry their host. */
export function vmsTable(vms: readonly ListedVm[]): { headers: string[]; rows: string[][] } {
  const hostColumn = vms.some((vm) => vm.host !== undefined);
  const headers = ["NAME", "STATE", ...(hostColumn ? ["HOST"] : []), "CPUS", "MEMORY", "IP", "PID", "UPTIME", "NOTE"];
  const rows = vms.map((vm) => [
    vm.name, vm.state, ...(hostColumn ? [vm.hostName ?? vm.host ?? "-"] : []), String(vm.cpus || "-"), vm.memoryBytes ? humanSize(vm.memoryBytes) : "-",
    (vm.addresses ?? []).map((a) => a.ip).join(",") || "-",
    vm.pid !== undefined ? String(vm.pid) : "-", vm.state === "running" || vm.state === "paused" ? duration(vm.startedAt) : "-",
    vm.definitionError ? `invalid definition: ${vm.definitionError.split("\n")[0]}` : vm.template ? "template" : vm.state === "crashed" && vm.lastExitReason ? `last exit: ${vm.lastExitReason}` : "",
  ]);
  return { headers, rows };
}

export function registerLs(program: Command, globals: () => GlobalOptions): void {
  program.command("ls").alias("list").description("list VMs with their state (at vmcenter: of every host, with its name)")
    .option("--state <state>", "only VMs in this state (running, stopped, …)")
    .action(async (options: { state?: string }) => {
      const vms = await clientFor(globals()).listVms(options.state);
      if (globals().json) return printJson(vms);
      if (vms.length === 0) {
        process.stdout.write("no VMs defined; `vmctl create NAME` makes one\n");
        return;
      }
      const { headers, rows } = vmsTable(vms);
      printTable(headers, rows);
    });
}
