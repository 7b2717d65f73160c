// cluster.maintenance: enabling marks the host in maintenance and unschedulable (placement skips it
// from now on), then live-migrates each running VM away (one migrate-out child per VM) and moves each
// stopped VM on a shared datastore cold; a stopped VM on local storage stays (its disks are the host's).
// Disabling puts the host back in service. Resumable: a new leader runs the drain again from what is left.
import { VmctlError } from "@vmctl/api-types";
import { keys, type HostMeta, type ObservedVm } from "../cluster-keys.js";
import type { CenterContext, ClusterPrincipal, ClusterTaskContext } from "../center-context.js";
import { hostLabel, snapshot } from "./cluster-state.js";
import { migrateVm } from "./migrate-task.js";

export interface MaintenanceParams { host: string; enabled: boolean; user: ClusterPrincipal }

export function maintenanceParams(params: Record<string, unknown>): MaintenanceParams {
  const p = params as Partial<MaintenanceParams>;
  if (typeof p.host !== "string" || typeof p.enabled !== "boolean" || !p.user) throw new VmctlError("internal", "cluster.maintenance task without its host, enabled or user");
  return { host: p.host, enabled: p.enabled, user: p.user };
}

/** What draining does with each VM of the host. Pure. */
export function drainPlan(vms: ReadonlyArray<{ name: string; state: string; shared: boolean }>): { live: string[]; cold: string[]; left: Array<{ vm: string; reason: string }> } {
  const live: string[] = [];
  const cold: string[] = [];
  const left: Array<{ vm: string; reason: string }> = [];
  for (const vm of [...vms].sort((a, b) => a.name.localeCompare(b.name))) {
    if (vm.state === "running") live.push(vm.name);
    else if (vm.state === "stopped" && vm.shared) cold.push(vm.name);
    else if (vm.state === "stopped") left.push({ vm: vm.name, reason: "stopped on a local datastore: move it with `vmctl cluster migrate` (its disks are copied) if it must leave" });
    else left.push({ vm: vm.name, reason: `it is ${vm.state}: neither running nor stopped` });
  }
  return { live, cold, left };
}

export async function runMaintenance(ctx: CenterContext, tctx: ClusterTaskContext, raw: Record<string, unknown>): Promise<Record<string, unknown>> {
  const p = maintenanceParams(raw);
  const host = await ctx.hosts.get(p.host);
  const id = host.meta.id;
  const meta = await ctx.store.update<HostMeta>(keys.hostMeta(id), (current) => (current ? { ...current, maintenance: p.enabled, schedulable: !p.enabled } : undefined));
  if (!meta) throw new VmctlError("host_not_found", `host ${p.host} left the cluster`);
  tctx.log(`${hostLabel(host)}: maintenance ${p.enabled ? "on, unschedulable" : "off, schedulable again"}`);
  await ctx.events.emit("cluster.host.maintenance", { target: `host/${id}`, user: p.user.name, task: tctx.id, message: `host ${host.meta.name}: maintenance ${p.enabled ? "on" : "off"}`, data: { host: id, maintenance: p.enabled } });
  if (!p.enabled) return { host: id, maintenance: false, moved: [], left: [] };

  const state = await snapshot(ctx);
  const observed = new Map<string, ObservedVm>(state.observed.map((o) => [o.uuid, o]));
  const mine = state.desired.filter((d) => d.host === id).map((d) => ({ name: d.name, shared: d.shared, state: observed.get(d.uuid)?.host === id ? observed.get(d.uuid)!.summary.state : (d.power ?? "stopped") }));
  const plan = drainPlan(mine);
  tctx.log(`draining: ${plan.live.length} running VM(s) to migrate live, ${plan.cold.length} stopped on shared storage to move, ${plan.left.length} staying`);
  for (const l of plan.left) tctx.log(`  ${l.vm} stays: ${l.reason}`);
  const moved: Array<{ vm: string; to: string; live: boolean }> = [];
  const left = [...plan.left];
  const all = [...plan.live.map((vm) => ({ vm, live: true })), ...plan.cold.map((vm) => ({ vm, live: false }))];
  for (const [index, job] of all.entries()) {
    if (tctx.signal.aborted) throw new VmctlError("internal", `cancelled after moving ${moved.length} VM(s); the host stays in maintenance`);
    const range = { from: (index / all.length) * 100, to: ((index + 1) / all.length) * 100 };
    try {
      // live: null lets the move read the VM's state at its host (the plan used the agents' reports,
      // up to 2 s old: a VM just stopped was still "running" there and its live move was refused).
      const result = await migrateVm(ctx, tctx, { vm: job.vm, host: null, live: null, user: p.user }, { exclude: { [id]: "the host being drained" }, range });
      moved.push({ vm: job.vm, to: result.to, live: result.live });
    } catch (error) {
      left.push({ vm: job.vm, reason: (error as Error).message });
      tctx.log(`${job.vm} could not move: ${(error as Error).message}`);
    }
  }
  tctx.progress(100);
  const failed = left.filter((l) => all.some((j) => j.vm === l.vm));
  if (failed.length) {
    throw new VmctlError("no_host_available", `${host.meta.name} is in maintenance but ${failed.length} VM(s) could not move: ${failed.map((f) => `${f.vm} (${f.reason})`).join("; ")}`, { moved, left });
  }
  return { host: id, maintenance: true, moved, left };
}
