// The controller's read of the cluster: hosts (join record + live record), desired and observed VM
// records and rules, and what placement, the host list and the VM list make of them.
import { VmctlError, type ClusterHost as WireHost, type ClusterVm, type VmSummary } from "@vmctl/api-types";
import { keys, type DesiredVm, type ObservedVm, type RuleRecord } from "../cluster-keys.js";
import type { CenterContext, ClusterHost } from "../center-context.js";
import type { PlacementHost, PlacementOptions } from "./placement.js";

export interface ClusterSnapshot {
  hosts: ClusterHost[];
  desired: DesiredVm[];
  observed: ObservedVm[];
  rules: RuleRecord[];
}

/** Memory promised by placements still under way on this replica (host id → bytes), so two creates at once do not both take the last GiB. */
export const reservations = new Map<string, number>();

export function reserve(hostId: string, bytes: number): () => void {
  reservations.set(hostId, (reservations.get(hostId) ?? 0) + bytes);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (reservations.get(hostId) ?? 0) - bytes;
    if (left > 0) reservations.set(hostId, left);
    else reservations.delete(hostId);
  };
}

const RECORD = /^\/vmctl\/vms\/([^/]+)\/(desired|observed)$/;

export async function snapshot(ctx: CenterContext): Promise<ClusterSnapshot> {
  const [hosts, vmRecords, rules] = await Promise.all([
    ctx.hosts.list(),
    ctx.store.list<DesiredVm | ObservedVm>(keys.vms()),
    ctx.store.list<RuleRecord>(keys.rules()),
  ]);
  const desired: DesiredVm[] = [];
  const observed: ObservedVm[] = [];
  for (const { key, value } of vmRecords) {
    const kind = RECORD.exec(key)?.[2];
    if (kind === "desired") desired.push(value as DesiredVm);
    else if (kind === "observed") observed.push(value as ObservedVm);
  }
  return { hosts, desired, observed, rules: rules.map((r) => r.value) };
}

/** The desired record of a VM by name (the newest generation if two claim it), or vm_not_found. */
export function desiredByName(state: ClusterSnapshot, name: string): DesiredVm {
  const found = state.desired.filter((d) => d.name === name).sort((a, b) => b.generation - a.generation)[0];
  if (!found) throw new VmctlError("vm_not_found", `no VM named "${name.slice(0, 64)}" in the cluster; \`vmctl cluster vms\` lists them`, { vm: name.slice(0, 64) });
  return found;
}

/** Whether any host of the cluster has a VM of that name (desired or observed). */
export function nameTaken(state: ClusterSnapshot, name: string): { host: string } | null {
  const hit = state.desired.find((d) => d.name === name) ?? state.observed.find((o) => o.name === name);
  return hit ? { host: hit.host } : null;
}

/** The running VMs' memory the host reports, plus what placements under way reserved. */
export function placementHosts(state: ClusterSnapshot): PlacementHost[] {
  return state.hosts.map(({ meta, live, state: hostState }) => ({
    id: meta.id, name: meta.name, state: hostState, maintenance: meta.maintenance, schedulable: meta.schedulable,
    cpus: live?.cpus ?? 0, memoryBytes: live?.memoryBytes ?? 0,
    allocatedMemoryBytes: (live?.allocatedMemoryBytes ?? 0) + (reservations.get(meta.id) ?? 0),
    runningVms: live?.runningVms ?? 0, load: live?.load ?? 0, tags: meta.tags ?? [],
    datastores: (live?.datastores ?? []).map((d) => d.name), networks: live?.networks ?? [],
  }));
}

/** The rules and where each VM is, for placement. */
export function placementOptions(state: ClusterSnapshot, exclude: Record<string, string> = {}): PlacementOptions {
  const vmHosts: Record<string, string> = {};
  for (const d of [...state.desired].sort((a, b) => a.generation - b.generation)) vmHosts[d.name] = d.host;
  return { vmHosts, rules: state.rules, exclude };
}

export function wireHost({ meta, live, state }: ClusterHost): WireHost {
  const memoryBytes = live?.memoryBytes ?? 0;
  const allocated = live?.allocatedMemoryBytes ?? 0;
  return {
    id: meta.id, name: meta.name, url: live?.url || meta.url, state, maintenance: meta.maintenance, schedulable: meta.schedulable,
    cpus: live?.cpus ?? 0, memoryBytes, freeMemoryBytes: Math.max(0, memoryBytes - allocated), allocatedMemoryBytes: allocated,
    vms: live?.vms ?? 0, runningVms: live?.runningVms ?? 0, load: live?.load ?? 0, tags: meta.tags ?? [],
    qemuVersion: live?.qemuVersion ?? null, cpuModel: live?.cpuModel ?? null,
    datastores: (live?.datastores ?? []).map((d) => ({ name: d.name, shared: d.shared, freeBytes: d.freeBytes })),
    networks: live?.networks ?? [], joinedAt: meta.joinedAt, heartbeatAt: live?.heartbeatAt ?? null, deadSince: meta.deadSince ?? null,
  };
}

/** Every VM of the cluster: as its owner last reported it, or (its host gone) as desired state knows it. */
export function clusterVms(state: ClusterSnapshot): ClusterVm[] {
  const hosts = new Map(state.hosts.map((h) => [h.meta.id, h]));
  const desired = new Map(state.desired.map((d) => [d.uuid, d]));
  const seen = new Set<string>();
  const vms: ClusterVm[] = [];
  for (const o of state.observed) {
    const d = desired.get(o.uuid);
    // An observation from a host that no longer owns the VM (a migration's or HA restart's old side) is not listed twice.
    if (d && d.host !== o.host) continue;
    if (seen.has(o.uuid)) continue;
    seen.add(o.uuid);
    const host = hosts.get(o.host);
    vms.push({ ...o.summary, uuid: o.uuid, host: o.host, hostName: host?.meta.name ?? o.host, hostState: host?.state ?? "disconnected", ha: d?.ha ?? false, ...(d ? { desiredPower: d.power, desiredReason: d.reason } : {}) });
  }
  for (const d of state.desired) {
    if (seen.has(d.uuid)) continue;
    const host = hosts.get(d.host);
    const summary: VmSummary = {
      name: d.name, uuid: d.uuid, state: "stopped", cpus: d.cpus, memoryBytes: d.memoryBytes, datastore: d.datastore,
      lastStateChange: d.updatedAt, autostart: false, addresses: [],
    };
    vms.push({ ...summary, host: d.host, hostName: host?.meta.name ?? d.host, hostState: host?.state ?? "disconnected", ha: d.ha, desiredPower: d.power, desiredReason: d.reason });
  }
  return vms.sort((a, b) => a.name.localeCompare(b.name));
}

export function hostLabel(host: ClusterHost): string {
  return `${host.meta.name} (${host.meta.id})`;
}

/** Writes a VM's desired record through a CAS update: a higher generation, the time and why. */
export async function writeDesired(ctx: CenterContext, uuid: string, change: (current: DesiredVm | null) => Omit<DesiredVm, "generation" | "updatedAt"> | undefined): Promise<DesiredVm | null> {
  return ctx.store.update<DesiredVm>(keys.desired(uuid), (current) => {
    const next = change(current);
    if (next === undefined) return undefined;
    return { ...next, generation: (current?.generation ?? 0) + 1, updatedAt: new Date().toISOString() };
  });
}
