// vmcenter's core against a real etcd and two (then three) real replicas, no hosts: the first start
// writes initial-admin.json once; login, sessions with CSRF, API tokens and users; what a stranger,
// a revoked token, a token of the wrong kind or a ReadOnly user gets; a write to a non-leader
// reaches the leader; killing the leader (SIGKILL) lets another lead, and writes follow it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VmctlClient } from "../../packages/client/src/index.js";
import { TokenSigner } from "../../packages/center/src/cluster-token.js";
import { ClusterStore } from "../../packages/center/src/cluster-store.js";
import { keys } from "../../packages/center/src/cluster-keys.js";
import { EtcdClusterTasks, type StoredTask } from "../../packages/center/src/server/cluster-tasks.js";
import { EtcdClusterEvents, MAX_EVENTS } from "../../packages/center/src/server/cluster-events.js";
import type { ClusterTaskSpec } from "../../packages/center/src/center-context.js";
import { freePort } from "../../packages/center/src/demo/demo-processes.js";
import pino from "pino";
import WebSocket from "ws";

const MAIN = "packages/center/dist/main.js";
interface Replica { home: string; proc: ChildProcess; url: string; cert: string; log: string }
interface Admin { username: string; password: string; token: string; joinToken: string; clusterId: string }

const dir = mkdtempSync(join(tmpdir(), "vmcenter-core-"));
const started: ChildProcess[] = [];
let etcdUrl = "";

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, ms: number, what: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch { /* not yet */ }
    if (Date.now() > end) throw new Error(what());
    await new Promise((r) => setTimeout(r, 100));
  }
}

const tail = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-30).join("\n") : "(no log)");

function launch(command: string, args: string[], log: string): ChildProcess {
  const out = openSync(log, "a");
  const proc = spawn(command, args, { stdio: ["ignore", out, out] });
  started.push(proc);
  return proc;
}

async function startEtcd(): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const [client, peer] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const tag = `${attempt}-${client}`;
    const log = join(dir, `etcd-${tag}.log`);
    const proc = launch("/usr/bin/etcd", ["--data-dir", join(dir, `etcd-${tag}`), "--listen-client-urls", url, "--advertise-client-urls", url,
      "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", `default=${peerUrl}`], log);
    const ready = await until(async () => {
      if (proc.exitCode !== null) return false;
      const response = await fetch(`${url}/health`).catch(() => null);
      return response?.ok ? true : undefined;
    }, 15_000, () => `etcd did not start:\n${tail(log)}`);
    if (ready) return url;
  }
  throw new Error("etcd did not start on any port");
}

async function startReplica(name: string): Promise<Replica> {
  const home = join(dir, name);
  const log = join(dir, `${name}.log`);
  const proc = launch(process.execPath, [MAIN, "--home", home, "--listen", "127.0.0.1:0", "--etcd", etcdUrl], log);
  const port = await until(() => {
    if (proc.exitCode !== null) throw new Error(`vmcenter ${name} exited:\n${tail(log)}`);
    const file = join(home, "vmcenter.port");
    return existsSync(file) && /^\d+\s*$/.test(readFileSync(file, "utf8")) ? Number(readFileSync(file, "utf8")) : undefined;
  }, 30_000, () => `vmcenter ${name} wrote no port:\n${tail(log)}`);
  return { home, proc, url: `https://127.0.0.1:${port}`, cert: readFileSync(join(home, "tls", "cert.pem"), "utf8"), log };
}

const client = (replica: Replica, token?: string) => new VmctlClient({ url: replica.url, pinnedCert: replica.cert, ...(token ? { token } : {}) });
const json = (value: unknown) => ({ type: "application/json", text: JSON.stringify(value) });
interface ClusterInfo { clusterId: string; leader: string | null; replica: string; replicas: string[] }
const info = async (replica: Replica) => client(replica).parse<ClusterInfo>(await client(replica).raw("GET", "/api/v1/cluster"));

let a: Replica;
let b: Replica;
let admin: Admin;

beforeAll(async () => {
  etcdUrl = await startEtcd();
  a = await startReplica("a");
  // The first replica has made the cluster before the second starts: only it may write the file.
  await until(() => (existsSync(join(a.home, "initial-admin.json")) ? true : undefined), 10_000, () => "no initial-admin.json");
  b = await startReplica("b");
  admin = JSON.parse(readFileSync(join(a.home, "initial-admin.json"), "utf8")) as Admin;
}, 90_000);

