// HA (leader only): a host whose live record (hosts/<id>, under its agent's lease) has been gone for
// the grace period is declared dead (hostmeta.deadSince, event cluster.host.dead), and each of its
// VMs with [policy] ha = true on a shared datastore is given to another host through desired state
// (host = target, power running, a higher generation): the target's agent adopts and starts it. A
// cluster.ha.restart task logs every decision and the time to each restart. VMs that are not HA stay
// listed on the dead host. A dead host whose record comes back is alive again (its agent fenced
// the VMs now desired elsewhere before serving).
import { HOST_LEASE_SECONDS, keys, type DesiredVm, type HostMeta, type HostRecord, type ObservedVm } from "../cluster-keys.js";
import { CENTER_PRINCIPAL, type CenterContext, type ClusterTaskContext } from "../center-context.js";
import { placementHosts, placementOptions, reserve, snapshot, writeDesired } from "./cluster-state.js";
import { waitObserved } from "./host-tasks.js";
import { place } from "./placement.js";

/** States in which a VM had a running QEMU: a host that died then took a powered-on VM with it (a start
 * still under way counts: the agent samples every 2 s). */
const HAD_A_PROCESS: ReadonlySet<string> = new Set(["running", "starting", "paused", "migrating", "snapshotting"]);

const SWEEP_MS = 500;

export interface HaController { start(): Promise<void>; stop(): Promise<void> }

/** Which VMs of a dead host HA restarts, and which it leaves (and why). Pure. */
export function haPlan(desired: readonly DesiredVm[], deadHost: string, lastState: ReadonlyMap<string, string>): { restart: DesiredVm[]; left: Array<{ vm: string; reason: string }> } {
  const restart: DesiredVm[] = [];
  const left: Array<{ vm: string; reason: string }> = [];
  for (const d of desired.filter((v) => v.host === deadHost).sort((a, b) => a.name.localeCompare(b.name))) {
    const seen = lastState.get(d.uuid);
    if (!d.ha) left.push({ vm: d.name, reason: "not HA ([policy] ha is not true)" });
    else if (!d.shared) left.push({ vm: d.name, reason: `datastore ${d.datastore} is not shared: no other host can reach its disks` });
    else if (d.power === "stopped" || (d.power === null && seen !== undefined && !HAD_A_PROCESS.has(seen))) left.push({ vm: d.name, reason: `it was not running (${d.power === "stopped" ? "desired stopped" : `last seen ${seen}`})` });
    else restart.push(d);
  }
  return { restart, left };
}

/** Defines the cluster.ha.restart task at once (a new leader may resume one); start() begins watching. */
export function createHaController(ctx: CenterContext): HaController {
  const missingSince = new Map<string, number>();
  const lastState = new Map<string, string>();
  const declaring = new Set<string>();
  let stopped = false;
  let stopObserved: () => Promise<void> = async () => {};

  const declareDead = async (meta: HostMeta, since: number): Promise<void> => {
    const deadSince = new Date().toISOString();
    const updated = await ctx.store.update<HostMeta>(keys.hostMeta(meta.id), (current) => (current && !current.deadSince ? { ...current, deadSince } : undefined));
    if (updated?.deadSince !== deadSince) return;
    const goneFor = Math.round((Date.now() - since) / 1000);
    ctx.logger.warn({ host: meta.id }, `host ${meta.name} declared dead (no heartbeat for ${goneFor} s)`);
    await ctx.events.emit("cluster.host.dead", { target: `host/${meta.id}`, message: `host ${meta.name} declared dead: no heartbeat for ${goneFor} s`, data: { host: meta.id, hostName: meta.name, deadSince } });
    await ctx.tasks.start({ op: "cluster.ha.restart", target: `host/${meta.id}`, user: CENTER_PRINCIPAL, params: { host: meta.id, lostAt: new Date(since).toISOString(), deadSince }, resumable: true });
  };

  const sweep = async (): Promise<void> => {
    if (!ctx.isLeader()) { missingSince.clear(); return; }
    const [metas, lives] = await Promise.all([ctx.store.list<HostMeta>(keys.hostMetas()), ctx.store.list<HostRecord>(keys.hosts())]);
    const live = new Set(lives.map((l) => l.value.id));
    const now = Date.now();
    for (const { value: meta } of metas) {
      if (live.has(meta.id)) {
        missingSince.delete(meta.id);
        if (meta.deadSince) {
          const back = await ctx.store.update<HostMeta>(keys.hostMeta(meta.id), (current) => (current?.deadSince ? { ...current, deadSince: null } : undefined));
          if (back && back.deadSince === null) await ctx.events.emit("cluster.host.alive", { target: `host/${meta.id}`, message: `host ${meta.name}, declared dead at ${meta.deadSince}, is back`, data: { host: meta.id, hostName: meta.name } });
        }
        continue;
      }
      if (meta.deadSince) continue;
      // A host that just joined has until its lease's length to heartbeat a first time.
      const since = Math.max(missingSince.get(meta.id) ?? now, (Date.parse(meta.joinedAt) || 0) + HOST_LEASE_SECONDS * 1000);
      if (!missingSince.has(meta.id)) missingSince.set(meta.id, since);
      if (now - since >= ctx.settings.haGraceSeconds * 1000 && !declaring.has(meta.id)) {
        declaring.add(meta.id);
        await declareDead(meta, since).finally(() => declaring.delete(meta.id));
      }
    }
  };

  ctx.tasks.define("cluster.ha.restart", (tctx, params) => runHaRestart(ctx, tctx, params, lastState));
  let timer: NodeJS.Timeout | null = null;
  const loop = () => {
    if (stopped) return;
    sweep().catch((error: unknown) => ctx.logger.debug({ err: error }, "HA sweep failed")).finally(() => { if (!stopped) timer = setTimeout(loop, SWEEP_MS); });
  };
  return {
    async start() {
      // Remember each VM's last observed state: when its host dies, the observation vanishes with the lease.
      stopObserved = await ctx.store.watch<ObservedVm>(keys.vms(), (key, value) => {
        if (value && key.endsWith("/observed") && typeof value.uuid === "string") lastState.set(value.uuid, value.summary?.state ?? "unknown");
      }).catch(() => async () => {});
      for (const { key, value } of await ctx.store.list<ObservedVm>(keys.vms()).catch(() => [])) {
        if (key.endsWith("/observed") && value?.summary) lastState.set(value.uuid, value.summary.state);
      }
      loop();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await stopObserved();
    },
  };
}

