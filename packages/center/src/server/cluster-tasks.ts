// Cluster tasks: records in etcd (tasks/<id>) in the host task shape plus result, children, params
// and the replica that runs them. Only the leader runs tasks: one started on another replica waits
// queued (runner "") until the leader, which watches tasks/, takes it. A new leader takes over what a
// dead replica left: a queued task starts, a running resumable one runs again from the start, a
// running one that cannot be resumed ends with an error, so no task stays running forever.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { VmctlError, taskErrorAnswer, type TaskListQuery } from "@vmctl/api-types";
import { keys, type ClusterTaskRecord } from "../cluster-keys.js";
import type { ClusterStore } from "../cluster-store.js";
import type { ClusterEvents, ClusterTaskContext, ClusterTaskRunner, ClusterTasks, ClusterTaskSpec } from "../center-context.js";

/** What is stored: the lead's record plus whether a new leader may run it again. */
export interface StoredTask extends ClusterTaskRecord { resumable: boolean }

const ENDED = new Set(["success", "error", "cancelled"]);
export const isEnded = (task: { state: string }): boolean => ENDED.has(task.state);
/** Ended tasks kept in etcd; the oldest beyond this are deleted. */
export const MAX_KEPT_TASKS = 1000;
const FLUSH_MS = 250;
const SCAN_MS = 2000;

/** When the task should end, from its progress so far (null before any progress or once done). */
export function estimateEta(startedAtMs: number, percent: number, now = Date.now()): string | null {
  if (!(percent > 0) || percent >= 100) return null;
  return new Date(now + ((now - startedAtMs) * (100 - percent)) / percent).toISOString();
}

/** What a new leader does with a task it finds: nothing, run it, or end it with an error. */
export function takeoverAction(task: StoredTask, me: string, live: ReadonlySet<string>): "skip" | "run" | "fail" {
  if (isEnded(task) || task.runner === me) return "skip";
  if (task.runner !== "" && live.has(task.runner)) return "skip";
  if (task.state === "queued" && task.startedAt === null) return "run";
  return task.resumable ? "run" : "fail";
}

/** The host task list's filters, newest first. */
export function selectTasks(tasks: StoredTask[], query: TaskListQuery): StoredTask[] {
  const states = query.state?.split(",");
  return tasks
    .filter((t) => (!query.target || t.target === query.target) && (!query.targetUuid || t.targetUuid === query.targetUuid) && (!states || states.includes(t.state)) && (!query.parent || t.parentId === query.parent))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, query.limit ?? 100);
}

class LeadLost extends Error {}

interface Running { task: StoredTask; abort: AbortController; timer: NodeJS.Timeout | undefined; startedMs: number }

export interface ClusterTasksOptions {
  store: ClusterStore;
  clusterId: string;
  replicaId: string;
  logger: Logger;
  isLeader: () => boolean;
  liveReplicas: () => Promise<Set<string>>;
  events: () => ClusterEvents | undefined;
}

export class EtcdClusterTasks implements ClusterTasks {
  private readonly runners = new Map<string, ClusterTaskRunner>();
  private readonly running = new Map<string, Running>();
  private readonly claiming = new Set<string>();
  private readonly changes = new EventEmitter();
  private stopWatch: (() => Promise<void>) | undefined;
  private scanTimer: NodeJS.Timeout | undefined;
  private scanning = false;

  constructor(private readonly options: ClusterTasksOptions) {
    this.changes.setMaxListeners(0);
  }

  define(op: string, run: ClusterTaskRunner): void {
    this.runners.set(op, run);
  }

