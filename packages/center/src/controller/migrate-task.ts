// cluster.migrate: move a VM to another host. Live (running VM, shared datastore): an incoming QEMU
// on the target, migrate-out on the source (its progress copied here), then desired.host = target;
// on failure or cancel the VM stays on the source and the target's incoming is deleted. Cold: stop
// (a running VM asked to move cold), then on shared storage hand it over through desired state (the
// target's agent adopts it), or on local storage copy its files, register it on the target, delete it
// on the source; a VM that ran is started again on the target.
import { VmctlError, type ClusterMigrateResult, type Task, type VmDetail } from "@vmctl/api-types";
import type { VmctlClient } from "@vmctl/client";
import type { CenterContext, ClusterHost, ClusterPrincipal, ClusterTaskContext } from "../center-context.js";
import type { DesiredVm, HostRecord } from "../cluster-keys.js";
import { desiredByName, hostLabel, placementHosts, placementOptions, reserve, snapshot, writeDesired } from "./cluster-state.js";
import { copyFiles, folderFiles, removeCopied } from "./disk-copy.js";
import { followHostTask, waitObserved } from "./host-tasks.js";
import { place, type PlacementVm } from "./placement.js";

export interface MigrateParams { vm: string; host: string | null; live: boolean | null; user: ClusterPrincipal }
export interface MigrateOptions {
  /** Hosts placement must skip, with why (maintenance drains its own host). */
  exclude?: Record<string, string>;
  range?: { from: number; to: number };
}

export function migrateParams(params: Record<string, unknown>): MigrateParams {
  const p = params as Partial<MigrateParams>;
  if (typeof p.vm !== "string" || !p.user) throw new VmctlError("internal", "cluster.migrate task without its VM or user");
  return { vm: p.vm, host: typeof p.host === "string" ? p.host : null, live: typeof p.live === "boolean" ? p.live : null, user: p.user };
}

/** Why a VM cannot move between two hosts (empty when it can). */
export function incompatibilities(source: Pick<HostRecord, "qemuVersion" | "cpuModel">, target: Pick<HostRecord, "qemuVersion" | "cpuModel" | "datastores">, datastore: string, live: boolean): string[] {
  const problems: string[] = [];
  if (live && source.qemuVersion !== target.qemuVersion) problems.push(`QEMU versions differ (source ${source.qemuVersion}, target ${target.qemuVersion}): a live migration needs the same on both`);
  if (live && source.cpuModel !== target.cpuModel) problems.push(`CPU models differ (source ${source.cpuModel}, target ${target.cpuModel}): the guest would see its CPU change`);
  if (!target.datastores.some((d) => d.name === datastore)) problems.push(`the target has no datastore "${datastore}"`);
  return problems;
}

/** Placement's view of an existing VM (from its detail on the owning host). */
export function placementVmOf(detail: VmDetail): PlacementVm {
  const def = detail.definition as (VmDetail["definition"] & { policy?: { host_tags?: unknown }; nics?: Record<string, { network?: unknown }> }) | null;
  const tags = Array.isArray(def?.policy?.host_tags) ? def.policy.host_tags.filter((t): t is string => typeof t === "string") : [];
  const networks = Object.values(def?.nics ?? {}).map((n) => n.network).filter((n): n is string => typeof n === "string");
  return { name: detail.name, memoryBytes: detail.memoryBytes, cpus: detail.cpus, datastore: detail.datastore, networks, hostTags: tags };
}

const mark = (desired: DesiredVm, to: string, task: string): Omit<DesiredVm, "generation" | "updatedAt"> => ({ ...desired, migration: { from: desired.host, to, task, since: new Date().toISOString() } });