async function runHaRestart(ctx: CenterContext, tctx: ClusterTaskContext, params: Record<string, unknown>, lastState: ReadonlyMap<string, string>): Promise<Record<string, unknown>> {
  const hostId = String(params.host);
  const lostAt = Date.parse(String(params.lostAt ?? "")) || Date.now();
  const state = await snapshot(ctx);
  const dead = state.hosts.find((h) => h.meta.id === hostId);
  const name = dead?.meta.name ?? hostId;
  const plan = haPlan(state.desired, hostId, lastState);
  tctx.log(`host ${name} (${hostId}) is dead: ${plan.restart.length} HA VM(s) to restart elsewhere, ${plan.left.length} left`);
  for (const l of plan.left) tctx.log(`  ${l.vm}: left on ${name}: ${l.reason}`);
  const restarted: Array<{ vm: string; to: string; toName: string; ms: number }> = [];
  const failed: Array<{ vm: string; reason: string }> = [];
  const waits: Array<Promise<void>> = [];
  for (const [index, vm] of plan.restart.entries()) {
    const current = await snapshot(ctx);
    const placement = place({ name: vm.name, memoryBytes: vm.memoryBytes, cpus: vm.cpus, datastore: vm.datastore, networks: [], hostTags: [] }, placementHosts(current), placementOptions(current, { [hostId]: "the dead host" }));
    tctx.log(`placing ${vm.name}:`);
    for (const line of placement.reasons) tctx.log(`  ${line}`);
    const chosen = placement.chosen;
    if (!chosen) {
      failed.push({ vm: vm.name, reason: `no host can take it: ${placement.reasons.join("; ")}` });
      tctx.log(`${vm.name}: not restarted: no host can take it`);
      continue;
    }
    const release = reserve(chosen.id, vm.memoryBytes);
    const reason = `HA restart after host ${name} died`;
    const written = await writeDesired(ctx, vm.uuid, (d) => (d && d.host === hostId ? { ...d, host: chosen.id, power: "running", migration: null, reason } : undefined));
    if (!written || written.host !== chosen.id) {
      release();
      tctx.log(`${vm.name}: its desired record changed meanwhile (now on ${written?.host ?? "nothing"}); skipped`);
      continue;
    }
    tctx.log(`${vm.name}: desired on ${chosen.name} (generation ${written.generation}), waiting for it to run there`);
    waits.push(waitObserved(ctx, vm.uuid, chosen.id, 120, tctx.signal, ["running"]).then(() => {
      const ms = Date.now() - lostAt;
      restarted.push({ vm: vm.name, to: chosen.id, toName: chosen.name, ms });
      tctx.log(`${vm.name}: running on ${chosen.name}, ${ms} ms after ${name}'s lease expired`);
      void ctx.events.emit("cluster.ha.restart", { target: `vm/${vm.name}`, targetUuid: vm.uuid, task: tctx.id, message: `${vm.name} restarted on ${chosen.name} after host ${name} died (${ms} ms)`, data: { from: hostId, to: chosen.id, ms } });
    }, (error: unknown) => {
      failed.push({ vm: vm.name, reason: (error as Error).message });
      tctx.log(`${vm.name}: ${(error as Error).message}`);
    }).finally(() => {
      release();
      tctx.progress(((index + 1) / Math.max(1, plan.restart.length)) * 100);
    }));
  }
  await Promise.all(waits);
  tctx.progress(100);
  return { host: hostId, hostName: name, restarted, left: plan.left, failed };
}
