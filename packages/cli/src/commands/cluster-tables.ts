// What `vmctl cluster …` shows a person: the tables of hosts, VMs, placement and rules, and one line
// per finished migration or maintenance. Pure (no I/O), so that the unit tests read them as printed.
import type { ClusterHost, ClusterInfo, ClusterMigrateResult, ClusterRule, ClusterVm, MaintenanceResult, PlacementAnswer } from "@vmctl/api-types";
import { humanSize } from "@vmctl/definition/sizes";
import { duration } from "../output.js";

export interface Table { headers: string[]; rows: string[][] }

/** A host's name by its id, for results that carry ids; the id itself when the host is not known. */
export type HostNames = (id: string) => string;
export const hostNames = (hosts: readonly Pick<ClusterHost, "id" | "name">[]): HostNames => {
  const byId = new Map(hosts.map((h) => [h.id, h.name]));
  return (id) => byId.get(id) ?? id;
};

/** connected / disconnected / dead, with maintenance or unschedulable after it. */
function hostState(host: ClusterHost): string {
  const notes = [host.maintenance ? "maintenance" : "", !host.schedulable && !host.maintenance ? "unschedulable" : ""].filter(Boolean);
  return [host.state, ...notes].join(", ");
}

export function hostsTable(hosts: readonly ClusterHost[]): Table {
  return {
    headers: ["NAME", "STATE", "CPUS", "MEMORY", "FREE", "VMS", "LOAD", "TAGS", "URL", "ID"],
    rows: hosts.map((h) => {
      const live = h.state === "connected";
      return [
        h.name, hostState(h), live ? String(h.cpus) : "-", live ? humanSize(h.memoryBytes) : "-", live ? humanSize(h.freeMemoryBytes) : "-",
        `${h.runningVms}/${h.vms}`, live ? h.load.toFixed(2) : "-", h.tags.join(",") || "-", h.url, h.id,
      ];
    }),
  };
}

export function clusterVmsTable(vms: readonly ClusterVm[]): Table {
  return {
    headers: ["NAME", "STATE", "HOST", "CPUS", "MEMORY", "HA", "IP", "UPTIME"],
    rows: vms.map((vm) => [
      vm.name, vm.state, vm.hostState && vm.hostState !== "connected" ? `${vm.hostName} (${vm.hostState})` : vm.hostName,
      String(vm.cpus || "-"), vm.memoryBytes ? humanSize(vm.memoryBytes) : "-", vm.ha ? "yes" : "-",
      vm.addresses.map((a) => a.ip).join(",") || "-", vm.state === "running" || vm.state === "paused" ? duration(vm.startedAt) : "-",
    ]),
  };
}

/** One line on top (where the VM is, where it would go), then one row per host with its reasons. */
export function placementReport(answer: PlacementAnswer): { summary: string; table: Table } {
  const names = hostNames(answer.hosts);
  const where = answer.current ? `on ${names(answer.current)}` : "not placed yet";
  const goes = answer.chosen ? `placement would choose ${names(answer.chosen)}` : "no other host qualifies";
  return {
    summary: `${answer.vm}: ${where}; ${goes}`,
    table: {
      headers: ["HOST", "VERDICT", "FREE AFTER", "REASONS"],
      rows: answer.hosts.map((h) => [
        h.name, h.id === answer.chosen ? "chosen" : h.id === answer.current ? "current" : h.eligible ? "eligible" : "refused",
        h.eligible ? humanSize(h.score) : "-", h.reasons.join("; ") || "-",
      ]),
    },
  };
}

export function rulesTable(rules: readonly ClusterRule[]): Table {
  return { headers: ["NAME", "TYPE", "VMS"], rows: rules.map((r) => [r.name, r.type, r.vms.join(",")]) };
}

export function infoLines(info: ClusterInfo): string {
  return [
    `cluster   ${info.clusterId}`,
    `leader    ${info.leader ?? "none (an election is under way)"}`,
    `replica   ${info.replica}`,
    `replicas  ${info.replicas.join(", ") || "-"}`,
    `version   ${info.version}`,
  ].map((line) => `${line}\n`).join("");
}

const ms = (value: number) => (value >= 10_000 ? `${(value / 1000).toFixed(0)} s` : value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value} ms`);

export function migrationLine(vm: string, result: ClusterMigrateResult, names: HostNames): string {
  const how = result.live ? `live, downtime ${ms(result.downtimeMs)}` : `cold${result.downtimeMs ? `, down for ${ms(result.downtimeMs)}` : ""}`;
  return `${vm}: moved from ${names(result.from)} to ${names(result.to)} in ${ms(result.totalMs)} (${how}, ${humanSize(result.bytes)} sent)`;
}

export function maintenanceLines(result: MaintenanceResult, names: HostNames): string[] {
  const host = names(result.host);
  if (!result.maintenance) return [`${host}: back in service (schedulable)`];
  return [
    `${host}: in maintenance (unschedulable)${result.moved.length === 0 && result.left.length === 0 ? "; it ran no VMs" : ""}`,
    ...result.moved.map((m) => `  moved ${m.vm} to ${names(m.to)} (${m.live ? "live" : "cold"})`),
    ...result.left.map((l) => `  left ${l.vm} here: ${l.reason}`),
  ];
}
