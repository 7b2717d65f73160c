// Long work runs as a task: persisted, with progress, a log and an outcome, so a client can follow it
// and a vmctld restart can say what was cut off. A task's id is "<host id>:<uuid>", unique when a
// cluster merges several hosts' tasks; a task on a VM names it (target "vm/<name>") and its uuid
// (targetUuid), so a VM made again under the same name is told apart.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { VmctlError, taskErrorAnswer, type Task, type TaskState } from "@vmctl/api-types";
import type { Db } from "../store/database.js";
import type { EventLog } from "./event-log.js";
import type { Prunable, RetentionLimits } from "./retention.js";
import { hostIdOf } from "./host-identity.js";
import { withEventCause, type OpenEventContext } from "./event-context.js";

interface Row {
  id: string; op: string; target: string; target_uuid: string | null; state: TaskState; progress: number; eta: string | null; log: string;
  error: string | null; user: string; created_at: string; started_at: string | null; ended_at: string | null; parent_id: string | null;
  result?: string | null;
}

const toTask = (row: Row): Task => ({
  id: row.id, op: row.op, target: row.target, targetUuid: row.target_uuid, state: row.state, progress: row.progress, eta: row.eta,
  log: JSON.parse(row.log) as string[], error: row.error ? (JSON.parse(row.error) as Task["error"]) : null, user: row.user,
  createdAt: row.created_at, startedAt: row.started_at, endedAt: row.ended_at, parentId: row.parent_id,
  ...(row.result ? { result: JSON.parse(row.result) as Record<string, unknown> } : {}),
});

export interface TaskContext {
  readonly id: string;
  /** Aborted by DELETE /tasks/{id}; work that can stop checks it. */
  readonly signal: AbortSignal;
  /** Moves a queued task to running (power tasks wait for their VM's lock first). */
  begin(): void;
  log(line: string): void;
  progress(percent: number): void;
  /** What the task measured or made, shown as its `result` (a migrate-out's downtime and bytes). */
  result(value: Record<string, unknown>): void;
}

export interface RunOptions {
  parentId?: string;
  /** Start as queued: the work calls ctx.begin() when it really starts. */
  queued?: boolean;
}

/** Thrown by work that stopped because its task was cancelled. */
export class TaskCancelled extends Error {
  constructor() { super("cancelled"); }
}

const ENDED: readonly TaskState[] = ["success", "error", "cancelled"];
/** Tasks whose work stops cleanly halfway (a qemu-img copy is killed and its output removed). */
const CANCELLABLE_WHILE_RUNNING = new Set(["vms.batch", "vm.clone", "vm.import", "vm.export", "vm.migrate_out"]);

/**
 * Queued tasks (power, snapshots, reverts) that may wait for one target at once: 300 snapshot
 * requests at once queued 300 tasks in the VM's section, ahead of any stop. Beyond it: 429.
 */
export const MAX_QUEUED_PER_TARGET = 16;

/** When the task should end if it goes on at the pace it has kept so far; null until there is a pace. */
export function estimateEta(startedAt: number, percent: number, now = Date.now()): string | null {
  if (percent <= 0 || percent >= 100) return null;
  const elapsed = now - startedAt;
  return new Date(now + (elapsed * (100 - percent)) / percent).toISOString();
}

export interface TaskIdentity {
  /** This host's id, the prefix of every task id (default: the one kept in the database). */
  hostId?: string;
  /** The uuid of the VM of this name now, if there is one. */
  vmUuidOf?: (name: string) => string | undefined;
}

/** The VM a target names ("vm/<name>"), or null for a target that is not one VM (a batch). */
const vmOfTarget = (target: string): string | null => (target.startsWith("vm/") ? target.slice(3) : null);

export class TaskManager implements Prunable {
  private readonly changes = new EventEmitter<{ [id: string]: [Task] }>();
  private readonly controllers = new Map<string, { abort: AbortController; running: () => boolean; cancellableWhileRunning: boolean; events: OpenEventContext }>();
  /** The queued tasks of each target that have not begun yet. */
  private readonly waiting = new Map<string, Set<string>>();
  readonly hostId: string;
  private readonly vmUuidOf: (name: string) => string | undefined;
  constructor(private readonly db: Db, private readonly events: EventLog, identity: TaskIdentity = {}) {
    this.changes.setMaxListeners(0);
    this.hostId = identity.hostId ?? hostIdOf(db);
    this.vmUuidOf = identity.vmUuidOf ?? (() => undefined);
  }

