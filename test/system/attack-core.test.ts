// Attacks on the core rebuilt in issue 11, over real HTTPS (and the unix socket where root floods):
// PUT /vms/{name}/state by users who may not power the VM, a flood of it, the VM's uuid edited or
// copied, odd task ids, consoles that wait for a stopped VM, hostile JSON on the definition routes
// (which skip Fastify's validator), the /ui redirect, and `vmctl __complete` against a hung vmctld.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createServer, type Server, type Socket } from "node:net";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { TestHost, waitForState } from "./harness.js";
import { isAlive } from "../../packages/qemu/src/index.js";
import { https, login, openWs, type Credentials } from "./https-support.js";
import { UUID_PATTERN } from "../../packages/api-types/src/index.js";

const run = promisify(execFile);
let host: TestHost;
const call = (method: string, path: string, options: Parameters<typeof https>[3] = {}) => https(host.port, method, path, options);
const tokens: Record<string, string> = {};

interface AuditEntry { user: string; action: string; target: string | null; result: string; status: number }
const audit = async () => (await host.client.call<{ entries: AuditEntry[] }>("GET", "/api/v1/audit?limit=1000")).entries;
const stateOf = async (name: string) => (await host.client.getVm(name)).state;
const tasksOf = async (name: string) => (await host.client.listTasks({ target: `vm/${name}` })).length;

async function token(user: string, role: string): Promise<string> {
  return (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: `${user}-${role}-${Math.random().toString(36).slice(2, 8)}`, role, expires: null, user })).token;
}

beforeAll(async () => {
  host = await TestHost.start();
  for (const name of ["target", "other", "ident"]) await host.client.createVm({ name, memory: "64MiB" });
  // No guest answers the power button here: a stop escalates to quit after stop_timeout.
  await host.client.createVm({ name: "flood", memory: "64MiB", policy: { stop_timeout: 1 } });
  await host.client.call("POST", "/api/v1/users", { username: "rob", password: "rob-password", role: "ReadOnly" });
  await host.client.call("POST", "/api/v1/users", { username: "opal", password: "opal-password", role: "ReadOnly" });
  await host.client.call("PUT", "/api/v1/users/opal/grants/other", { role: "Operator" });
  await host.client.call("POST", "/api/v1/users", { username: "otto", password: "otto-password", role: "Operator" });
  tokens.rob = await token("rob", "ReadOnly");
  tokens.otto = await token("otto", "Operator");
});
afterAll(async () => { await host?.close(); });

