// A user's first start of this release on a home the previous one (bbb3446) left: nothing is lost.
// The old release's database is rebuilt here as it wrote it, without the old build: its schema is
// the first OLD_SCHEMA_VERSION migrations, which this release keeps byte for byte (git diff bbb3446 --
// packages/daemon/src/store/database.ts adds migrations only), and the task and event rows are the
// old release's own shapes (copied from a run of bbb3446: plain uuid task ids without target_uuid,
// events without vm_uuid, runtime rows keyed by the VM's name). A VM runs through the switch: this
// release started it, vmctld stops with SIGTERM (QEMU keeps running), the home is put back into the
// old format, and this release starts again on it.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import WebSocket from "ws";
import { UUID_PATTERN } from "@vmctl/api-types";
import { MIGRATIONS } from "../../packages/daemon/src/store/database.js";
import { isAlive } from "../../packages/qemu/src/index.js";
import { TestHost, guestDefinition, waitForState } from "./harness.js";
import { https } from "./https-support.js";

/** The schema version bbb3446 left (its MIGRATIONS had seven entries). */
const OLD_SCHEMA_VERSION = 7;
const uuid = new RegExp(`^${UUID_PATTERN}$`);

let host: TestHost;
let carolToken = "";
let alphaPid = 0;
const uuids: Record<string, string> = {};

// Task ids and rows as bbb3446 stored them (a run of that release: vm.snapshot, vm.start, one cut off).
const OLD_TASKS = [
  { id: "8c348a45-7d7a-4543-af71-839b98d16799", op: "vm.snapshot", target: "vm/beta", state: "success", progress: 100, log: JSON.stringify(["2026-12-02T14:22:01.809Z snapshot \"snap1\" taken in 53 ms (1 disk)"]), created: "2026-12-02T14:22:01.738Z", ended: "2026-12-02T14:22:01.810Z" },
  { id: "397e1f51-f3a6-47c5-a63b-346abc43982e", op: "vm.start", target: "vm/alpha", state: "success", progress: 100, log: JSON.stringify(["2026-12-02T14:22:12.313Z QEMU running as pid 25083"]), created: "2026-12-02T14:22:11.993Z", ended: "2026-12-02T14:22:12.313Z" },
  { id: "c99b08e5-30f4-4829-874a-09f441a636c1", op: "vm.stop", target: "vm/beta", state: "running", progress: 0, log: "[]", created: "2026-12-02T14:22:25.000Z", ended: null },
];
// Events as bbb3446 wrote them (type, vm, data), in order.
const OLD_EVENTS: Array<[string, string | null, unknown]> = [
  ["host.started", null, { version: "0.1.0", vms: 0 }],
  ["vm.created", "alpha", { datastore: "local" }],
  ["task.created", "beta", { task: "8c348a45-7d7a-4543-af71-839b98d16799", op: "vm.snapshot", state: "queued", user: "root (unix socket)" }],
  ["vm.snapshot_created", "beta", { snapshot: "snap1", memory: false }],
  ["task.finished", "beta", { task: "8c348a45-7d7a-4543-af71-839b98d16799", op: "vm.snapshot", state: "success" }],
  ["vm.template_marked", "tmpl", {}],
  ["vm.state", "alpha", { from: "stopped", to: "starting" }],
  ["vm.state", "alpha", { from: "starting", to: "running", pid: 25083, accel: "tcg" }],
  ["vm.state", "beta", { from: "stopping", to: "stopped", reason: "host-stop", detail: "QEMU stopped by the host (host-qmp-quit)" }],
  ["vm.cloned", "linked1", { source: "tmpl", linked: true, snapshot: null }],
  ["vm.destroyed", "gone", { keepDisks: false, kept: [], uuid: "0f0e0d0c-0b0a-4908-8706-050403020100" }],
];

