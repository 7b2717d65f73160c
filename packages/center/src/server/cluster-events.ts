// Cluster events: written to etcd under events/<ISO time>-<random> (so a prefix range reads them in
// order), capped at MAX_EVENTS with the oldest deleted, and heard by every replica through a watch
// for its /ws/events subscribers. An event's id is its etcd revision (increasing across replicas);
// `host` is the cluster id, so it merges with the hosts' own events by host and id.
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { Watcher } from "etcd3";
import type { EventQuery } from "@vmctl/api-types";
import { keys } from "../cluster-keys.js";
import type { ClusterStore } from "../cluster-store.js";
import type { ClusterEvents } from "../center-context.js";

export const MAX_EVENTS = 2000;
const PRUNE_EVERY = 50;

/** An event as vmcenter answers it: the host event shape (events-wire.ts) with cluster types. */
export interface ClusterEvent {
  id: number; host: string; uid: string; time: string; type: string;
  vm: string | null; vmUuid: string | null; user: string | null; task: string | null;
  data: Record<string, unknown>;
}
type StoredEvent = Omit<ClusterEvent, "id" | "uid">;

/** Whether an event passes the host's event filters (vm, vmUuid, type or "prefix*"). */
export function eventMatches(event: { vm: string | null; vmUuid: string | null; type: string }, query: EventQuery): boolean {
  if (query.vm && event.vm !== query.vm) return false;
  if (query.vmUuid && event.vmUuid !== query.vmUuid) return false;
  if (query.type) return query.type.endsWith("*") ? event.type.startsWith(query.type.slice(0, -1)) : event.type === query.type;
  return true;
}

export class EtcdClusterEvents implements ClusterEvents {
  private readonly live = new EventEmitter();
  private watcher: Watcher | undefined;
  private written = 0;

  constructor(private readonly store: ClusterStore, private readonly clusterId: string, private readonly logger: Logger) {
    this.live.setMaxListeners(0);
  }

  async open(): Promise<void> {
    this.watcher = await this.store.etcd.watch().prefix(keys.events()).create();
    this.watcher.on("put", (kv) => {
      try {
        this.live.emit("event", this.build(JSON.parse(kv.value.toString()) as StoredEvent, kv.mod_revision));
      } catch {
        // a record that does not parse is skipped
      }
    });
    this.watcher.on("error", () => {});
  }

  async close(): Promise<void> {
    await this.watcher?.cancel().catch(() => {});
  }

  onEvent(listener: (event: ClusterEvent) => void): () => void {
    this.live.on("event", listener);
    return () => { this.live.off("event", listener); };
  }

  async emit(type: string, fields: { target?: string; targetUuid?: string | null; user?: string; task?: string | null; message: string; data?: Record<string, unknown> }): Promise<void> {
    const time = new Date().toISOString();
    const vm = fields.target?.startsWith("vm/") ? fields.target.slice(3) : null;
    const event: StoredEvent = {
      host: this.clusterId, time, type, vm, vmUuid: fields.targetUuid ?? null, user: fields.user ?? null, task: fields.task ?? null,
      data: { ...(fields.data ?? {}), message: fields.message, ...(fields.target ? { target: fields.target } : {}) },
    };
    await this.store.put(keys.event(`${time}-${randomBytes(4).toString("hex")}`), event);
    if (++this.written % PRUNE_EVERY === 1) void this.prune().catch((error: unknown) => this.logger.warn({ err: error }, "could not prune cluster events"));
  }

  /** Stored cluster events, oldest first: after `since` the oldest ones, otherwise the newest `limit`. */
  async list(query: EventQuery = {}): Promise<ClusterEvent[]> {
    const all = (await this.store.list<StoredEvent>(keys.events())).map((entry) => this.build(entry.value, entry.modRevision));
    const matching = all.filter((event) => eventMatches(event, query) && (query.since === undefined || event.id > query.since)).sort((a, b) => a.id - b.id);
    const limit = Math.min(query.limit ?? 1000, 10_000);
    return query.since === undefined ? matching.slice(-limit) : matching.slice(0, limit);
  }

  /** Deletes the oldest events beyond MAX_EVENTS. */
  async prune(): Promise<void> {
    const count = await this.store.etcd.getAll().prefix(keys.events()).count();
    if (count <= MAX_EVENTS) return;
    const oldest = await this.store.etcd.getAll().prefix(keys.events()).sort("Key", "Ascend").limit(count - MAX_EVENTS).keys();
    for (const key of oldest) await this.store.delete(key);
  }

  private build(stored: StoredEvent, revision: string): ClusterEvent {
    const id = Number(revision);
    return { id, uid: `${this.clusterId}:${id}`, ...stored, host: this.clusterId };
  }
}
