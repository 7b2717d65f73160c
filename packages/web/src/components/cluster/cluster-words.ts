// Cluster things told in words: a host's state colour, its memory and load, a VM's host, and each
// host's placement verdict as the migrate dialog's picker shows it ("3.1 GiB free after, 1 VM
// running — recommended").
import type { ClusterHost, Datastore, PlacementAnswer, PlacementHost, VmSummary } from "@vmctl/api-types";
import { formatBytes } from "../../format";

export const HOST_STATE_COLOR: Record<string, "green" | "orange" | "red" | "grey"> = { connected: "green", disconnected: "orange", dead: "red" };

/** Memory promised to running VMs (total less free), and its share of the whole. */
export function memoryUse(host: Pick<ClusterHost, "memoryBytes" | "freeMemoryBytes">): { used: number; percent: number; words: string } {
  const used = Math.max(0, host.memoryBytes - host.freeMemoryBytes);
  const percent = host.memoryBytes > 0 ? Math.min(100, (100 * used) / host.memoryBytes) : 0;
  return { used, percent, words: `${formatBytes(used)} of ${formatBytes(host.memoryBytes)}` };
}

/** "0.42 on 4 CPUs (11 %)"; nothing to say of a host that does not report (not connected). */
export function loadWords(host: Pick<ClusterHost, "load" | "cpus" | "state">): string {
  if (host.state !== "connected") return "-";
  const share = host.cpus > 0 ? Math.round((100 * host.load) / host.cpus) : 0;
  return `${host.load.toFixed(2)} (${share} %)`;
}

/** "2 running of 3", "none". */
export function vmCountWords(host: Pick<ClusterHost, "vms" | "runningVms">): string {
  if (host.vms === 0) return "none";
  return `${host.runningVms} running of ${host.vms}`;
}

/** Where a VM of GET /api/v1/vms at vmcenter runs (its host's name, else its id); undefined on a plain host. */
export function hostOf(vm: VmSummary): { id: string; name: string } | undefined {
  const extra = vm as VmSummary & { host?: unknown; hostName?: unknown };
  if (typeof extra.host !== "string") return undefined;
  return { id: extra.host, name: typeof extra.hostName === "string" && extra.hostName ? extra.hostName : extra.host };
}

/**
 * The datastores a VM made through vmcenter may go on, for the create wizard: every name some
 * connected host has, with the most free space any of them has; "local" is each host's default.
 */
export function clusterDatastores(hosts: Pick<ClusterHost, "state" | "datastores">[]): Datastore[] {
  const byName = new Map<string, Datastore>();
  for (const host of hosts.filter((h) => h.state === "connected")) {
    for (const d of host.datastores) {
      const seen = byName.get(d.name);
      if (!seen || d.freeBytes > seen.freeBytes) byName.set(d.name, { name: d.name, path: "", capacityBytes: 0, freeBytes: d.freeBytes, origin: d.name === "local" ? "default" : "config", shared: d.shared });
    }
  }
  return [...byName.values()].sort((a, b) => Number(b.origin === "default") - Number(a.origin === "default") || a.name.localeCompare(b.name));
}

export interface PickerEntry { id: string; name: string; eligible: boolean; current: boolean; recommended: boolean; words: string }

/** The reasons placement gave for a host, as one line; the current and recommended hosts say so. */
export function placementWords(host: PlacementHost, answer: Pick<PlacementAnswer, "current" | "chosen">): string {
  const reasons = host.reasons.map((r) => r.trim()).filter(Boolean);
  const said = reasons.join(", ") || (host.eligible ? "eligible" : "not eligible");
  if (host.id === answer.current) return "runs here now";
  return host.id === answer.chosen ? `${said} — recommended` : said;
}

/** Every host of a placement, the recommended first, then eligible ones by score, the current and refused ones last. */
export function pickerEntries(answer: PlacementAnswer): PickerEntry[] {
  const rank = (h: PlacementHost) => (h.id === answer.chosen ? 0 : h.id === answer.current ? 3 : h.eligible ? 1 : 2);
  return [...answer.hosts]
    .sort((a, b) => rank(a) - rank(b) || b.score - a.score || a.name.localeCompare(b.name))
    .map((h) => ({
      id: h.id, name: h.name, current: h.id === answer.current, recommended: h.id === answer.chosen,
      // The host it runs on is never a target.
      eligible: h.eligible && h.id !== answer.current, words: placementWords(h, answer),
    }));
}

/** The host the picker starts on: the recommended one, else the first eligible, else none. */
export function initialPick(entries: PickerEntry[]): string | null {
  return (entries.find((e) => e.recommended && e.eligible) ?? entries.find((e) => e.eligible))?.id ?? null;
}