afterAll(() => {
  for (const proc of started) {
    if (proc.exitCode !== null || proc.signalCode !== null || !proc.pid) continue;
    try {
      process.kill(proc.pid, "SIGKILL");
    } catch {
      // it ended meanwhile
    }
  }
  if (process.env.VMCTL_KEEP_CLUSTER !== "1") rmSync(dir, { recursive: true, force: true });
});

describe("vmcenter core", () => {
  it("writes initial-admin.json (0600) at the cluster's first start only", () => {
    const file = join(a.home, "initial-admin.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(admin).toMatchObject({ username: "admin", clusterId: expect.stringMatching(/^[0-9a-f-]{36}$/), token: expect.stringMatching(/^vmcenter_/), joinToken: expect.any(String) });
    expect(admin.password.length).toBeGreaterThanOrEqual(16);
    expect(existsSync(join(b.home, "initial-admin.json"))).toBe(false);
  });

  it("logs in with the password: a session, CSRF for changes, and API tokens that work", async () => {
    const anonymous = client(a);
    const { login, client: session } = await anonymous.openSession("admin", admin.password);
    expect(login).toMatchObject({ user: "admin", role: "Admin", kind: "session", csrfToken: expect.any(String) });
    expect(await session.call("GET", "/api/v1/me")).toMatchObject({ user: "admin", kind: "session" });
    // The cookie alone does not change anything: the CSRF token from login must come too.
    const cookie = session.endpoint.session!.cookie;
    const noCsrf = await anonymous.raw("POST", "/api/v1/tokens", json({ name: "ci", role: "Operator", expires: null }), { cookie });
    expect(noCsrf.status).toBe(403);
    expect(JSON.parse(noCsrf.text).error.code).toBe("csrf_failed");
    const made = await session.call<{ token: string; id: string; role: string }>("POST", "/api/v1/tokens", { name: "ci", role: "Operator", expires: null });
    expect(made.token).toMatch(/^vmcenter_[0-9a-f]{16}_/);
    // Sessions and tokens live in etcd: the other replica knows them.
    expect(await client(b, made.token).call("GET", "/api/v1/me")).toMatchObject({ user: "admin", role: "Operator", kind: "token" });
    const tokens = await client(a, admin.token).call<{ tokens: Array<{ id: string }> }>("GET", "/api/v1/tokens");
    expect(tokens.tokens.map((t) => t.id)).toContain(made.id);
    expect(JSON.stringify(tokens)).not.toContain(made.token.slice(26));
    // Revoked: refused at once, on every replica.
    await session.call("DELETE", `/api/v1/tokens/${made.id}`);
    for (const replica of [a, b]) expect((await client(replica, made.token).raw("GET", "/api/v1/me")).status).toBe(401);
    await session.call("POST", "/api/v1/logout");
    expect((await session.raw("GET", "/api/v1/me")).status).toBe(401);
  });

  it("refuses a wrong password, strangers and credentials that are not vmcenter's", async () => {
    const wrong = await client(a).raw("POST", "/api/v1/login", json({ username: "admin", password: "not-the-password" }));
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text).error.code).toBe("unauthenticated");
    expect((await client(a).raw("POST", "/api/v1/login", json({ username: "nobody", password: "x" }))).status).toBe(401);
    expect((await client(a).raw("GET", "/api/v1/users")).status).toBe(401);
    expect((await client(a, "vmctl_0123456789abcdef_secret").raw("GET", "/api/v1/me")).status).toBe(401);
    // A token of the right shape with another secret, and a cluster JWT (made for hosts) are no vmcenter credentials.
    expect((await client(a, `${admin.token.slice(0, 26)}${"A".repeat(43)}`).raw("GET", "/api/v1/me")).status).toBe(401);
    const jwt = new TokenSigner({ kid: "k", privateKeyPem: generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString() }, admin.clusterId).mint("admin", "Admin", "host");
    expect((await client(a, jwt).raw("GET", "/api/v1/me")).status).toBe(401);
    expect((await client(a).raw("GET", `/api/v1/me?token=${admin.token}`)).status).toBe(401);
    // A hostile body: unknown fields are refused by name, not dropped.
    const extra = await client(a).raw("POST", "/api/v1/login", json({ username: "admin", password: admin.password, role: "Admin" }));
    expect(extra.status).toBe(400);
    expect(JSON.parse(extra.text).error.message).toMatch(/role: unknown field/);
    // A session cookie does not open /ws/events from another site's page.
    const { client: session } = await client(a).openSession("admin", admin.password);
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${a.url.replace("https:", "wss:")}/ws/events`, { ca: a.cert, checkServerIdentity: () => undefined, headers: { cookie: session.endpoint.session!.cookie, origin: "https://evil.example" } });
      socket.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      socket.on("open", () => { socket.close(); resolve(101); });
      socket.on("error", () => resolve(-1));
    });
    expect(status).toBe(403);
    // The OpenAPI document and the Host Client are public, as on a host.
    const openapi = await client(a).raw("GET", "/api/v1/openapi.json");
    expect(openapi.status).toBe(200);
    expect(Object.keys((JSON.parse(openapi.text) as { paths: Record<string, unknown> }).paths)).toEqual(expect.arrayContaining(["/api/v1/cluster", "/api/v1/login", "/api/v1/tasks/{id}", "/api/v1/events"]));
    const root = await client(a).raw("GET", "/");
    expect([root.status, root.headers.location]).toEqual([302, "/ui/"]);
    expect((await client(a).raw("GET", "/ui")).status).toBe(301);
    // An unknown route answers the error body, not Fastify's.
    const missing = await client(a, admin.token).raw("GET", "/api/v1/nothing-here");
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text).error.code).toBe("not_found");
  });

  it("holds a ReadOnly user to its role", async () => {
    const root = client(a, admin.token);
    const made = await root.raw("POST", "/api/v1/users", json({ username: "reader", password: "read-only-pass", role: "ReadOnly" }));
    expect(made.status).toBe(201);
    expect((await root.raw("POST", "/api/v1/users", json({ username: "vmcenter", password: "impostor-pass", role: "Admin" }))).status).toBe(400);
    expect((await root.raw("POST", "/api/v1/users", json({ username: "x", password: "long-enough", role: "Root" }))).status).toBe(400);
    const { client: reader } = await client(b).openSession("reader", "read-only-pass");
    expect((await reader.raw("GET", "/api/v1/tasks")).status).toBe(200);
    const refused = await reader.raw("GET", "/api/v1/users");
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text).error.code).toBe("forbidden");
    expect((await reader.raw("POST", "/api/v1/users", json({ username: "evil", password: "evil-evil", role: "Admin" }))).status).toBe(403);
    // No token with more than the user holds; no change of its own role.
    expect((await reader.raw("POST", "/api/v1/tokens", json({ name: "up", role: "Admin", expires: null }))).status).toBe(403);
    expect((await reader.raw("PATCH", "/api/v1/users/reader", json({ role: "Admin" }))).status).toBe(403);
    const own = await reader.call<{ token: string }>("POST", "/api/v1/tokens", { name: "mine", role: "ReadOnly", expires: null });
    expect((await client(a, own.token).raw("DELETE", "/api/v1/tokens/0123456789abcdef")).status).toBe(404);
    // Disabled: its token stops working.
    await root.call("PATCH", "/api/v1/users/reader", { disabled: true });
    expect((await client(a, own.token).raw("GET", "/api/v1/me")).status).toBe(401);
  });

  it("answers GET /api/v1/cluster on every replica with one leader, and forwards writes to it", async () => {
    const [ia, ib] = await Promise.all([info(a), info(b)]);
    expect(ia.clusterId).toBe(admin.clusterId);
    expect(ia.leader).not.toBeNull();
    expect(ib.leader).toBe(ia.leader);
    expect([...ia.replicas].sort()).toEqual([a.url, b.url].sort());
    const follower = ia.leader === a.url ? b : a;
    const leaderId = (ia.leader === a.url ? ia : ib).replica;
    // A cluster write with a body at the follower is answered by the leader (its replica id), body intact.
    const answer = await client(follower, admin.token).raw("POST", "/api/v1/cluster/rules", json({ name: "fwd-test", type: "anti-affinity", vms: ["x1", "x2"] }));
    expect(answer.headers["x-vmctl-replica"]).toBe(leaderId);
    expect(answer.status).toBeLessThan(500);
    // Reads are answered where they arrive.
    expect((await client(follower, admin.token).raw("GET", "/api/v1/tasks")).headers["x-vmctl-replica"]).not.toBe(leaderId);
  });

  it("lets another replica lead when the leader is killed, and forwards writes to the new leader", async () => {
    const before = await info(a);
    const [leader, other] = before.leader === a.url ? [a, b] : [b, a];
    const pid = Number(readFileSync(join(leader.home, "vmcenter.pid"), "utf8"));
    expect(pid).toBe(leader.proc.pid);
    process.kill(pid, "SIGKILL");
    const t0 = Date.now();
    await until(async () => ((await info(other)).leader === other.url ? true : undefined), 30_000, () => `${other.url} did not take the lead:\n${tail(other.log)}`);
    const tookMs = Date.now() - t0;
    expect(tookMs).toBeLessThan(20_000);
    const now = await info(other);
    expect(now.replicas).toEqual([other.url]);
    // The users and tokens are still there (etcd), on the new leader.
    expect(await client(other, admin.token).call("GET", "/api/v1/me")).toMatchObject({ user: "admin" });
    // A new replica follows, and forwards its writes to the new leader.
    const c = await startReplica("c");
    await until(async () => ((await info(c)).leader === other.url ? true : undefined), 10_000, () => "the new replica does not see the leader");
    const answer = await client(c, admin.token).raw("POST", "/api/v1/cluster/rules", json({ name: "fwd-after", type: "affinity", vms: ["y1", "y2"] }));
    expect(answer.headers["x-vmctl-replica"]).toBe(now.replica);
    // SIGTERM resigns: the last replica takes over at once (well under the lease's TTL).
    process.kill(other.proc.pid!, "SIGTERM");
    const t1 = Date.now();
    await until(async () => ((await info(c)).leader === c.url ? true : undefined), 10_000, () => `${c.url} did not take the lead after a resign:\n${tail(c.log)}`);
    expect(Date.now() - t1).toBeLessThan(8000);
    await until(() => (other.proc.exitCode === 0 ? true : undefined), 10_000, () => `vmcenter did not exit 0 on SIGTERM (${other.proc.exitCode})`);
  });
});

// The task and event stores on their own etcd (no vmcenter process would take these test tasks).
describe("cluster tasks and events in etcd", () => {
  let store: ClusterStore;
  const live = new Set<string>();
  const leading = new Map<string, boolean>();
  const made: EtcdClusterTasks[] = [];
  const logger = pino({ level: "silent" });
  let events: EtcdClusterEvents;
  const replica = async (id: string) => {
    const tasks = new EtcdClusterTasks({ store, clusterId: "cid", replicaId: id, logger, isLeader: () => leading.get(id) ?? false, liveReplicas: async () => new Set(live), events: () => events });
    await tasks.open();
    made.push(tasks);
    live.add(id);
    return tasks;
  };
  const spec = (op: string, resumable = true): ClusterTaskSpec => ({ op, target: "vm/t1", user: { user: "admin", role: "Admin", name: "admin" }, params: { n: 1 }, resumable });
  const until_ = (id: string, state: string, tasks: EtcdClusterTasks) => until(async () => ((await tasks.get(id))?.state === state ? true : undefined), 10_000, () => `task ${id} never ${state}`);

  beforeAll(async () => {
    store = new ClusterStore({ endpoints: [await startEtcd()] });
    events = new EtcdClusterEvents(store, "cid", logger);
    await events.open();
  }, 30_000);
  afterAll(async () => {
    for (const tasks of made) await tasks.close();
    await events.close();
    store.close();
  });

  it("runs a task on the leader: log, progress with ETA, children, result; a follower's waits for the leader", async () => {
    const r1 = await replica("r1");
    const r2 = await replica("r2");
    leading.set("r1", true);
    let sawEta: string | null = null;
    for (const tasks of [r1, r2]) tasks.define("test.echo", async (ctx, params) => {
      ctx.log("working");
      ctx.progress(50);
      ctx.child("h1:child");
      await new Promise((r) => setTimeout(r, 300));
      sawEta = (await r1.get(ctx.id))?.eta ?? null;
      return { echoed: params.n, by: ctx.id };
    });
    const task = await r1.start(spec("test.echo"));
    expect(task).toMatchObject({ id: expect.stringMatching(/^cid:/), state: "queued", op: "test.echo", user: "admin" });
    const ended = (await r1.wait(task.id, 10)) as StoredTask;
    expect(ended).toMatchObject({ state: "success", progress: 100, eta: null, runner: "r1", children: ["h1:child"], result: { echoed: 1 } });
    expect(sawEta).toMatch(/^\d{4}-/);
    expect(ended.log.some((line) => line.endsWith(" working"))).toBe(true);
    // Started on a follower: stored queued, run by the leader, which the follower's wait hears of.
    const queued = await r2.start(spec("test.echo"));
    expect((await r2.wait(queued.id, 10))).toMatchObject({ state: "success", runner: "r1" });
    expect((await r1.list({ limit: 1 }))[0]!.id).toBe(queued.id);
  });

  it("cancels a running task, and refuses an ended one", async () => {
    const [r1] = made;
    r1!.define("test.block", (ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted")))));
    const task = await r1!.start(spec("test.block"));
    await until_(task.id, "running", r1!);
    await r1!.cancel(task.id);
    expect((await r1!.wait(task.id, 5))!.state).toBe("cancelled");
    await expect(r1!.cancel(task.id)).rejects.toMatchObject({ code: "task_not_cancellable" });
  });

  it("a new leader resumes a resumable task of a dead replica and ends the others with an error", async () => {
    const [r1, r2] = made;
    let runs = 0;
    r2!.define("test.block", async () => { runs++; return { resumed: true }; });
    r2!.define("test.once", async () => ({ ran: true }));
    r1!.define("test.once", (ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted")))));
    const resumable = await r1!.start(spec("test.block"));
    const once = await r1!.start(spec("test.once", false));
    await until_(resumable.id, "running", r1!);
    await until_(once.id, "running", r1!);
    // r1 dies (no hand-back): its lease is gone, r2 leads.
    live.delete("r1");
    leading.set("r1", false);
    leading.set("r2", true);
    r2!.leadershipChanged(true);
    expect(await r2!.wait(resumable.id, 10)).toMatchObject({ state: "success", runner: "r2", result: { resumed: true } });
    expect(runs).toBe(1);
    const failed = await r2!.wait(once.id, 10);
    expect(failed).toMatchObject({ state: "error", error: { message: expect.stringMatching(/^vmcenter leader changed during the task; /) } });
    // r1's own run, aborted late, does not overwrite what r2 wrote.
    r1!.leadershipChanged(false);
    await new Promise((r) => setTimeout(r, 500));
    expect((await store.get<StoredTask>(keys.task(once.id)))!.value.state).toBe("error");
  });

  it("stores cluster events in order (id = etcd revision), live to subscribers, capped at MAX_EVENTS", async () => {
    const heard: string[] = [];
    const stop = events.onEvent((event) => heard.push(event.type));
    await events.emit("cluster.host.joined", { target: "host/h1", message: "h1 joined" });
    await events.emit("cluster.vm.placed", { target: "vm/web", message: "web on h1", data: { host: "h1" } });
    const listed = await events.list({ type: "cluster.*" });
    const last = listed.slice(-2);
    expect(last.map((e) => e.type)).toEqual(["cluster.host.joined", "cluster.vm.placed"]);
    expect(last[1]).toMatchObject({ host: "cid", uid: `cid:${last[1]!.id}`, vm: "web", data: { host: "h1", message: "web on h1", target: "vm/web" } });
    expect(last[1]!.id).toBeGreaterThan(last[0]!.id);
    expect((await events.list({ since: last[0]!.id })).map((e) => e.type)).toContain("cluster.vm.placed");
    expect((await events.list({ vm: "web" })).every((e) => e.vm === "web")).toBe(true);
    await until(() => (heard.includes("cluster.vm.placed") ? true : undefined), 5000, () => `heard only ${heard.join(",")}`);
    stop();
    for (let i = 0; i < MAX_EVENTS + 20; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => store.put(keys.event(`2000-01-01T00:00:00.000Z-${String(i + j).padStart(6, "0")}`), { host: "cid", time: "2000", type: "cluster.test", vm: null, vmUuid: null, user: null, task: null, data: {} })));
    await events.prune();
    const kept = await events.list({ limit: 10_000 });
    expect(kept.length).toBe(MAX_EVENTS);
    // The oldest went first: the newest real events are kept.
    expect(kept.some((e) => e.type === "cluster.vm.placed")).toBe(true);
  });
});