describe("PUT /api/v1/vms/{name}/state is refused to whoever may not power that VM", () => {
  const put = (name: string, credentials: Credentials, extra: Parameters<typeof https>[3] = {}) => call("PUT", `/api/v1/vms/${name}/state`, { ...credentials, body: { state: "running" }, ...extra });

  it("a ReadOnly session, and a user whose grant is on another VM only: 403 naming vm.power and the VM, audited, nothing started", async () => {
    const rob = await login(host.port, "rob", "rob-password");
    const refused = await put("target", rob);
    expect(refused.status).toBe(403);
    expect(refused.json().error).toMatchObject({ code: "forbidden", details: { privilege: "vm.power", vm: "target" } });
    const opal = await login(host.port, "opal", "opal-password");
    const elsewhere = await put("target", opal);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.json().error.message).toContain('lacks the privilege "vm.power" on VM "target"');
    // The control: her grant works on its own VM (stopped already: 200, nothing to do).
    const own = await call("PUT", "/api/v1/vms/other/state", { ...opal, body: { state: "stopped" } });
    expect(own.status).toBe(200);
    expect(own.json()).toMatchObject({ name: "other", state: "stopped" });
    const entries = (await audit()).filter((e) => e.action === "PUT /api/v1/vms/:name/state" && e.target === "target");
    expect(entries.map((e) => [e.user, e.result, e.status])).toEqual(expect.arrayContaining([["rob", "refused", 403], ["opal", "refused", 403]]));
    expect(await stateOf("target")).toBe("stopped");
    expect(await tasksOf("target")).toBe(0);
  });

  it("a session without its CSRF token, a revoked token, and a console or monitor ticket are no credential for it", async () => {
    const otto = await login(host.port, "otto", "otto-password");
    const noCsrf = await put("target", { cookie: otto.cookie });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json().error.code).toBe("csrf_failed");

    const made = await host.client.call<{ token: string; id: string }>("POST", "/api/v1/tokens", { name: "otto-soon-revoked", role: "Operator", expires: null, user: "otto" });
    await host.client.call("DELETE", `/api/v1/tokens/${made.id}`);
    const revoked = await put("target", { token: made.token });
    expect(revoked.status).toBe(401);
    expect(revoked.json().error.message).toContain("revoked");

    for (const purpose of ["monitor", "console"] as const) {
      const minted = await call("POST", "/api/v1/vms/target/console", { token: tokens.otto!, body: { purpose } });
      expect(minted.status).toBe(200);
      const ticket = minted.json().ticket as string;
      const asTicket = await call("PUT", `/api/v1/vms/target/state?ticket=${ticket}`, { body: { state: "running" } });
      expect(asTicket.status, purpose).toBe(401);
      const upgraded = await call("PUT", `/api/v1/vms/target/state?ticket=${ticket}`, { body: { state: "running" }, headers: { upgrade: "websocket", connection: "upgrade" } });
      expect(upgraded.status, purpose).toBe(401);
    }
    expect(await stateOf("target")).toBe("stopped");
    expect(await tasksOf("target")).toBe(0);
  });
});

describe("a flood of PUT /state is bounded", () => {
  it("500 PUTs at once on a stopped VM queue at most MAX_QUEUED_PER_TARGET (16) tasks beside the one running; the rest are 429 naming the bound, or 200 once it runs", async () => {
    const answers = await Promise.all(Array.from({ length: 500 }, () => host.client.raw("PUT", "/api/v1/vms/flood/state", { type: "application/json", text: '{"state":"running"}' })));
    const byStatus = new Map<number, number>();
    for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    expect([...byStatus.keys()].every((s) => [200, 202, 429].includes(s)), JSON.stringify([...byStatus])).toBe(true);
    expect(byStatus.get(202) ?? 0).toBeGreaterThanOrEqual(1);
    // 16 waiting, and the first, which runs at once and so waits no more.
    expect(byStatus.get(202) ?? 0).toBeLessThanOrEqual(17);
    const limited = answers.find((a) => a.status === 429);
    expect(limited && JSON.parse(limited.text).error).toMatchObject({ code: "rate_limited", message: expect.stringContaining("16 tasks waiting") });
    expect(await tasksOf("flood")).toBe(byStatus.get(202));
    for (const task of await host.client.listTasks({ target: "vm/flood" })) expect((await host.client.waitTask(task.id)).state).toBe("success");
    expect(await stateOf("flood")).toBe("running");

    // And down again the same way: one stop does the work, the rest find nothing to do.
    const down = await Promise.all(Array.from({ length: 500 }, () => host.client.raw("PUT", "/api/v1/vms/flood/state", { type: "application/json", text: '{"state":"stopped"}' })));
    const accepted = down.filter((a) => a.status === 202).length;
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(17);
    for (const task of await host.client.listTasks({ target: "vm/flood", state: "running" })) await host.client.waitTask(task.id);
    for (const task of await host.client.listTasks({ target: "vm/flood", state: "queued" })) await host.client.waitTask(task.id);
    expect(await stateOf("flood")).toBe("stopped");
  });
});

