// Placement: which host takes a VM, and one human reason per host. Pure (no etcd, no clock), so the
// create, migrate, maintenance and HA paths all decide the same way and tests can check it freely.
// A host qualifies when it is connected, schedulable, not in maintenance, has the memory (counting
// what its running VMs were promised), the CPUs, the datastore, the networks and the tags, and runs
// no VM the VM has an anti-affinity rule with. Among those: hosts holding an affinity peer first,
// then the most free memory after placing, then fewer running VMs, lower load, and the id.
import type { HostState } from "../cluster-keys.js";

export interface PlacementVm {
  name: string;
  memoryBytes: number;
  cpus: number;
  /** The datastore holding its folder; null when the host's default is fine (a create without ?datastore). */
  datastore: string | null;
  /** Host networks its NICs use ("default" is on every host and need not be listed). */
  networks: string[];
  /** `[policy] host_tags`: the host must carry all of them. */
  hostTags: string[];
}

export interface PlacementHost {
  id: string;
  name: string;
  state: HostState;
  maintenance: boolean;
  schedulable: boolean;
  cpus: number;
  memoryBytes: number;
  /** Memory promised to the VMs running there (and to placements still under way). */
  allocatedMemoryBytes: number;
  runningVms: number;
  load: number;
  tags: string[];
  datastores: string[];
  networks: string[];
}

export interface PlacementRuleInput { name: string; type: "affinity" | "anti-affinity"; vms: string[] }

export interface PlacementOptions {
  /** Where each VM of the cluster is (name → host id), for the rules. */
  vmHosts?: Readonly<Record<string, string>>;
  rules?: readonly PlacementRuleInput[];
  /** Hosts never to choose, with why ("the VM is here now", "draining for maintenance"). */
  exclude?: Readonly<Record<string, string>>;
}

export interface HostVerdict {
  id: string;
  name: string;
  eligible: boolean;
  /** Free memory after placing (bytes) for an eligible host; 0 otherwise. */
  score: number;
  reasons: string[];
}

export interface Placement {
  chosen: HostVerdict | null;
  /** Every host, the chosen one first, then the other eligible ones in rank order, then the rest by name. */
  hosts: HostVerdict[];
  /** One line per host for the task log: "h2: 3.1 GiB free after, 1 VM running — chosen: most free memory". */
  reasons: string[];
}

/** Networks every host has under that name: a NIC on them needs nothing of the host. */
const EVERYWHERE = new Set(["default", "nat", "user"]);

export function humanBytes(bytes: number): string {
  const sign = bytes < 0 ? "-" : "";
  const b = Math.abs(bytes);
  if (b >= 1024 ** 3) return `${sign}${(b / 1024 ** 3).toFixed(1)} GiB`;
  return `${sign}${Math.round(b / 1024 ** 2)} MiB`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

interface Candidate { host: PlacementHost; freeAfter: number; peers: string[]; }

/** Why a host cannot take the VM (empty when it can), and who of its affinity peers live there. */
function examine(vm: PlacementVm, host: PlacementHost, options: PlacementOptions): { refusals: string[]; peers: string[]; freeAfter: number } {
  const refusals: string[] = [];
  const excluded = options.exclude?.[host.id];
  if (excluded !== undefined) refusals.push(excluded);
  if (host.state === "dead") refusals.push("declared dead");
  else if (host.state !== "connected") refusals.push("disconnected (its agent does not heartbeat)");
  if (host.maintenance) refusals.push("in maintenance");
  else if (!host.schedulable) refusals.push("unschedulable");
  // A host without a live record reports no resources: its state is the whole reason.
  if (host.state !== "connected") return { refusals, peers: [], freeAfter: 0 };
  const free = host.memoryBytes - host.allocatedMemoryBytes;
  const freeAfter = free - vm.memoryBytes;
  if (freeAfter < 0) refusals.push(`${humanBytes(Math.max(0, free))} free, the VM needs ${humanBytes(vm.memoryBytes)}`);
  if (vm.cpus > host.cpus) refusals.push(`${plural(host.cpus, "CPU")}, the VM needs ${vm.cpus}`);
  if (vm.datastore !== null && !host.datastores.includes(vm.datastore)) refusals.push(`lacks datastore "${vm.datastore}"`);
  const missingNets = vm.networks.filter((n) => !EVERYWHERE.has(n) && !host.networks.includes(n));
  if (missingNets.length) refusals.push(`lacks network${missingNets.length > 1 ? "s" : ""} ${missingNets.map((n) => `"${n}"`).join(", ")}`);
  const missingTags = vm.hostTags.filter((t) => !host.tags.includes(t));
  if (missingTags.length) refusals.push(`lacks tag${missingTags.length > 1 ? "s" : ""} ${missingTags.join(", ")} (host_tags)`);
  const peers: string[] = [];
  for (const rule of options.rules ?? []) {
    if (!rule.vms.includes(vm.name)) continue;
    const here = rule.vms.filter((other) => other !== vm.name && options.vmHosts?.[other] === host.id);
    if (!here.length) continue;
    if (rule.type === "anti-affinity") refusals.push(`anti-affinity rule "${rule.name}": ${here.join(", ")} ${here.length > 1 ? "are" : "is"} here`);
    else peers.push(...here.map((other) => `${other} (affinity rule "${rule.name}")`));
  }
  return { refusals, peers, freeAfter };
}

/** Ranks two eligible hosts: affinity peers, free memory after, running VMs, load, id. */
function compare(a: Candidate, b: Candidate): number {
  return (b.peers.length - a.peers.length) || (b.freeAfter - a.freeAfter) || (a.host.runningVms - b.host.runningVms) || (a.host.load - b.host.load) || (a.host.id < b.host.id ? -1 : a.host.id > b.host.id ? 1 : 0);
}

/** What set the chosen host above the runner-up, in words. */
function whyChosen(chosen: Candidate, next: Candidate | undefined): string {
  if (!next) return "the only eligible host";
  if (chosen.peers.length !== next.peers.length) return `holds ${chosen.peers.join(", ")}`;
  if (chosen.freeAfter !== next.freeAfter) return "most free memory";
  if (chosen.host.runningVms !== next.host.runningVms) return "as much free memory as another, fewer running VMs";
  if (chosen.host.load !== next.host.load) return "as much free memory and as many VMs as another, lower load";
  return "tied with another host; first by id";
}

export function place(vm: PlacementVm, hosts: readonly PlacementHost[], options: PlacementOptions = {}): Placement {
  const eligible: Candidate[] = [];
  const refused: HostVerdict[] = [];
  for (const host of hosts) {
    const { refusals, peers, freeAfter } = examine(vm, host, options);
    if (refusals.length) refused.push({ id: host.id, name: host.name, eligible: false, score: 0, reasons: refusals });
    else eligible.push({ host, freeAfter, peers });
  }
  eligible.sort(compare);
  const verdicts: HostVerdict[] = eligible.map((candidate, index) => {
    const summary = `${humanBytes(candidate.freeAfter)} free after, ${plural(candidate.host.runningVms, "VM")} running${candidate.peers.length ? `, holds ${candidate.peers.join(", ")}` : ""}`;
    const reasons = [index === 0 ? `${summary} — chosen: ${whyChosen(candidate, eligible[1])}` : summary];
    return { id: candidate.host.id, name: candidate.host.name, eligible: true, score: candidate.freeAfter, reasons };
  });
  refused.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const all = [...verdicts, ...refused];
  return {
    chosen: verdicts[0] ?? null,
    hosts: all,
    reasons: all.map((v) => `${v.name}: ${v.reasons.join("; ")}`),
  };
}