export async function migrateVm(ctx: CenterContext, tctx: ClusterTaskContext, p: MigrateParams, options: MigrateOptions = {}): Promise<ClusterMigrateResult> {
  const started = Date.now();
  const range = options.range ?? { from: 0, to: 100 };
  const at = (fraction: number) => range.from + (range.to - range.from) * fraction;
  const state = await snapshot(ctx);
  const desired = desiredByName(state, p.vm);
  const source = state.hosts.find((h) => h.meta.id === desired.host);
  if (!source?.live) throw new VmctlError("host_unreachable", `${p.vm}'s host ${source ? hostLabel(source) : desired.host} is ${source?.state ?? "not joined"}: a VM moves only from a connected host`, { host: desired.host });
  const sourceClient = await ctx.hosts.client(source.meta.id, p.user);
  const detail = await sourceClient.getVm(p.vm);
  const running = detail.state === "running";
  const live = p.live ?? running;
  if (live && !running) throw new VmctlError("vm_wrong_state", `${p.vm} is ${detail.state}: a live migration needs it running; move it cold with "live": false`, { state: detail.state, allowed: ["running"] });
  if (!running && detail.state !== "stopped") throw new VmctlError("vm_wrong_state", `${p.vm} is ${detail.state}: a VM moves when running (live) or stopped`, { state: detail.state, allowed: ["running", "stopped"] });

  const placement = place(placementVmOf(detail), placementHosts(state), placementOptions(state, { [source.meta.id]: "the VM is here now", ...options.exclude }));
  tctx.log(`moving ${p.vm} from ${hostLabel(source)} (${live ? "live" : "cold"}):`);
  for (const line of placement.reasons) tctx.log(`  ${line}`);
  let target: ClusterHost;
  if (p.host) {
    target = await ctx.hosts.get(p.host);
    if (target.meta.id === source.meta.id) throw new VmctlError("bad_request", `${p.vm} is already on ${hostLabel(source)}: name another host, or leave "host" out to let placement choose`);
    const verdict = placement.hosts.find((h) => h.id === target.meta.id);
    if (!verdict?.eligible) throw new VmctlError("migration_incompatible", `${hostLabel(target)} cannot take ${p.vm}: ${verdict?.reasons.join("; ") ?? target.state}`, { host: target.meta.id, reasons: verdict?.reasons ?? [] });
  } else {
    const chosen = placement.chosen;
    if (!chosen) throw new VmctlError("no_host_available", `no other host can take ${p.vm}: ${placement.reasons.join("; ") || "no other host is joined"}`, { reasons: placement.reasons });
    target = state.hosts.find((h) => h.meta.id === chosen.id)!;
  }
  const problems = incompatibilities(source.live, target.live!, detail.datastore, live);
  const shared = (source.live.datastores.find((d) => d.name === detail.datastore)?.shared ?? false) && (target.live!.datastores.find((d) => d.name === detail.datastore)?.shared ?? false);
  if (live && !shared) problems.push(`datastore ${detail.datastore} is not shared by both hosts: a live migration here needs shared storage; move it cold ("live": false) to copy its disks`);
  if (problems.length) throw new VmctlError("migration_incompatible", `${p.vm} cannot move from ${source.meta.name} to ${target.meta.name}: ${problems.join("; ")}`, { from: source.meta.id, to: target.meta.id, reasons: problems });
  tctx.log(`target: ${hostLabel(target)}${p.host ? " (asked)" : " (placement)"}`);

  const targetClient = await ctx.hosts.client(target.meta.id, p.user);
  const release = reserve(target.meta.id, detail.memoryBytes);
  try {
    const result = live
      ? await moveLive(ctx, tctx, { desired, detail, source, target, sourceClient, targetClient }, { from: at(0.05), to: at(0.95) })
      : await moveCold(ctx, tctx, { desired, detail, source, target, sourceClient, targetClient, running, shared, user: p.user }, { from: at(0.05), to: at(0.95) });
    const done: ClusterMigrateResult = { from: source.meta.id, to: target.meta.id, live, ...result, totalMs: Date.now() - started };
    tctx.log(`moved ${p.vm} to ${hostLabel(target)} in ${done.totalMs} ms (downtime ${done.downtimeMs} ms, ${done.bytes} bytes)`);
    tctx.progress(range.to);
    await ctx.events.emit("cluster.vm.migrated", {
      target: `vm/${p.vm}`, targetUuid: desired.uuid, user: p.user.name, task: tctx.id,
      message: `${p.vm} moved from ${source.meta.name} to ${target.meta.name} (${live ? "live" : "cold"})`, data: { ...done },
    });
    return done;
  } finally {
    release();
  }
}

interface Move { desired: DesiredVm; detail: VmDetail; source: ClusterHost; target: ClusterHost; sourceClient: VmctlClient; targetClient: VmctlClient }

/** Clears the migration mark, leaving the VM where it was (after a failure). */
async function unmark(ctx: CenterContext, uuid: string): Promise<void> {
  await writeDesired(ctx, uuid, (current) => (current?.migration ? { ...current, migration: null } : undefined)).catch(() => undefined);
}

