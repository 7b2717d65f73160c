// The host agent (vpxa): runs inside a joined vmctld. Under an etcd lease it keeps hosts/<id> and
// vms/<uuid>/observed fresh (every HEARTBEAT_MS), creates vms/<uuid>/desired for VMs made on this
// host, and carries out the desired state meant for this host (reconcile.ts decides, the host's own
// API acts). etcd going away never stops the host: it keeps working alone and re-registers (a new
// lease if the old one expired) as soon as etcd answers again.
import type { Logger } from "pino";
import type { Lease } from "etcd3";
import { hasProcess, type VmSummary } from "@vmctl/api-types";
import { HOST_LEASE_SECONDS, keys, type DesiredVm, type HostRecord, type ObservedVm } from "../cluster-keys.js";
import type { ClusterStore } from "../cluster-store.js";
import type { HostPort } from "./host-port.js";
import { initialDesired, planActions, type AgentAction, type HeldVm } from "./reconcile.js";

export type { HostPort, HostResources, LocalVm } from "./host-port.js";
export { JOIN_PATH, JoinRequestSchema, JoinAnswerSchema, type JoinRequest, type JoinAnswer } from "./join-wire.js";
export { planActions, initialDesired, ARRIVAL_GRACE_MS, type AgentAction, type HeldVm } from "./reconcile.js";

export const HEARTBEAT_MS = 2000;
/** A VM being let go that does not stop within this is stopped hard. */
export const EVICT_STOP_SECONDS = 10;
/** An action that failed (or is under way) is not asked again for this long. */
const RETRY_MS = 10_000;
/** One heartbeat and reconcile pass gives up after this (etcd hanging rather than refusing). */
const PASS_TIMEOUT_MS = 15_000;
/** Observed records are rewritten at least this often even when nothing changed. */
const OBSERVED_REFRESH_MS = 30_000;

export interface AgentOptions {
  store: ClusterStore;
  clusterId: string;
  logger: Logger;
  heartbeatMs?: number;
}

export interface Agent {
  /** Whether the last heartbeat reached etcd. */
  connected(): boolean;
  /** One heartbeat and reconcile pass now (tests and the fence use it). */
  tick(): Promise<void>;
  /** Stops heartbeating; revokeLease drops the host record at once (a clean vmctld stop). */
  stop(options?: { revokeLease?: boolean }): Promise<void>;
}