  /** Watches tasks/ (for ?wait= and, on the leader, tasks queued elsewhere) and scans while leading. */
  async open(): Promise<void> {
    this.stopWatch = await this.options.store.watch<StoredTask>(keys.tasks(), (_key, value) => {
      if (!value) return;
      this.changes.emit(value.id, value);
      if (this.options.isLeader() && value.state === "queued" && value.runner === "") void this.claimAndRun(value);
    });
    this.scanTimer = setInterval(() => { if (this.options.isLeader()) void this.scan(); }, SCAN_MS);
    this.scanTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.scanTimer);
    await this.stopWatch?.();
    for (const run of this.running.values()) run.abort.abort(new LeadLost("vmcenter is stopping"));
  }

  /** The lead was gained (take over orphans) or lost (hand every running task back). */
  leadershipChanged(leading: boolean): void {
    if (leading) void this.scan();
    else for (const run of this.running.values()) run.abort.abort(new LeadLost("this replica lost the lead"));
  }

  async start(spec: ClusterTaskSpec): Promise<ClusterTaskRecord> {
    if (!this.runners.has(spec.op)) throw new VmctlError("internal", `no cluster task runs "${spec.op}"`);
    const now = new Date().toISOString();
    const task: StoredTask = {
      id: `${this.options.clusterId}:${randomUUID()}`, op: spec.op, target: spec.target, targetUuid: spec.targetUuid ?? null, state: "queued", progress: 0, eta: null,
      log: [], error: null, user: spec.user.name, createdAt: now, startedAt: null, endedAt: null, parentId: null,
      result: null, children: [], params: spec.params, runner: "", resumable: spec.resumable,
    };
    await this.options.store.put(keys.task(task.id), task);
    void this.options.events()?.emit("task.created", { target: spec.target, targetUuid: task.targetUuid, user: spec.user.name, task: task.id, message: `${spec.op} on ${spec.target} by ${spec.user.name}`, data: { task: task.id, op: spec.op, state: "queued", user: spec.user.name } }).catch(() => {});
    if (this.options.isLeader()) void this.claimAndRun(task);
    return publicView(task);
  }

  async get(id: string): Promise<StoredTask | null> {
    const local = this.running.get(id);
    if (local) return structuredClone(local.task);
    return (await this.options.store.get<StoredTask>(keys.task(id)))?.value ?? null;
  }

  async wait(id: string, seconds: number): Promise<StoredTask | null> {
    const first = await this.get(id);
    if (!first || isEnded(first) || seconds <= 0) return first;
    return new Promise((resolve) => {
      const done = (task: StoredTask | null) => {
        clearTimeout(timer);
        this.changes.off(id, onChange);
        resolve(task);
      };
      const onChange = (task: StoredTask) => { if (isEnded(task)) done(task); };
      const timer = setTimeout(() => { void this.get(id).then(done, () => done(first)); }, seconds * 1000);
      this.changes.on(id, onChange);
      // It may have ended between the first read and the subscription.
      void this.get(id).then((task) => { if (task && isEnded(task)) done(task); }, () => {});
    });
  }

  async list(query: TaskListQuery): Promise<StoredTask[]> {
    const stored = (await this.options.store.list<StoredTask>(keys.tasks())).map((entry) => this.running.get(entry.value.id)?.task ?? entry.value);
    return selectTasks(stored, query);
  }

  /** Whether this replica runs the task now. */
  runsHere(id: string): boolean {
    return this.running.has(id);
  }

  /**
   * Cancels a task this replica runs, or one nobody runs (queued, or left by a dead replica).
   * A task a live replica runs is that replica's to cancel: the caller forwards to the leader.
   */
  async cancel(id: string): Promise<StoredTask> {
    const local = this.running.get(id);
    if (local) {
      local.abort.abort(new VmctlError("task_not_cancellable", "cancelled"));
      return structuredClone(local.task);
    }
    const live = await this.options.liveReplicas();
    let refusal: VmctlError | undefined;
    const updated = await this.options.store.update<StoredTask>(keys.task(id), (current) => {
      if (!current) return undefined;
      if (isEnded(current)) { refusal = new VmctlError("task_not_cancellable", `task ${id} has already ended (${current.state})`); return undefined; }
      if (current.runner !== "" && current.runner !== this.options.replicaId && live.has(current.runner)) { refusal = new VmctlError("cluster_unavailable", `task ${id} runs on another vmcenter replica; ask the leader`); return undefined; }
      return { ...current, state: "cancelled", eta: null, endedAt: new Date().toISOString(), log: [...current.log, `${new Date().toISOString()} cancelled before it ran`] };
    });
    if (refusal) throw refusal;
    if (!updated) throw new VmctlError("task_not_found", `no task "${id.slice(0, 128)}"; GET /api/v1/tasks lists the recent ones`, { id: id.slice(0, 128) });
    return updated;
  }

  /** On the leader: takes over what no live replica runs, and keeps the store to MAX_KEPT_TASKS ended tasks. */
  async scan(): Promise<void> {
    if (this.scanning) return;
    this.scanning = true;
    try {
      const all = (await this.options.store.list<StoredTask>(keys.tasks())).map((entry) => entry.value);
      const live = await this.options.liveReplicas();
      for (const task of all) {
        const action = takeoverAction(task, this.options.replicaId, live);
        if (action === "run") void this.claimAndRun(task);
        else if (action === "fail") await this.failOrphan(task);
      }
      const ended = all.filter(isEnded).sort((a, b) => (a.endedAt ?? "").localeCompare(b.endedAt ?? ""));
      for (const task of ended.slice(0, Math.max(0, ended.length - MAX_KEPT_TASKS))) await this.options.store.delete(keys.task(task.id));
    } catch (error) {
      this.options.logger.warn({ err: error }, "cluster task scan failed");
    } finally {
      this.scanning = false;
    }
  }

  private async failOrphan(task: StoredTask): Promise<void> {
    const message = `vmcenter leader changed during the task; it cannot be resumed safely, so it was ended (check ${task.target} and run it again if needed)`;
    const ended = await this.options.store.update<StoredTask>(keys.task(task.id), (current) => {
      if (!current || isEnded(current) || current.runner !== task.runner) return undefined;
      const now = new Date().toISOString();
      return { ...current, state: "error", eta: null, endedAt: now, runner: this.options.replicaId, error: { code: "cluster_unavailable", message }, log: [...current.log, `${now} ${message}`] };
    });
    if (ended?.state === "error") this.finished(ended);
  }

  /** Claims the task (CAS: nobody live runs it) and runs it here. */
  private async claimAndRun(seen: StoredTask): Promise<void> {
    if (this.running.has(seen.id) || this.claiming.has(seen.id) || !this.options.isLeader()) return;
    this.claiming.add(seen.id);
    try {
      await this.claimAndRunOnce(seen);
    } finally {
      this.claiming.delete(seen.id);
    }
  }

  private async claimAndRunOnce(seen: StoredTask): Promise<void> {
    const run = this.runners.get(seen.op);
    const me = this.options.replicaId;
    const live = await this.options.liveReplicas().catch(() => null);
    if (!live) return;
    let resumed = false;
    const claimed = await this.options.store.update<StoredTask>(keys.task(seen.id), (current) => {
      if (!current || takeoverAction(current, me, live) !== "run" || this.running.has(current.id)) return undefined;
      const now = new Date().toISOString();
      resumed = current.startedAt !== null;
      const line = !run ? `no runner for ${current.op} on replica ${me}` : resumed ? `resumed from the start by vmcenter replica ${me} (the replica that ran it is gone)` : `started by vmcenter replica ${me}`;
      const base = { ...current, runner: me, log: [...current.log, `${now} ${line}`] };
      if (!run) return { ...base, state: "error", endedAt: now, error: { code: "internal", message: `this vmcenter has no runner for "${current.op}"` } };
      return { ...base, state: "running", startedAt: now, progress: 0, eta: null };
    }).catch((error: unknown) => { this.options.logger.warn({ err: error, task: seen.id }, "could not claim a cluster task"); return null; });
    if (!claimed || claimed.runner !== me || claimed.state !== "running" || !run || this.running.has(claimed.id)) {
      if (claimed?.state === "error" && claimed.runner === me) this.finished(claimed);
      return;
    }
    void this.runClaimed(claimed, run);
  }

  private async runClaimed(task: StoredTask, run: ClusterTaskRunner): Promise<void> {
    const entry: Running = { task, abort: new AbortController(), timer: undefined, startedMs: Date.now() };
    this.running.set(task.id, entry);
    const flushSoon = () => { entry.timer ??= setTimeout(() => { entry.timer = undefined; void this.flush(entry); }, FLUSH_MS); };
    const ctx: ClusterTaskContext = {
      id: task.id,
      signal: entry.abort.signal,
      log: (line) => { task.log.push(`${new Date().toISOString()} ${line}`); flushSoon(); },
      progress: (percent) => {
        task.progress = Math.max(0, Math.min(100, Math.round(percent * 10) / 10));
        task.eta = estimateEta(entry.startedMs, task.progress);
        flushSoon();
      },
      child: (hostTaskId) => { if (!task.children.includes(hostTaskId)) task.children.push(hostTaskId); flushSoon(); },
    };
    try {
      const result = await run(ctx, structuredClone(task.params));
      if (entry.abort.signal.reason instanceof LeadLost) throw entry.abort.signal.reason;
      Object.assign(task, { state: "success", progress: 100, result: result ?? null });
    } catch (error) {
      const reason: unknown = entry.abort.signal.reason;
      if (reason instanceof LeadLost) {
        // Handed back as it stands: the next leader resumes or ends it.
        task.log.push(`${new Date().toISOString()} ${reason.message}; left to the next leader`);
        task.runner = "";
      } else if (entry.abort.signal.aborted) {
        task.state = "cancelled";
      } else {
        task.state = "error";
        task.error = taskErrorAnswer(error);
        task.log.push(`${new Date().toISOString()} failed: ${task.error.message}`);
      }
    } finally {
      clearTimeout(entry.timer);
      if (isEnded(task)) { task.eta = null; task.endedAt = new Date().toISOString(); }
      this.running.delete(task.id);
      await this.flush(entry, true);
      if (isEnded(task)) this.finished(task);
    }
  }

  private async flush(entry: Running, final = false): Promise<void> {
    try {
      // Only while the record is still ours: a replica that lost the lead never overwrites the new leader's claim.
      const me = this.options.replicaId;
      await this.options.store.update<StoredTask>(keys.task(entry.task.id), (current) => (current && current.runner !== me ? undefined : structuredClone(entry.task)));
      this.changes.emit(entry.task.id, structuredClone(entry.task));
    } catch (error) {
      this.options.logger.warn({ err: error, task: entry.task.id }, "could not store a cluster task");
      if (final) setTimeout(() => void this.flush(entry, true), 1000).unref();
    }
  }

  private finished(task: StoredTask): void {
    void this.options.events()?.emit("task.finished", {
      target: task.target, targetUuid: task.targetUuid, task: task.id, message: `${task.op} on ${task.target}: ${task.state}${task.error ? ` (${task.error.message})` : ""}`,
      data: { task: task.id, op: task.op, state: task.state, ...(task.error ? { error: task.error } : {}) },
    }).catch(() => {});
  }
}

/** The record as the API answers it (without the stored-only `resumable`). */
export function publicView(task: StoredTask): ClusterTaskRecord {
  // params are what the task was asked, a create's whole body among them (cloud-init secrets): kept
  // for a new leader to resume it, never answered.
  const { resumable: _resumable, params: _params, ...record } = task;
  return { ...record, params: {} };
}
