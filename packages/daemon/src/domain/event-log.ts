// Every state change, definition change, task end and error becomes a persisted event, and live
// listeners (the events WebSocket, per-VM status streams) hear it at once.
import { EventEmitter } from "node:events";
import type { VmctlEvent } from "@vmctl/api-types";
import type { Db } from "../store/database.js";
import { pruneLogBatch, type Prunable, type RetentionLimits } from "./retention.js";

interface Row { id: number; time: string; type: string; vm: string | null; data: string }

const toEvent = (row: Row): VmctlEvent => ({ id: row.id, time: row.time, type: row.type, vm: row.vm, data: JSON.parse(row.data) as Record<string, unknown> });

export interface EventQuery { vm?: string; type?: string; since?: number; limit?: number }

export class EventLog extends EventEmitter<{ event: [VmctlEvent]; live: [VmctlEvent] }> implements Prunable {
  private readonly insert;
  /** The id of the newest event: anything derived from VM state is stale once it grows. */
  lastId = 0;
  constructor(private readonly db: Db) {
    super();
    this.setMaxListeners(0);
    this.insert = db.prepare("INSERT INTO events (time, type, vm, data) VALUES (?, ?, ?, ?)");
  }

  record(type: string, vm: string | null, data: Record<string, unknown> = {}): VmctlEvent {
    const time = new Date().toISOString();
    const id = Number(this.insert.run(time, type, vm, JSON.stringify(data)).lastInsertRowid);
    const event: VmctlEvent = { id, time, type, vm, data };
    this.lastId = id;
    this.emit("event", event);
    return event;
  }

  /**
   * A live-only event (task progress), on its own channel: never stored, so its id repeats the
   * newest stored one, and a reader resuming with ?since= misses nothing it needs.
   */
  broadcast(type: string, vm: string | null, data: Record<string, unknown>): void {
    this.emit("live", { id: this.lastId, time: new Date().toISOString(), type, vm, data });
  }

  list(query: EventQuery = {}): VmctlEvent[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (query.vm) { where.push("vm = ?"); params.push(query.vm); }
    // "vm.*" is a prefix: LIKE with the user's own % and _ escaped, so only the one trailing % is a wildcard.
    if (query.type) {
      if (query.type.endsWith("*")) { where.push("type LIKE ? ESCAPE '\\'"); params.push(`${query.type.slice(0, -1).replace(/[\\%_]/g, "\\$&")}%`); }
      else { where.push("type = ?"); params.push(query.type); }
    }
    if (query.since !== undefined) { where.push("id > ?"); params.push(query.since); }
    const limit = Math.min(query.limit ?? 1000, 10_000);
    const filter = where.length ? `WHERE ${where.join(" AND ")}` : "";
    // After `since`: the oldest ones, so a reader resuming a stream misses nothing. Otherwise the newest.
    const sql = query.since !== undefined
      ? `SELECT * FROM events ${filter} ORDER BY id ASC LIMIT ${limit}`
      : `SELECT * FROM (SELECT * FROM events ${filter} ORDER BY id DESC LIMIT ${limit}) ORDER BY id ASC`;
    return (this.db.prepare(sql).all(...params) as Row[]).map(toEvent);
  }

  /** The id of the oldest event kept (retention prunes the old end), or null when there is none. */
  oldestId(): number | null {
    return (this.db.prepare("SELECT min(id) AS id FROM events").get() as { id: number | null }).id;
  }

  pruneBatch(limits: RetentionLimits, batch: number): number {
    return pruneLogBatch(this.db, "events", limits, batch);
  }
}