describe("a flood of other queued work on one VM is bounded too", () => {
  it("300 snapshot requests at once on a stopped VM: at most 16 wait at once, the rest are 429 naming the bound (all 300 were queued)", async () => {
    await host.client.createVm({ name: "snappy", memory: "64MiB", disks: { disk0: { size: "16MiB" } } } as Parameters<typeof host.client.createVm>[0]);
    const snapshots = Array.from({ length: 300 }, (_, i) => host.client.raw("POST", "/api/v1/vms/snappy/snapshots", { type: "application/json", text: JSON.stringify({ name: `s${i}` }) }));
    // Power requests refused while the snapshots wait must not count as waiting once refused.
    const power = Array.from({ length: 40 }, () => host.client.raw("PUT", "/api/v1/vms/snappy/state", { type: "application/json", text: '{"state":"running"}' }));
    const answers = await Promise.all(snapshots);
    const powerAnswers = await Promise.all(power);
    const accepted = answers.filter((a) => a.status === 202).length;
    const limited = answers.filter((a) => a.status === 429);
    expect(accepted + limited.length, JSON.stringify(answers.filter((a) => a.status !== 202 && a.status !== 429).slice(0, 2))).toBe(300);
    // At most 16 wait at once; a few more get in as the first ones end while the flood still arrives.
    expect((await host.client.listTasks({ target: "vm/snappy", state: "queued" })).length).toBeLessThanOrEqual(16);
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(limited.length).toBeGreaterThanOrEqual(300 - 64);
    expect(JSON.parse(limited[0]!.text).error).toMatchObject({ code: "rate_limited", message: expect.stringContaining('VM "snappy" already has 16 tasks waiting') });
    expect(powerAnswers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(1);
    for (const task of await host.client.listTasks({ target: "vm/snappy" })) await host.client.waitTask(task.id);
    const snapshotTasks = (await host.client.listTasks({ target: "vm/snappy" })).filter((t) => t.op === "vm.snapshot");
    expect(snapshotTasks.length).toBe(accepted);
    expect(snapshotTasks.every((t) => t.state === "success")).toBe(true);
    // Once the flood has drained, the VM answers power requests again.
    await host.client.power("snappy", { action: "stop", force: true }).then((t) => host.client.waitTask(t.id), () => undefined);
    await waitForState(host.client, "snappy", "stopped");
    const again = await host.client.raw("PUT", "/api/v1/vms/snappy/state", { type: "application/json", text: '{"state":"running"}' });
    expect(again.status, again.text).toBe(202);
    expect((await host.client.waitTask((JSON.parse(again.text) as { id: string }).id)).state).toBe("success");
    const down = await host.client.power("snappy", { action: "stop", force: true });
    expect((await host.client.waitTask(down.id)).state).toBe("success");
  });
});

describe("a VM's uuid is its identity: never edited, never copied", () => {
  it("PUT (JSON and TOML) and PATCH naming another VM's uuid are refused naming uuid; the file keeps its own", async () => {
    const own = (await host.client.getVm("ident")).uuid!;
    const other = (await host.client.getVm("other")).uuid!;
    const detail = (await call("GET", "/api/v1/vms/ident", { token: tokens.otto! })).json();
    const admin = await token("admin", "Admin");
    const patch = await call("PATCH", "/api/v1/vms/ident", { token: admin, body: { uuid: other } });
    expect(patch.status).toBe(400);
    expect(patch.json().error.message).toContain("uuid");
    const put = await call("PUT", "/api/v1/vms/ident", { token: admin, body: { ...detail.definition, uuid: other } });
    expect(put.status).toBe(400);
    expect(put.json().error.message).toContain("uuid");
    const toml = (await call("GET", "/api/v1/vms/ident/definition", { token: admin })).body;
    const putToml = await call("PUT", "/api/v1/vms/ident/definition", { token: admin, rawBody: toml.replace(own, other), type: "application/toml" });
    expect(putToml.status).toBe(400);
    expect(putToml.json().error.message).toContain("uuid");
    expect((await host.client.getVm("ident")).uuid).toBe(own);
    // Leaving it out, or deleting it with a merge patch's null, keeps it.
    const dropped = await call("PATCH", "/api/v1/vms/ident", { token: admin, body: { uuid: null, description: "kept" } });
    expect(dropped.status, dropped.body).toBe(200);
    expect(dropped.json()).toMatchObject({ uuid: own, definition: { description: "kept" } });
  });

  it("a VM created with another VM's uuid, a clone and an import of an export get uuids of their own", async () => {
    const other = (await host.client.getVm("other")).uuid!;
    await host.client.createVm({ name: "copycat", memory: "64MiB", uuid: other } as Parameters<typeof host.client.createVm>[0]);
    const copycat = (await host.client.getVm("copycat")).uuid;
    expect(copycat).toMatch(new RegExp(UUID_PATTERN));
    expect(copycat).not.toBe(other);

    const clone = await host.client.call<{ id: string }>("POST", "/api/v1/vms/other/clone", { name: "other-clone" });
    expect((await host.client.waitTask(clone.id)).state).toBe("success");
    expect((await host.client.getVm("other-clone")).uuid).not.toBe(other);

    const admin = await token("admin", "Admin");
    const ova = await call("GET", "/api/v1/vms/other/export", { token: admin });
    expect(ova.status).toBe(200);
    const imported = await call("POST", "/api/v1/import?name=other-import", { token: admin, rawBody: ova.bytes, type: "application/x-tar" });
    expect(imported.status, imported.body).toBe(202);
    expect((await host.client.waitTask(imported.json().id)).state).toBe("success");
    const importedUuid = (await host.client.getVm("other-import")).uuid;
    expect(importedUuid).toMatch(new RegExp(UUID_PATTERN));
    expect(importedUuid).not.toBe(other);
    expect((await host.client.getVm("other")).uuid).toBe(other);
  });
});

describe("one uuid is one VM, also for folders copied or edited by hand", () => {
  const local = (path: string) => join(host.home, "datastores/local", path);

  it("a VM folder copied by hand (cp -r) is listed invalid, naming uuid, and never reaches the original's runtime, QEMU or grants", async () => {
    await host.client.createVm({ name: "orig", memory: "64MiB", policy: { stop_timeout: 1 } });
    const { uuid } = await host.client.getVm("orig");
    const start = await host.client.power("orig", { action: "start" });
    expect((await host.client.waitTask(start.id)).state).toBe("success");
    const running = await host.client.getVm("orig");
    expect(running.pid !== undefined && isAlive(running.pid)).toBe(true);
    await host.client.call("POST", "/api/v1/roles", { name: "Nothing", privileges: ["token.own"] });
    await host.client.call("POST", "/api/v1/users", { username: "gus", password: "gus-password", role: "Nothing" });
    await host.client.call("PUT", "/api/v1/users/gus/grants/orig", { role: "Operator" });

    cpSync(local("orig"), local("dup"), { recursive: true });
    renameSync(local("dup/orig.toml"), local("dup/dup.toml"));
    writeFileSync(local("dup/dup.toml"), readFileSync(local("dup/dup.toml"), "utf8").replace('name = "orig"', 'name = "dup"'));
    // Before: dup shared orig's runtime row (running, orig's pid) and `stop dup` killed orig's QEMU.
    const dup = await host.client.getVm("dup");
    expect(dup).toMatchObject({ state: "stopped" });
    expect(dup.pid).toBeUndefined();
    expect(dup.uuid).toBeUndefined();
    expect(dup.definitionError).toContain(`uuid: is also VM "orig"'s uuid`);
    const stop = await host.client.raw("POST", "/api/v1/vms/dup/power", { type: "application/json", text: '{"action":"stop","force":true}' });
    expect(stop.status).not.toBe(202);
    // A start is taken (as for any VM whose file is invalid) and fails naming the uuid; dup stays stopped.
    const wanted = await host.client.raw("PUT", "/api/v1/vms/dup/state", { type: "application/json", text: '{"state":"running"}' });
    expect(wanted.status).toBe(202);
    const failed = await host.client.waitTask((JSON.parse(wanted.text) as { id: string }).id);
    expect(failed.state).toBe("error");
    expect(failed.error?.message).toContain(`uuid: is also VM "orig"'s uuid`);
    expect((await host.client.getVm("dup")).state).toBe("stopped");
    // The grant on orig reaches orig only.
    const gus = await login(host.port, "gus", "gus-password");
    expect((await call("GET", "/api/v1/vms/dup", gus)).status).toBe(403);
    expect((await call("PUT", "/api/v1/vms/dup/state", { ...gus, body: { state: "stopped" } })).status).toBe(403);
    expect((await call("GET", "/api/v1/vms/orig", gus)).status).toBe(200);
    const still = await host.client.getVm("orig");
    expect(still).toMatchObject({ state: "running", pid: running.pid, uuid });
    expect(isAlive(running.pid!)).toBe(true);

    // Following the error's advice: without the uuid line, dup gets one of its own.
    writeFileSync(local("dup/dup.toml"), readFileSync(local("dup/dup.toml"), "utf8").replace(/^uuid = .*\n/m, ""));
    await host.client.getVm("dup"); // the first look gives it its uuid (and answers the entry as it was read)
    const fixed = await host.client.getVm("dup");
    expect(fixed.uuid).toMatch(new RegExp(UUID_PATTERN));
    expect(fixed.uuid).not.toBe(uuid);
    expect(fixed.state).toBe("stopped");

    const stopOrig = await host.client.power("orig", { action: "stop", force: true });
    expect((await host.client.waitTask(stopOrig.id)).state).toBe("success");
    await waitForState(host.client, "orig", "stopped");
  });

  it("a VM folder renamed by hand (mv) keeps its uuid and is no copy", async () => {
    await host.client.createVm({ name: "moved", memory: "64MiB" });
    const { uuid } = await host.client.getVm("moved");
    renameSync(local("moved"), local("moved2"));
    renameSync(local("moved2/moved.toml"), local("moved2/moved2.toml"));
    writeFileSync(local("moved2/moved2.toml"), readFileSync(local("moved2/moved2.toml"), "utf8").replace('name = "moved"', 'name = "moved2"'));
    await host.client.listVms();
    expect((await host.client.getVm("moved2")).uuid).toBe(uuid);
  });

  it("a VM whose file did not parse cannot be given another VM's uuid by an edit", async () => {
    const other = (await host.client.getVm("other")).uuid!;
    mkdirSync(local("broken"));
    writeFileSync(local("broken/broken.toml"), 'name = "broken"\nmemory = 12\n');
    await host.client.listVms();
    const edit = await host.client.raw("PUT", "/api/v1/vms/broken/definition", { type: "application/toml", text: `name = "broken"\nuuid = "${other}"\nmemory = "64MiB"\n` });
    expect(edit.status).toBe(400);
    expect(JSON.parse(edit.text).error.message).toContain(`uuid: is VM "other"'s uuid`);
    expect(readFileSync(local("broken/broken.toml"), "utf8")).not.toContain(other);
    expect((await host.client.getVm("other")).uuid).toBe(other);
    // Without the line, the edit goes through and the VM gets a uuid of its own.
    const fixed = await host.client.raw("PUT", "/api/v1/vms/broken/definition", { type: "application/toml", text: 'name = "broken"\nmemory = "64MiB"\n' });
    expect(fixed.status, fixed.text).toBe(200);
    expect(JSON.parse(fixed.text).uuid).toMatch(new RegExp(UUID_PATTERN));
    expect(JSON.parse(fixed.text).uuid).not.toBe(other);
  });
});

describe("a browser session's uploads need its CSRF token too", () => {
  it("a datastore upload and an import without X-CSRF-Token are 403 csrf_failed, and nothing is written", async () => {
    const admin = await login(host.port, "admin", "test-admin-password");
    const upload = await call("PUT", "/api/v1/datastores/local/files/planted.iso", { cookie: admin.cookie, rawBody: Buffer.alloc(1024), type: "application/octet-stream" });
    expect(upload.status).toBe(403);
    expect(upload.json().error.code).toBe("csrf_failed");
    const imported = await call("POST", "/api/v1/import?name=planted", { cookie: admin.cookie, rawBody: Buffer.alloc(1024), type: "application/x-tar" });
    expect(imported.status).toBe(403);
    expect(imported.json().error.code).toBe("csrf_failed");
    expect((await host.client.raw("GET", "/api/v1/datastores/local/files/planted.iso")).status).toBe(404);
    expect((await host.client.raw("GET", "/api/v1/vms/planted")).status).toBe(404);
  });
});

describe("task ids and identity filters are checked as parameters", () => {
  it("an id over 128 characters is 400 naming id, in vmctld's error body; odd ids are 404 task_not_found, never a 500; ReadOnly cannot cancel", async () => {
    // 101 to 128 characters passed the schema but the router cut them first (414, Fastify's own body).
    for (const length of [101, 129]) {
      for (const method of ["GET", "DELETE"]) {
        const answer = await call(method, `/api/v1/tasks/${"h".repeat(36)}:${"u".repeat(length - 37)}`, { token: tokens.otto! });
        if (length <= 128) {
          expect(answer.status, `${method} ${length}`).toBe(404);
          expect(answer.json().error.code).toBe("task_not_found");
        } else {
          expect(answer.status, `${method} ${length}`).toBe(400);
          expect(answer.json().error.message, method).toMatch(/^id: must NOT have more than 128 characters/);
        }
      }
    }
    for (const path of [`/api/v1/tasks/${"x".repeat(300)}`, "/api/v1/vms/%E0%A4%A"]) {
      const answer = await call("GET", path, { token: tokens.otto! });
      expect(answer.status, path).toBe(400);
      expect(answer.json().error, path).toMatchObject({ code: "bad_request", message: expect.stringMatching(/: a path segment (is longer than 256 characters|is not valid percent-encoding)$/) });
    }
    for (const id of ["%00", "..%2f..%2fetc%2fpasswd", "%27%20OR%201%3D1--", "%E2%80%AE", "x:" + "%F0%9F%92%A3".repeat(10)]) {
      const answer = await call("GET", `/api/v1/tasks/${id}`, { token: tokens.otto! });
      expect(answer.status, id).toBe(404);
      expect(answer.json().error.code, id).toBe("task_not_found");
    }
    const some = (await host.client.listTasks({}))[0]!;
    const cancel = await call("DELETE", `/api/v1/tasks/${some.id}`, { token: tokens.rob! });
    expect(cancel.status).toBe(403);
    expect(cancel.json().error.details).toMatchObject({ privilege: "task.cancel" });
    for (const [path, field] of [[`/api/v1/tasks?targetUuid=${"a".repeat(65)}`, "targetUuid"], [`/api/v1/events?vmUuid=${"a".repeat(65)}`, "vmUuid"]] as const) {
      const answer = await call("GET", path, { token: tokens.otto! });
      expect(answer.status, path).toBe(400);
      expect(answer.json().error.message, path).toContain(field);
    }
  });
});

describe("a console waiting for a stopped VM", () => {
  it("takes no input from a ReadOnly viewer, is closed when its token is revoked, and counts against the per-user WebSocket limit", async () => {
    await host.client.call("POST", "/api/v1/users", { username: "vic", password: "vic-password", role: "ReadOnly" });
    const vic = await host.client.call<{ token: string; id: string }>("POST", "/api/v1/tokens", { name: "vic-token", role: "ReadOnly", expires: null, user: "vic" });
    const viewer = await openWs(host.port, "/ws/vms/target/console", { token: vic.token });
    await viewer.next((m) => m.type === "status" && m.data.console === "waiting");
    viewer.socket.send(JSON.stringify({ type: "console_input", data: { content: Buffer.from("reboot\n").toString("base64") } }));
    const refused = await viewer.next((m) => m.type === "error");
    expect(refused.data.message).toContain('needs "vm.console.input"');

    // 63 more waiting viewers fill vic's 64; the 65th upgrade is refused with 429.
    const more = await Promise.all(Array.from({ length: 63 }, () => openWs(host.port, "/ws/vms/target/console", { token: vic.token })));
    const over = await call("GET", "/ws/vms/target/console", { token: vic.token, headers: { upgrade: "websocket", connection: "upgrade", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" } });
    expect(over.status).toBe(429);
    expect(over.json().error.message).toContain("64 WebSockets open");

    await host.client.call("DELETE", `/api/v1/tokens/${vic.id}`);
    expect((await viewer.closedWithin(20_000)).code).toBe(4401);
    for (const socket of more) expect((await socket.closedWithin(20_000)).code).toBe(4401);
  });
});

describe("hostile JSON on the definition routes (their body skips Fastify's validator)", () => {
  let admin: string;
  beforeAll(async () => { admin = await token("admin", "Admin"); });

  it("__proto__ and constructor.prototype keys are refused with 400, at the top and nested, on POST, PUT and PATCH", async () => {
    const detail = (await call("GET", "/api/v1/vms/ident", { token: admin })).json();
    const bodies: Array<[string, string, string]> = [
      ["POST", "/api/v1/vms", '{"name":"proto","memory":"64MiB","__proto__":{"template":true}}'],
      ["POST", "/api/v1/vms", '{"name":"proto","memory":"64MiB","constructor":{"prototype":{"template":true}}}'],
      ["PUT", "/api/v1/vms/ident", JSON.stringify(detail.definition).replace(/^\{/, '{"__proto__":{"cpus":64},')],
      ["PATCH", "/api/v1/vms/ident", '{"__proto__":{"template":true}}'],
      ["PATCH", "/api/v1/vms/ident", '{"policy":{"__proto__":{"on_crash":"restart"}}}'],
      ["PATCH", "/api/v1/vms/ident", '{"constructor":{"prototype":{"polluted":true}}}'],
    ];
    const before = (await host.client.getVm("ident")).etag;
    for (const [method, path, body] of bodies) {
      const answer = await call(method, path, { token: admin, rawBody: body });
      expect(answer.status, `${method} ${body}`).toBe(400);
      expect(answer.json().error.code, body).toBe("bad_request");
    }
    expect((await host.client.getVm("ident")).etag).toBe(before);
    expect((await call("GET", "/api/v1/vms/proto", { token: admin })).status).toBe(404);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("deeply nested JSON and TOML are refused with 400 naming the field, not a 500 from a blown stack", async () => {
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
    const deepArray = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    const before = (await host.client.getVm("ident")).etag;
    const cases: Array<[string, string, string, string]> = [
      ["PATCH", "/api/v1/vms/ident", `{"policy":${deep(100_000)}}`, "application/json"],
      ["PUT", "/api/v1/vms/ident", `{"name":"ident","memory":"64MiB","disks":${deep(100_000)}}`, "application/json"],
      ["POST", "/api/v1/vms", `{"name":"deep","memory":"64MiB","nics":${deep(100_000)}}`, "application/json"],
      ["POST", "/api/v1/vms", `{"name":"deep","memory":"64MiB","tags":${deepArray(200_000)}}`, "application/json"],
      ["POST", "/api/v1/vms", `name = "deep"\nmemory = "64MiB"\ntags = ${deepArray(200_000)}\n`, "application/toml"],
      ["POST", "/api/v1/vms", `name = "deep"\nmemory = "64MiB"\nx = ${"{a=".repeat(100_000)}1${"}".repeat(100_000)}\n`, "application/toml"],
    ];
    for (const [method, path, body, type] of cases) {
      const answer = await call(method, path, { token: admin, rawBody: body, type });
      expect(answer.status, `${method} ${path} ${type} ${body.slice(0, 60)}: ${answer.body.slice(0, 300)}`).toBe(400);
      expect(answer.json().error.message).not.toMatch(/call stack|internal/i);
    }
    expect((await host.client.getVm("ident")).etag).toBe(before);
    expect((await call("GET", "/api/v1/vms/deep", { token: admin })).status).toBe(404);
    // And vmctld still answers.
    expect((await call("GET", "/healthz")).status).toBe(200);
  });

  it("a body over the 1 MiB limit is 413, and a huge array within it is refused naming its field", async () => {
    const admin2 = admin;
    const big = await call("POST", "/api/v1/vms", { token: admin2, rawBody: `{"name":"huge","memory":"64MiB","description":"${"x".repeat(1024 * 1024)}"}` });
    expect(big.status).toBe(413);
    const many = await call("POST", "/api/v1/vms", { token: admin2, rawBody: JSON.stringify({ name: "huge", memory: "64MiB", cdroms: Array.from({ length: 100_000 }, () => 1) }) });
    expect(many.status).toBe(400);
    expect(many.json().error.message).toContain("cdroms");
    expect((await call("GET", "/api/v1/vms/huge", { token: admin2 })).status).toBe(404);
  });
});

describe("the /ui redirect stays on this origin", () => {
  it("every Location is a path under /ui/, whatever the query or slashes", async () => {
    for (const path of ["/ui?next=//evil.example", "/ui?//evil.example", "//ui", "/ui?x=%0d%0aLocation:%20https://evil.example", "/ui/..%2f..%2f", "/%2F%2Fevil.example", "/ui//evil.example", "//evil.example/ui", "/ui/%2F%2Fevil.example/", "/ui/assets", "/ui/%2e%2e/%2e%2e/etc/passwd", "/ui/..%5c..%5c"]) {
      const answer = await call("GET", path);
      // A path climbing out of the Host Client's folder was a 500 (@fastify/static's 403 unmapped).
      expect(answer.status, path).toBeLessThan(500);
      if (path.includes("..") || path.includes("%2e%2e")) expect(answer.json().error, path).toMatchObject({ code: "not_found", message: expect.stringContaining("climbs out of its folder") });
      const location = answer.headers.location;
      if (location === undefined) continue;
      expect(String(location), path).toMatch(/^\/ui\//);
      expect(String(location), path).not.toMatch(/[\r\n]/);
    }
  });
});

describe("vmctl __complete", () => {
  it("prints nothing and ends when vmctld's socket accepts a connection and never answers", async () => {
    const home = mkdtempSync(join(tmpdir(), "vmctl-hung-"));
    const held: Socket[] = [];
    const server: Server = createServer((socket) => { held.push(socket); });
    await new Promise<void>((done) => server.listen(join(home, "vmctld.sock"), done));
    try {
      const cli = resolve(import.meta.dirname, "../../packages/cli/dist/main.js");
      const result = await run(process.execPath, [cli, "__complete", "vms", "--home", home], { timeout: 60_000 }).then(
        (r) => ({ code: 0, stdout: r.stdout, killed: false }),
        (e: { code?: number; stdout?: string; killed?: boolean }) => ({ code: e.code ?? 1, stdout: e.stdout ?? "", killed: e.killed ?? false }),
      );
      expect(result.killed, "vmctl __complete was still waiting after 60 s").toBe(false);
      expect(result).toMatchObject({ code: 0, stdout: "" });
      expect(held.length).toBeGreaterThanOrEqual(1);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((done) => server.close(done));
      rmSync(home, { recursive: true, force: true });
    }
  });
});