  /** Tasks cut off by a vmctld crash or restart end as errors that say so. */
  failInterrupted(): number {
    const now = new Date().toISOString();
    const error = JSON.stringify({ code: "internal", message: "vmctld restarted while this task ran; check the VM's state and retry" });
    return this.db.prepare("UPDATE tasks SET state = 'error', error = ?, ended_at = ? WHERE state IN ('queued', 'running')").run(error, now).changes;
  }

  /**
   * One batch of retention: ended tasks older than the age, then the oldest ended ones beyond the
   * row cap. Queued and running tasks are never pruned. Both go through the tasks_ended index.
   */
  pruneBatch(limits: RetentionLimits, batch: number): number {
    const cutoff = new Date(Date.now() - limits.maxAgeMs).toISOString();
    const aged = this.db.prepare("DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE ended_at IS NOT NULL AND ended_at < ? ORDER BY ended_at LIMIT ?)").run(cutoff, batch).changes;
    if (aged > 0) return aged;
    const { ended } = this.db.prepare("SELECT count(*) AS ended FROM tasks WHERE ended_at IS NOT NULL").get() as { ended: number };
    if (ended <= limits.maxRows) return 0;
    return this.db.prepare("DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE ended_at IS NOT NULL ORDER BY ended_at LIMIT ?)").run(Math.min(ended - limits.maxRows, batch)).changes;
  }

  /**
   * Creates the task and starts `work` at once; returns the task as first stored. The work runs in
   * an event context naming the user and the task: every event it records says who and which task.
   */
  run(op: string, target: string, user: string, work: (ctx: TaskContext) => Promise<void>, options: RunOptions = {}): Task {
    const held = options.queued ? this.waiting.get(target)?.size ?? 0 : 0;
    if (held >= MAX_QUEUED_PER_TARGET) {
      const vmName = vmOfTarget(target);
      throw new VmctlError("rate_limited", `${vmName === null ? `"${target}"` : `VM "${vmName}"`} already has ${held} tasks waiting (power, snapshots, reverts); wait for them to end (GET /api/v1/tasks?target=${target}) or cancel them`, { waiting: held, limit: MAX_QUEUED_PER_TARGET });
    }
    const id = `${this.hostId}:${randomUUID()}`;
    const now = new Date().toISOString();
    const initial = options.queued ? "queued" : "running";
    const vm = vmOfTarget(target);
    const targetUuid = vm === null ? null : this.vmUuidOf(vm) ?? null;
    this.db.prepare("INSERT INTO tasks (id, op, target, target_uuid, state, progress, log, user, created_at, started_at, parent_id) VALUES (?, ?, ?, ?, ?, 0, '[]', ?, ?, ?, ?)")
      .run(id, op, target, targetUuid, initial, user, now, options.queued ? null : now, options.parentId ?? null);
    const log: string[] = [];
    const startedAt = Date.now();
    const abort = new AbortController();
    let running = !options.queued;
    if (options.queued) this.waiting.set(target, (this.waiting.get(target) ?? new Set()).add(id));
    return withEventCause({ user, task: id }, (events) => {
      this.controllers.set(id, { abort, running: () => running, cancellableWhileRunning: CANCELLABLE_WHILE_RUNNING.has(op), events });
      this.events.record("task.created", vm, { task: id, op, state: initial, user });
      let lastProgressEvent = 0;
      const ctx: TaskContext = {
        id,
        signal: abort.signal,
        begin: () => {
          if (abort.signal.aborted) throw new TaskCancelled();
          if (running) return;
          running = true;
          this.stopWaiting(target, id);
          this.db.prepare("UPDATE tasks SET state = 'running', started_at = ? WHERE id = ?").run(new Date().toISOString(), id);
        },
        log: (line) => {
          log.push(`${new Date().toISOString()} ${line}`);
          this.db.prepare("UPDATE tasks SET log = ? WHERE id = ?").run(JSON.stringify(log), id);
        },
        progress: (percent) => {
          const clamped = Math.max(0, Math.min(100, percent));
          const eta = estimateEta(startedAt, clamped);
          this.db.prepare("UPDATE tasks SET progress = ?, eta = ? WHERE id = ?").run(clamped, eta, id);
          // Live, not stored: at most two a second per task, for progress bars.
          if (Date.now() - lastProgressEvent >= 500) {
            lastProgressEvent = Date.now();
            this.events.broadcast("task.progress", vm, { task: id, op, progress: clamped, eta });
          }
        },
        result: (value) => {
          this.db.prepare("UPDATE tasks SET result = ? WHERE id = ?").run(JSON.stringify(value), id);
        },
      };
      const task = this.get(id);
      void work(ctx).then(
        () => this.finish(id, "success", null),
        (error: unknown) => {
          if (error instanceof TaskCancelled || abort.signal.aborted) return this.finish(id, "cancelled", null);
          this.finish(id, "error", taskErrorAnswer(error));
        },
      );
      return task;
    });
  }