/** Rewrites the home's database into what bbb3446 had: old schema, rows by name, no host id. */
function makeOldDatabase(home: string): void {
  const path = join(home, "vmctld.db");
  const current = new Database(path, { readonly: true });
  const runtime = current.prepare("SELECT * FROM vm_runtime").all() as Array<Record<string, unknown>>;
  const copy = (table: string) => current.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>;
  const kept = Object.fromEntries(["users", "tokens", "roles", "grants", "datastores", "audit"].map((t) => [t, copy(t)]));
  const meta = copy("meta").filter((row) => row.key !== "host_id");
  current.close();
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });

  const old = new Database(path);
  old.pragma("journal_mode = WAL");
  for (const migration of MIGRATIONS.slice(0, OLD_SCHEMA_VERSION)) old.exec(migration);
  old.pragma(`user_version = ${OLD_SCHEMA_VERSION}`);
  const insert = (table: string, row: Record<string, unknown>) => {
    const columns = Object.keys(row);
    old.prepare(`INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`).run(...columns.map((c) => row[c]));
  };
  for (const [table, rows] of Object.entries(kept)) for (const row of rows) insert(table, row);
  for (const row of meta) insert("meta", row);
  // Runtime rows by name, as bbb3446 kept them; one of a VM destroyed since (no longer in any datastore).
  for (const { uuid: _uuid, ...row } of runtime) insert("vm_runtime", row);
  insert("vm_runtime", { name: "gone", state: "crashed", pid: null, started_at: null, last_change: "2026-12-01T10:00:00.000Z", last_exit_reason: "crash", accel: "tcg" });
  for (const t of OLD_TASKS) {
    insert("tasks", { id: t.id, op: t.op, target: t.target, state: t.state, progress: t.progress, eta: null, log: t.log, error: null, user: "root (unix socket)", created_at: t.created, started_at: t.created, ended_at: t.ended, parent_id: null });
  }
  OLD_EVENTS.forEach(([type, vm, data], i) => insert("events", { time: new Date(Date.parse("2026-12-02T14:21:50.000Z") + i * 1000).toISOString(), type, vm, data: JSON.stringify(data) }));
  old.close();
}

beforeAll(async () => {
  host = await TestHost.start();
  const disk = (name: string) => ({ disks: { disk0: { file: `${name}/disk0.qcow2`, size: "64MiB" } } });
  for (const name of ["alpha", "beta", "tmpl"]) uuids[name] = (await host.client.createVm(guestDefinition(name, disk(name)))).uuid!;
  await host.client.waitTask((await host.client.call<{ id: string }>("POST", "/api/v1/vms/beta/snapshots", { name: "snap1" })).id);
  await host.client.call("POST", "/api/v1/vms/tmpl/template");
  await host.client.call("POST", "/api/v1/users", { username: "carol", password: "carol-password-1", role: "ReadOnly" });
  await host.client.call("PUT", "/api/v1/users/carol/grants/alpha", { role: "Operator" });
  carolToken = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "ci", role: "Operator", expires: null, user: "carol" })).token;
  await host.client.waitTask((await host.client.power("alpha", { action: "start" })).id);
  alphaPid = host.qemuPid("alpha")!;

  // vmctld goes away as a package upgrade stops it; QEMU keeps running.
  const daemon = host.daemon!;
  const exited = new Promise((r) => daemon.once("exit", r));
  daemon.kill("SIGTERM");
  await exited;
  expect(isAlive(alphaPid)).toBe(true);
  makeOldDatabase(host.home);
  // A VM written by hand that the old release listed but never wrote back: no uuid yet.
  const dir = join(host.home, "datastores", "local", "handmade");
  mkdirSync(dir, { recursive: true });
  const boot = guestDefinition("handmade").boot!;
  writeFileSync(join(dir, "handmade.toml"), `# written by hand\nname = "handmade"\nmemory = "128MiB"\n\n[boot]\ndatastore = "images"\nkernel = "${boot.kernel}"\ninitrd = "${boot.initrd}"\ncmdline = "${boot.cmdline}"\n`);

  await host.startDaemon();
});
afterAll(async () => { await host?.close(); });

