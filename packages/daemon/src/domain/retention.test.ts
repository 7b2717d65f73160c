import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { openDatabase, type Db } from "../store/database.js";
import { EventLog } from "./event-log.js";
import type { VmctlEvent } from "@vmctl/api-types";
import { TaskManager } from "./task-manager.js";
import { AuditLog } from "../security/audit-log.js";
import { pruneAll, RetentionPruner } from "./retention.js";
import { startRetention } from "./host-retention.js";
import type { HostConfig } from "../config/host-config.js";
import type { Logger } from "pino";

const DAY = 24 * 3600_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

let db: Db;
let events: EventLog;
beforeEach(() => {
  db = openDatabase(":memory:");
  events = new EventLog(db);
});
afterEach(() => db.close());

function addEvents(count: number, time: string): void {
  const insert = db.prepare("INSERT INTO events (time, type, vm, data) VALUES (?, 'vm.state', 'web01', '{}')");
  db.transaction(() => { for (let i = 0; i < count; i++) insert.run(time); })();
}
const ids = (table: string) => (db.prepare(`SELECT id FROM ${table} ORDER BY id`).all() as Array<{ id: number | string }>).map((r) => r.id);

describe("retention", () => {
  it("drops events beyond the row cap, oldest first, keeping the newest and their ids", async () => {
    addEvents(2500, new Date().toISOString());
    const deleted = await pruneAll({ events: { table: events, limits: { maxAgeMs: 30 * DAY, maxRows: 1000 } } }, 300);
    expect(deleted).toEqual({ events: 1500 });
    expect(ids("events")).toEqual(Array.from({ length: 1000 }, (_, i) => 1501 + i));
    // New events go on from the newest id: AUTOINCREMENT never reuses a pruned one.
    expect(events.record("vm.state", "web01").id).toBe(2501);
  });

  it("drops events older than the age and keeps the recent ones, even far more than one batch of each", async () => {
    addEvents(700, daysAgo(40));
    addEvents(50, daysAgo(29));
    addEvents(20, new Date().toISOString());
    const deleted = await pruneAll({ events: { table: events, limits: { maxAgeMs: 30 * DAY, maxRows: 200_000 } } }, 64);
    expect(deleted.events).toBe(700);
    expect(ids("events")).toEqual(Array.from({ length: 70 }, (_, i) => 701 + i));
    expect(events.oldestId()).toBe(701);
  });

  it("after pruning, events since a pruned id start at the oldest kept one", async () => {
    addEvents(100, daysAgo(40));
    addEvents(5, new Date().toISOString());
    await pruneAll({ events: { table: events, limits: { maxAgeMs: 30 * DAY, maxRows: 1000 } } });
    expect(events.list({ since: 3 }).map((e) => e.id)).toEqual([101, 102, 103, 104, 105]);
    expect(events.list({ since: 103 }).map((e) => e.id)).toEqual([104, 105]);
  });

  it("prunes the audit log by age and by cap", async () => {
    const audit = new AuditLog(db);
    const insert = db.prepare("INSERT INTO audit (time, user, source, action, target, result, status) VALUES (?, 'admin', '127.0.0.1', 'POST /api/v1/vms', 'web01', 'ok', 201)");
    for (let i = 0; i < 30; i++) insert.run(daysAgo(100));
    for (let i = 0; i < 1200; i++) insert.run(daysAgo(1));
    const deleted = await pruneAll({ audit: { table: audit, limits: { maxAgeMs: 90 * DAY, maxRows: 1000 } } }, 100);
    expect(deleted.audit).toBe(230);
    expect(ids("audit")).toEqual(Array.from({ length: 1000 }, (_, i) => 231 + i));
    expect(audit.list({ limit: 1 })[0]!.id).toBe(1230);
  });

  it("prunes ended tasks by age and cap, never a queued or running one", async () => {
    const tasks = new TaskManager(db, events);
    const insert = db.prepare("INSERT INTO tasks (id, op, target, state, user, created_at, ended_at) VALUES (?, 'vm.start', 'vm/web01', ?, 'admin', ?, ?)");
    insert.run("old-running", "running", daysAgo(30), null);
    insert.run("old-queued", "queued", daysAgo(30), null);
    for (let i = 0; i < 10; i++) insert.run(`old-${i}`, "success", daysAgo(10), daysAgo(9));
    for (let i = 0; i < 10; i++) insert.run(`new-${i}`, "success", daysAgo(0.2), new Date(Date.now() - 3600_000 + i * 1000).toISOString());
    const deleted = await pruneAll({ tasks: { table: tasks, limits: { maxAgeMs: 7 * DAY, maxRows: 6 } } }, 3);
    expect(deleted.tasks).toBe(14);
    expect(ids("tasks").sort()).toEqual(["new-4", "new-5", "new-6", "new-7", "new-8", "new-9", "old-queued", "old-running"]);
  });

  it("gives the event loop a turn between batches, and stops when told", async () => {
    addEvents(1000, daysAgo(40));
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    let batches = 0;
    const counting = { pruneBatch: (limits: { maxAgeMs: number; maxRows: number }, batch: number) => { batches++; return events.pruneBatch(limits, batch); } };
    await pruneAll({ events: { table: counting, limits: { maxAgeMs: DAY, maxRows: 1000 } } }, 100);
    clearInterval(ticker);
    expect(batches).toBe(11); // ten of 100, then one that finds nothing
    expect(turns).toBeGreaterThan(0);

    addEvents(1000, daysAgo(40));
    let stop = false;
    const stopping = { pruneBatch: (limits: { maxAgeMs: number; maxRows: number }, batch: number) => { stop = true; return events.pruneBatch(limits, batch); } };
    expect(await pruneAll({ events: { table: stopping, limits: { maxAgeMs: DAY, maxRows: 1000 } } }, 100, () => stop)).toEqual({ events: 100 });
  });

  it("the pruner runs at start, one pass at a time, and reports what it deleted", async () => {
    addEvents(10, daysAgo(40));
    const reports: Array<Record<string, number>> = [];
    const pruner = new RetentionPruner(() => ({ events: { table: events, limits: { maxAgeMs: DAY, maxRows: 1000 } } }), (d) => reports.push(d), (e) => { throw e; });
    pruner.start();
    const again = pruner.run();
    await again;
    pruner.stop();
    expect(reports).toEqual([{ events: 10 }]);
    await pruner.run();
    expect(reports).toHaveLength(1); // stopped: no more passes
  });
});