const withTimeout = <T>(work: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: etcd did not answer within ${ms} ms`)), ms);
    work.then((value) => { clearTimeout(timer); resolve(value); }, (error: unknown) => { clearTimeout(timer); reject(error as Error); });
  });

export async function startAgent(port: HostPort, options: AgentOptions): Promise<Agent> {
  const { store, logger } = options;
  const log = logger.child({ component: "agent", cluster: options.clusterId });
  const startedAt = new Date().toISOString();
  let lease: Lease | null = null;
  let connected = false;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let stopWatch: (() => Promise<void>) | null = null;
  /** What was last written to vms/<uuid>/observed (JSON of the summary) and when, under the current lease. */
  const written = new Map<string, { json: string; at: number }>();
  /** uuid → when an action on it may be asked again. */
  const busyUntil = new Map<string, number>();
  const conflictSince = new Map<string, number>();
  const settledUnder = new Map<string, string>();

  const ensureLease = async (): Promise<Lease> => {
    if (lease && !lease.revoked()) return lease;
    const fresh = store.lease(HOST_LEASE_SECONDS);
    fresh.on("lost", (error: Error) => {
      if (lease !== fresh) return;
      log.warn({ err: error.message }, "the host's etcd lease was lost; a new one is made when etcd answers");
      lease = null;
      written.clear();
    });
    try {
      await withTimeout(fresh.grant(), 5000, "lease grant");
    } catch (error) {
      fresh.release();
      throw error;
    }
    lease = fresh;
    written.clear();
    return fresh;
  };

  const ensureWatch = async () => {
    if (stopWatch) return;
    stopWatch = await store.watch<DesiredVm>(keys.vms(), (key) => { if (key.endsWith("/desired")) schedule(); });
  };

  const heldVms = async (): Promise<HeldVm[]> => {
    const summaries: VmSummary[] = await port.client.listVms();
    const local = new Map(port.localVms().map((vm) => [vm.name, vm]));
    return summaries.map((summary) => ({ ...summary, shared: local.get(summary.name)?.shared ?? false, ha: local.get(summary.name)?.ha ?? false }));
  };

  const pass = async () => {
    const held = await heldVms();
    const current = await ensureLease();
    await ensureWatch();
    const resources = await port.resources();
    const now = new Date();
    const running = held.filter((vm) => hasProcess(vm.state));
    const record: HostRecord = {
      id: port.hostId, name: port.name, url: port.url, certPem: port.certPem, ...resources,
      vms: held.length, runningVms: running.length, allocatedMemoryBytes: running.reduce((sum, vm) => sum + vm.memoryBytes, 0),
      agentVersion: port.version, startedAt, heartbeatAt: now.toISOString(),
    };
    await store.put(keys.host(port.hostId), record, current);
    if (!connected) log.info({ host: port.hostId }, "registered with the cluster");
    connected = true;

    const listed = await store.list<DesiredVm | ObservedVm>(keys.vms());
    const desired = new Map<string, DesiredVm>();
    const observed: ObservedVm[] = [];
    for (const { key, value } of listed) {
      if (key.endsWith("/desired")) desired.set((value as DesiredVm).uuid, value as DesiredVm);
      else if (key.endsWith("/observed")) observed.push(value as ObservedVm);
    }
    // What this host sees of each VM it holds and that is not desired elsewhere (that host reports it).
    const reported = new Set<string>();
    for (const vm of held) {
      if (!vm.uuid) continue;
      const want = desired.get(vm.uuid);
      if (!want) {
        const made = initialDesired(port.hostId, port.name, vm, now);
        if (await store.create(keys.desired(vm.uuid), made)) desired.set(vm.uuid, made);
      }
      if (desired.get(vm.uuid) && desired.get(vm.uuid)!.host !== port.hostId) continue;
      reported.add(vm.uuid);
      const json = JSON.stringify(vm);
      const last = written.get(vm.uuid);
      if (last && last.json === json && now.getTime() - last.at < OBSERVED_REFRESH_MS) continue;
      const { shared: _shared, ha: _ha, ...summary } = vm;
      const value: ObservedVm = { uuid: vm.uuid, name: vm.name, host: port.hostId, summary, updatedAt: now.toISOString() };
      await store.put(keys.observed(vm.uuid), value, current);
      written.set(vm.uuid, { json, at: now.getTime() });
    }
    // A VM that left this host (migrated, let go, destroyed): its observed record goes, if it is still ours.
    for (const uuid of [...written.keys()]) {
      if (reported.has(uuid)) continue;
      written.delete(uuid);
      await store.update<ObservedVm>(keys.observed(uuid), (value) => (value?.host === port.hostId ? null : undefined));
    }
    const actions = planActions({ hostId: port.hostId, desired: [...desired.values()], observed, held, now: now.getTime(), conflictSince, settledUnder });
    for (const action of actions) {
      if ((busyUntil.get(action.uuid) ?? 0) > Date.now()) continue;
      busyUntil.set(action.uuid, Date.now() + RETRY_MS);
      void act(action).catch((error: unknown) => log.warn({ vm: action.name, action: action.kind, err: (error as Error).message }, "could not carry out the cluster's desired state"));
    }
  };

  const act = async (action: AgentAction) => {
    log.info({ vm: action.name, action: action.kind, ...(action.kind === "evict" ? { to: action.toHost } : {}) }, "acting on the cluster's desired state");
    switch (action.kind) {
      case "adopt":
        if (!(await port.adopt(action.datastore, action.name, action.uuid))) throw new Error(`no folder "${action.name}" holding VM ${action.uuid} on shared datastore "${action.datastore}"`);
        busyUntil.delete(action.uuid);
        schedule(); // its power next, without waiting for the heartbeat
        return;
      case "start":
        await port.client.power(action.name, { action: "start" });
        return;
      case "stop":
        await port.client.power(action.name, { action: "stop" });
        return;
      case "record":
        await store.update<DesiredVm>(keys.desired(action.uuid), (d) => (d && d.host === port.hostId && d.updatedAt === action.updatedAt && !d.migration
          ? { ...d, power: action.power, updatedAt: new Date().toISOString(), reason: `${action.name} ${action.why} (host ${port.name}), not by vmcenter: kept ${action.power}` }
          : undefined));
        busyUntil.delete(action.uuid);
        return;
      case "evict":
        if (action.running) await stopWithin(action.name, EVICT_STOP_SECONDS);
        if (action.shared) await port.release(action.name, action.toHost);
        busyUntil.delete(action.uuid);
        return;
    }
  };

  /** A graceful stop forced after `seconds`; a stop that cannot even be asked is a hard one. */
  const stopWithin = async (name: string, seconds: number) => {
    try {
      const task = await port.client.power(name, { action: "stop", timeout: seconds });
      const ended = await port.client.getTask(task.id, seconds + 10);
      if (ended.state === "success") return;
    } catch (error) {
      log.warn({ vm: name, err: (error as Error).message }, "stop refused; stopping hard");
    }
    await port.forceStop(name);
  };

  const tick = async (): Promise<void> => {
    if (stopped) return;
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        // A call etcd never answers must not hold up every later heartbeat.
        await withTimeout(pass(), PASS_TIMEOUT_MS, "heartbeat");
      } catch (error) {
        if (connected) log.warn({ err: (error as Error).message }, "etcd does not answer: the host keeps working alone and registers again once it does");
        connected = false;
      } finally {
        running = null;
      }
      if (again && !stopped) {
        again = false;
        await tick();
      }
    })();
    return running;
  };
  let soon: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (soon || stopped) return;
    soon = setTimeout(() => { soon = undefined; void tick(); }, 100);
  };

  const timer = setInterval(() => void tick(), options.heartbeatMs ?? HEARTBEAT_MS);
  timer.unref();
  await tick();
  return {
    connected: () => connected,
    tick,
    async stop({ revokeLease = false } = {}) {
      stopped = true;
      clearInterval(timer);
      clearTimeout(soon);
      await running?.catch(() => {});
      await stopWatch?.().catch(() => {});
      if (lease) {
        if (revokeLease) await withTimeout(lease.revoke(), 3000, "lease revoke").catch(() => {});
        else lease.release();
      }
      lease = null;
    },
  };
}