async function moveLive(ctx: CenterContext, tctx: ClusterTaskContext, m: Move, range: { from: number; to: number }): Promise<{ downtimeMs: number; bytes: number }> {
  const { desired, detail, source, target } = m;
  await writeDesired(ctx, desired.uuid, (current) => mark(current ?? desired, target.meta.id, tctx.id));
  let incoming: { id: string; uri: string } | null = null;
  try {
    incoming = await m.targetClient.cluster.incomingMigration({ name: detail.name, uuid: desired.uuid, datastore: detail.datastore, ...(detail.startedAt ? { startedAt: detail.startedAt } : {}) });
    tctx.log(`${target.meta.name} waits for the stream on ${incoming.uri} (incoming ${incoming.id})`);
    if (tctx.signal.aborted) throw new VmctlError("internal", "cancelled before the stream started");
    const outTask = await m.sourceClient.cluster.migrateOut(detail.name, { uri: incoming.uri, targetHost: target.meta.id });
    tctx.log(`${source.meta.name} streams ${detail.name} (host task ${outTask.id})`);
    let lastLogged = -10;
    const done = await followHostTask(m.sourceClient, outTask, tctx, range, (t: Task) => {
      if (t.progress >= lastLogged + 25) { lastLogged = t.progress; tctx.log(`  ${Math.round(t.progress)} % sent${t.eta ? `, ETA ${t.eta}` : ""}`); }
    });
    const result = (done.result ?? {}) as { downtimeMs?: number; bytes?: number };
    await writeDesired(ctx, desired.uuid, (current) => ({
      ...(current ?? desired), host: target.meta.id, power: "running", migration: null,
      reason: `live-migrated from ${source.meta.name} to ${target.meta.name} (task ${tctx.id})`,
    }));
    // The task ends once the cluster's lists show the VM on the target (its agent reports every 2 s),
    // not while they still show the source's "stopped"; the guest runs there already either way.
    await waitObserved(ctx, desired.uuid, target.meta.id, 30, tctx.signal, ["running", "paused"])
      .catch((error: unknown) => tctx.log(`${target.meta.name} has not reported ${detail.name} yet: ${(error as Error).message}`));
    return { downtimeMs: Math.round(result.downtimeMs ?? 0), bytes: Math.round(result.bytes ?? 0) };
  } catch (error) {
    tctx.log(`live migration failed: ${(error as Error).message}; ${detail.name} stays on ${source.meta.name}`);
    if (incoming) await m.targetClient.cluster.cancelIncomingMigration(incoming.id).catch((e: unknown) => tctx.log(`deleting the incoming migration on ${target.meta.name} failed: ${(e as Error).message}`));
    await unmark(ctx, desired.uuid);
    throw error;
  }
}

async function moveCold(ctx: CenterContext, tctx: ClusterTaskContext, m: Move & { running: boolean; shared: boolean; user: ClusterPrincipal }, range: { from: number; to: number }): Promise<{ downtimeMs: number; bytes: number }> {
  const { desired, detail, source, target } = m;
  let stoppedAt: number | null = null;
  if (m.running) {
    tctx.log(`stopping ${detail.name} on ${source.meta.name}`);
    stoppedAt = Date.now();
    const stop = await m.sourceClient.power(detail.name, { action: "stop", timeout: 60 });
    await followHostTask(m.sourceClient, stop, tctx, { from: range.from, to: range.from + 5 });
  }
  const power = m.running ? "running" : desired.power;
  let bytes = 0;
  if (m.shared) {
    tctx.log(`handing ${detail.name} over to ${target.meta.name} on shared datastore ${detail.datastore} (its agent adopts it)`);
    await writeDesired(ctx, desired.uuid, (current) => ({
      ...(current ?? desired), host: target.meta.id, power, migration: null,
      reason: `moved cold from ${source.meta.name} to ${target.meta.name} (task ${tctx.id})`,
    }));
  } else {
    await writeDesired(ctx, desired.uuid, (current) => mark(current ?? desired, target.meta.id, tctx.id));
    const { folder, files } = await folderFiles(m.sourceClient, detail);
    const definition = (await m.sourceClient.getDefinition(detail.name)).text;
    try {
      bytes = await copyFiles(m.sourceClient, m.targetClient, detail.datastore, files, tctx, { from: range.from + 5, to: range.to - 10 });
      await m.targetClient.cluster.registerMigrated({ definition, datastore: detail.datastore });
      tctx.log(`registered ${detail.name} on ${target.meta.name}`);
    } catch (error) {
      tctx.log(`copy failed: ${(error as Error).message}; ${detail.name} stays on ${source.meta.name}`);
      await removeCopied(m.targetClient, detail.datastore, files, folder);
      await unmark(ctx, desired.uuid);
      throw error;
    }
    await writeDesired(ctx, desired.uuid, (current) => ({
      ...(current ?? desired), host: target.meta.id, power, migration: null,
      reason: `moved cold (disks copied) from ${source.meta.name} to ${target.meta.name} (task ${tctx.id})`,
    }));
    await m.sourceClient.destroyVm(detail.name).then(() => tctx.log(`deleted ${detail.name} and its files on ${source.meta.name}`))
      .catch((error: unknown) => tctx.log(`deleting ${detail.name} on ${source.meta.name} failed (delete it by hand): ${(error as Error).message}`));
  }
  await waitObserved(ctx, desired.uuid, target.meta.id, 90, tctx.signal, m.running ? ["running"] : undefined);
  tctx.log(`${target.meta.name} reports ${detail.name}${m.running ? " running" : ""}`);
  return { downtimeMs: stoppedAt === null ? 0 : Date.now() - stoppedAt, bytes };
}

export async function runMigrate(ctx: CenterContext, tctx: ClusterTaskContext, raw: Record<string, unknown>): Promise<Record<string, unknown>> {
  return { ...(await migrateVm(ctx, tctx, migrateParams(raw))) };
}