describe("vmctld's retention at start", () => {
  it("prunes events, audit, tasks, expired sessions and stale login-failure counts, keeping what is current", async () => {
    addEvents(3, daysAgo(40));
    addEvents(2, daysAgo(1));
    db.prepare("INSERT INTO users (name, password_hash, role, created_at) VALUES ('rita', 'x', 'ReadOnly', ?)").run(daysAgo(9));
    const session = db.prepare("INSERT INTO sessions (id_hash, user, csrf, created_at, expires_at) VALUES (?, 'rita', 'c', ?, ?)");
    session.run("expired", daysAgo(2), daysAgo(1));
    session.run("live", daysAgo(0.1), new Date(Date.now() + 3600_000).toISOString());
    const failure = db.prepare("INSERT INTO login_failures (key, count, locked_until) VALUES (?, ?, ?)");
    failure.run("guess-1|10.0.0.9", 1, null);
    failure.run("rita|10.0.0.9", 9, new Date(Date.now() + 600_000).toISOString());
    failure.run("rita|10.0.0.8", 6, new Date(Date.now() - 3600_000).toISOString());
    const logs: unknown[] = [];
    const log = { info: (...args: unknown[]) => logs.push(args), error: (...args: unknown[]) => { throw new Error(String(args[1])); } } as unknown as Logger;
    const config = { taskRetentionMs: 7 * DAY, retention: { events: { maxAgeMs: 30 * DAY, maxRows: 1000 }, audit: { maxAgeMs: 90 * DAY, maxRows: 1000 } } } as HostConfig;
    const pruner = startRetention({ config, db, events, audit: new AuditLog(db), tasks: new TaskManager(db, events), log });
    await pruner.run();
    pruner.stop();
    expect(ids("events")).toEqual([4, 5]);
    expect((db.prepare("SELECT id_hash FROM sessions").all() as Array<{ id_hash: string }>).map((r) => r.id_hash)).toEqual(["live"]);
    expect((db.prepare("SELECT key FROM login_failures").all() as Array<{ key: string }>).map((r) => r.key)).toEqual(["rita|10.0.0.9"]);
    expect(logs).toHaveLength(1);
  });
});

describe("event type filter", () => {
  it("treats only a trailing * as a wildcard: the user's % and _ are literal", () => {
    events.record("vm.state", "a", { from: "stopped", to: "starting" });
    // No such type is declared: it lists as event.unrecognized, with the type it was stored with.
    events.record("vm_state" as "vm.definition_changed", "b");
    events.record("vm.definition_changed", "c");
    const stored = (e: VmctlEvent) => (e.type === "event.unrecognized" ? e.data.type : e.type);
    expect(events.list({ type: "vm.*" }).map(stored)).toEqual(["vm.state", "vm.definition_changed"]);
    expect(events.list({ type: "vm_*" }).map(stored)).toEqual(["vm_state"]);
    expect(events.list({ type: "%*" })).toEqual([]);
    expect(events.list({ type: "*" })).toHaveLength(3);
  });
});
