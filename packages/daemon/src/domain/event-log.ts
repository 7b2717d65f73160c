// Every state change, definition change, task end and error becomes a persisted event, and live
// listeners (the events WebSocket, per-VM status streams) hear it at once. The numeric id is this
// host's cursor (?since=); `host` and `uid` ("<host>:<id>") make an event unique among several
// hosts', and `vmUuid` tells apart a VM made again under the same name (`vm`).
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { EVENT_DATA, EVENT_TYPES, type EventData, type EventType, type LIVE_EVENT_TYPES, type VmctlEvent } from "@vmctl/api-types";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { Db } from "../store/database.js";
import { pruneLogBatch, type Prunable, type RetentionLimits } from "./retention.js";
import { hostIdOf } from "./host-identity.js";
import { currentEventCause, type EventCause } from "./event-context.js";

interface Row { id: number; time: string; type: EventType; vm: string | null; vm_uuid: string | null; user: string | null; task: string | null; data: string }

/**
 * The VM an event is about: its name (its uuid then comes from the inventory), or name and uuid
 * when the inventory no longer knows it (a VM just destroyed).
 */
export type EventVm = string | null | { name: string; uuid: string | undefined };

export interface EventIdentity {
  /** This host's id (default: the one kept in the database). */
  hostId?: string;
  /** The uuid of the VM of this name now, if there is one. */
  vmUuidOf?: (name: string) => string | undefined;
}

export interface EventQuery { vm?: string; vmUuid?: string; type?: string; since?: number; limit?: number }

const dataCheckers = new Map(EVENT_TYPES.map((type) => [type as string, TypeCompiler.Compile(EVENT_DATA[type])]));

/** A row's data when it matches what its type declares now; else why not (an older vmctld's row, a hand edit). */
function storedData(row: Row): EventData<EventType> | string {
  const checker = dataCheckers.get(row.type);
  if (!checker) return `no event type "${row.type}" in this version`;
  let data: unknown;
  try { data = JSON.parse(row.data); } catch { return "its data is not JSON"; }
  if (checker.Check(data)) return data as EventData<EventType>;
  const first = checker.Errors(data).First();
  return first ? `${first.path.replace(/^\//, "").replace(/\//g, ".") || "data"}: ${first.message}` : "its data does not match";
}

export class EventLog extends EventEmitter<{ event: [VmctlEvent]; live: [VmctlEvent] }> implements Prunable {
  private readonly insert;
  /** The id of the newest event: anything derived from VM state is stale once it grows. */
  lastId = 0;
  readonly hostId: string;
  private readonly vmUuidOf: (name: string) => string | undefined;
  constructor(private readonly db: Db, identity: EventIdentity = {}) {
    super();
    this.setMaxListeners(0);
    this.insert = db.prepare("INSERT INTO events (time, type, vm, vm_uuid, user, task, data) VALUES (?, ?, ?, ?, ?, ?, ?)");
    this.hostId = identity.hostId ?? hostIdOf(db);
    this.vmUuidOf = identity.vmUuidOf ?? (() => undefined);
  }

  /** Stored by record() below, which takes only the declared shape of each type (@vmctl/api-types' events-wire.ts). */
  private toEvent(row: Row): VmctlEvent {
    const data = storedData(row);
    const cause = { user: row.user ?? null, task: row.task ?? null };
    if (typeof data === "string") {
      return this.eventOf(row.id, `${this.hostId}:${row.id}`, row.time, "event.unrecognized", row.vm, row.vm_uuid, cause, { type: row.type, json: row.data, why: data });
    }
    return this.eventOf(row.id, `${this.hostId}:${row.id}`, row.time, row.type, row.vm, row.vm_uuid, cause, data);
  }

  /** An event of one type, as a stream listener gets it. */
  private eventOf<T extends EventType>(id: number, uid: string, time: string, type: T, vm: string | null, vmUuid: string | null, cause: EventCause, data: EventData<T>): VmctlEvent {
    return { id, host: this.hostId, uid, time, type, vm, vmUuid, user: cause.user, task: cause.task, data } as VmctlEvent;
  }

  private vmOf(vm: EventVm): { name: string | null; uuid: string | null } {
    if (vm === null) return { name: null, uuid: null };
    if (typeof vm === "string") return { name: vm, uuid: this.vmUuidOf(vm) ?? null };
    return { name: vm.name, uuid: vm.uuid ?? null };
  }

  /**
   * Every event type's data is declared in @vmctl/api-types (events-wire.ts): a new one goes there
   * first. Who caused it and its task come from the work recording it (event-context.ts).
   */
  record<T extends EventType>(type: T, vm: EventVm, ...[data]: object extends EventData<T> ? [data?: EventData<T>] : [data: EventData<T>]): VmctlEvent {
    const time = new Date().toISOString();
    const given = data ?? ({} as EventData<T>);
    const { name, uuid } = this.vmOf(vm);
    const cause = currentEventCause();
    const id = Number(this.insert.run(time, type, name, uuid, cause.user, cause.task, JSON.stringify(given)).lastInsertRowid);
    const event = this.eventOf(id, `${this.hostId}:${id}`, time, type, name, uuid, cause, given);
    this.lastId = id;
    this.emit("event", event);
    return event;
  }

  /**
   * A live-only event (task progress), on its own channel: never stored, so its id repeats the
   * newest stored one, and a reader resuming with ?since= misses nothing it needs.
   */
  broadcast<T extends (typeof LIVE_EVENT_TYPES)[number]>(type: T, vm: string | null, data: EventData<T>): void {
    const { name, uuid } = this.vmOf(vm);
    this.emit("live", this.eventOf(this.lastId, `${this.hostId}:live:${randomUUID()}`, new Date().toISOString(), type, name, uuid, currentEventCause(), data));
  }

  list(query: EventQuery = {}): VmctlEvent[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (query.vm) { where.push("vm = ?"); params.push(query.vm); }
    if (query.vmUuid) { where.push("vm_uuid = ?"); params.push(query.vmUuid); }
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
    return (this.db.prepare(sql).all(...params) as Row[]).map((row) => this.toEvent(row));
  }

  /** The id of the oldest event kept (retention prunes the old end), or null when there is none. */
  oldestId(): number | null {
    return (this.db.prepare("SELECT min(id) AS id FROM events").get() as { id: number | null }).id;
  }

  pruneBatch(limits: RetentionLimits, batch: number): number {
    return pruneLogBatch(this.db, "events", limits, batch);
  }
}