describe("upgrade from the previous release (bbb3446's home)", () => {
  it("migrates the database, gives the host an id and moves every runtime row to its VM's uuid", async () => {
    const db = new Database(join(host.home, "vmctld.db"), { readonly: true });
    try {
      expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
      expect(db.prepare("SELECT count(*) AS n FROM vm_runtime_by_name").get()).toEqual({ n: 0 });
      const rows = db.prepare("SELECT uuid, name FROM vm_runtime ORDER BY name").all() as Array<{ uuid: string; name: string }>;
      expect(rows.filter((r) => r.name !== "handmade")).toEqual(["alpha", "beta", "tmpl"].map((name) => ({ uuid: uuids[name], name })));
      expect(rows.some((r) => r.name === "gone")).toBe(false);
    } finally {
      db.close();
    }
    expect((await host.client.host()).id).toMatch(uuid);
  });

  it("re-attaches the VM the old release left running, with its pid, and it stops", async () => {
    const alpha = await host.client.getVm("alpha");
    expect(alpha).toMatchObject({ state: "running", pid: alphaPid, uuid: uuids.alpha });
    expect((await host.client.listEvents({ type: "vm.reattached" })).map((e) => [e.vm, e.vmUuid])).toEqual([["alpha", uuids.alpha]]);
    const stop = await host.client.waitTask((await host.client.power("alpha", { action: "stop", force: true })).id);
    expect(stop.state).toBe("success");
    await waitForState(host.client, "alpha", "stopped");
    expect(isAlive(alphaPid)).toBe(false);
  });

  it("gives a VM without a uuid one, written to its definition and listed", async () => {
    const text = readFileSync(join(host.home, "datastores", "local", "handmade", "handmade.toml"), "utf8");
    const written = /^uuid = "([^"]+)"$/m.exec(text)?.[1];
    expect(written).toMatch(uuid);
    expect(text.startsWith("# written by hand\n")).toBe(true);
    const listed = await host.client.listVms();
    expect(listed.map((vm) => [vm.name, vm.uuid])).toEqual([["alpha", uuids.alpha], ["beta", uuids.beta], ["handmade", written], ["tmpl", uuids.tmpl]]);
  });

  it("lists and resolves the old release's tasks; the one a restart cut off ended as an error", async () => {
    const tasks = await host.client.listTasks({ limit: 500 });
    for (const old of OLD_TASKS) expect(tasks.map((t) => t.id)).toContain(old.id);
    expect(await host.client.getTask(OLD_TASKS[1]!.id)).toMatchObject({ id: OLD_TASKS[1]!.id, op: "vm.start", target: "vm/alpha", state: "success", targetUuid: null });
    expect(await host.client.getTask(OLD_TASKS[2]!.id)).toMatchObject({ state: "error", error: { message: expect.stringContaining("vmctld restarted") } });
    expect((await host.client.listTasks({ target: "vm/beta" })).map((t) => t.id)).toEqual(expect.arrayContaining([OLD_TASKS[0]!.id, OLD_TASKS[2]!.id]));
  });

  it("lists the old release's events as their own types, over GET /events and the /ws/events replay", async () => {
    const hostId = (await host.client.host()).id;
    const events = await host.client.listEvents({ limit: 500 });
    const old = events.slice(0, OLD_EVENTS.length);
    expect(old.map((e) => [e.id, e.type, e.vm])).toEqual(OLD_EVENTS.map(([type, vm], i) => [i + 1, type, vm]));
    expect(old.every((e) => e.host === hostId && e.uid === `${hostId}:${e.id}`)).toBe(true);
    expect(events.filter((e) => (e.type as string) === "event.unrecognized")).toEqual([]);

    const socket = new WebSocket(`ws+unix://${join(host.home, "vmctld.sock")}:/ws/events?since=0`);
    const replayed: Array<{ type: string; data: { id: number; type: string } }> = [];
    await new Promise<void>((resolve, reject) => {
      socket.on("message", (raw) => {
        replayed.push(JSON.parse(raw.toString()) as (typeof replayed)[number]);
        if (replayed.length === events.length) resolve();
      });
      socket.on("error", reject);
      socket.on("close", (code) => reject(new Error(`/ws/events closed with ${code} after ${replayed.length} messages`)));
    });
    socket.removeAllListeners("close");
    socket.close();
    expect(replayed.map((m) => [m.type, m.data.id, m.data.type])).toEqual(events.map((e) => ["event", e.id, e.type]));
  });

  it("keeps users, per-VM grants and tokens: carol's token may power alpha and not beta", async () => {
    const as = (method: string, path: string, body?: unknown) => https(host.port, method, path, { token: carolToken, ...(body === undefined ? {} : { rawBody: JSON.stringify(body), type: "application/json" }) });
    const me = await as("GET", "/api/v1/me");
    expect(me.status).toBe(200);
    expect(me.json().privileges.vms.alpha).toContain("vm.power");
    expect((await as("POST", "/api/v1/vms/beta/power", { action: "start" })).status).toBe(403);
    const start = await as("POST", "/api/v1/vms/alpha/power", { action: "start" });
    expect(start.status).toBe(202);
    expect(start.json().targetUuid).toBe(uuids.alpha);
    expect((await host.client.waitTask(start.json().id as string)).state).toBe("success");
    expect((await host.client.waitTask((await host.client.power("alpha", { action: "stop", force: true })).id)).state).toBe("success");
  });

  it("serves everything the Host Client reads", async () => {
    for (const path of ["host", "me", "users", "roles", "tokens", "audit", "datastores", "isos", "vms", "vms/alpha", "vms/handmade", "vms/tmpl",
      "vms/beta/snapshots", "vms/alpha/disks", "tasks", "events", "datastores/local/files/"]) {
      const answer = await host.client.call("GET", `/api/v1/${path}`).then(() => 200, (error: { status?: number; message: string }) => `${error.status}: ${error.message}`);
      expect([path, answer]).toEqual([path, 200]);
    }
    expect((await host.client.call<{ snapshots: Array<{ name: string }> }>("GET", "/api/v1/vms/beta/snapshots")).snapshots.map((s) => s.name)).toEqual(["snap1"]);
    expect((await host.client.getDefinition("alpha")).text).toContain(`uuid = "${uuids.alpha}"`);
  });
});