  get(id: string): Task {
    const row = this.db.prepare("SELECT * FROM tasks WHERE id = ?").get(id) as Row | undefined;
    if (!row) throw new VmctlError("task_not_found", `no task "${id}"; tasks are kept for a limited time`);
    return toTask(row);
  }

  list(filter: { target?: string; targetUuid?: string; state?: string; parent?: string; limit?: number } = {}): Task[] {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.parent) { where.push("parent_id = ?"); params.push(filter.parent); }
    if (filter.target) { where.push("target = ?"); params.push(filter.target); }
    if (filter.targetUuid) { where.push("target_uuid = ?"); params.push(filter.targetUuid); }
    if (filter.state) { where.push("state = ?"); params.push(filter.state); }
    const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC LIMIT ${Math.min(filter.limit ?? 100, 1000)}`;
    return (this.db.prepare(sql).all(...params) as Row[]).map(toTask);
  }

  /** Resolves with the task once it has ended, or as it is after waitMs. */
  async wait(id: string, waitMs: number): Promise<Task> {
    const task = this.get(id);
    if (ENDED.includes(task.state) || waitMs <= 0) return task;
    return new Promise((resolve) => {
      const done = (ended: Task) => { clearTimeout(timer); resolve(ended); };
      const timer = setTimeout(() => { this.changes.off(id, done); resolve(this.get(id)); }, waitMs);
      this.changes.once(id, done);
    });
  }

  /** Cancels a queued task, or a running one whose work can stop (a batch stops its queued children). */
  cancel(id: string): Task {
    const task = this.get(id);
    const control = this.controllers.get(id);
    if (ENDED.includes(task.state) || !control) throw new VmctlError("task_not_cancellable", `task ${id} has already ended (${task.state})`);
    if (control.running() && !control.cancellableWhileRunning) {
      throw new VmctlError("task_not_cancellable", `task ${id} (${task.op}) is already running and cannot stop halfway; only queued tasks, batches, copies (clone, import, export) and live migrations can be cancelled`);
    }
    control.abort.abort();
    // A queued task ends at once; its work sees the abort when it would have begun.
    if (!control.running()) this.finish(id, "cancelled", null);
    return this.get(id);
  }

  private stopWaiting(target: string, id: string): void {
    const ids = this.waiting.get(target);
    if (!ids?.delete(id) || ids.size > 0) return;
    this.waiting.delete(target);
  }

  private finish(id: string, state: TaskState, error: { code: string; message: string } | null): void {
    if (ENDED.includes(this.get(id).state)) return;
    const events = this.controllers.get(id)?.events;
    this.controllers.delete(id);
    this.stopWaiting(this.get(id).target, id);
    // A task that made its VM (an import) names the VM's uuid once there is one.
    const vm = vmOfTarget(this.get(id).target);
    const madeUuid = vm === null ? null : this.vmUuidOf(vm) ?? null;
    this.db.prepare("UPDATE tasks SET state = ?, error = ?, progress = CASE WHEN ? = 'success' THEN 100 ELSE progress END, eta = NULL, ended_at = ?, target_uuid = coalesce(target_uuid, ?) WHERE id = ?")
      .run(state, error ? JSON.stringify(error) : null, state, new Date().toISOString(), madeUuid, id);
    const task = this.get(id);
    // In the task's own context even when another request cancels it; what its work left running
    // (a QEMU process, its QMP socket) records nobody's events from now on.
    withEventCause({ user: task.user, task: id }, () => this.events.record("task.finished", vm, { task: id, op: task.op, state, ...(error ? { error } : {}) }));
    events?.end();
    this.changes.emit(id, task);
  }
}
