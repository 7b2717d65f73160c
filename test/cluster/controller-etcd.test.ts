// The controller against a real etcd (skipped without /usr/bin/etcd) and vmcenter's own task and
// event stores, with fake hosts: their records are written here as agents would, and their API is
// an in-memory stand-in. Create (placement, uniqueness), live migration, maintenance, HA and rules.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VmctlError, type Task } from "@vmctl/api-types";
import type { VmctlClient } from "@vmctl/client";
import { ClusterStore } from "../../packages/center/src/cluster-store.js";
import { TokenSigner, makeSigningKey } from "../../packages/center/src/cluster-token.js";
import { keys, type DesiredVm, type HostMeta, type HostRecord } from "../../packages/center/src/cluster-keys.js";
import type { CenterContext, ClusterPrincipal } from "../../packages/center/src/center-context.js";
import { createHostDirectory } from "../../packages/center/src/host-directory.js";
import { EtcdClusterTasks } from "../../packages/center/src/server/cluster-tasks.js";
import { EtcdClusterEvents } from "../../packages/center/src/server/cluster-events.js";
import { registerErrors } from "../../packages/center/src/server/center-app.js";
import { registerClusterRoutes } from "../../packages/center/src/controller/index.js";

const ETCD = "/usr/bin/etcd";
const GiB = 1024 ** 3;
const ADMIN: ClusterPrincipal = { user: "admin", role: "Admin", name: "admin" };

const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const server = createServer().listen(0, "127.0.0.1", () => {
    const port = (server.address() as { port: number }).port;
    server.close(() => resolve(port));
  }).on("error", reject);
});

interface FakeVm { name: string; uuid: string; state: string; cpus: number; memoryBytes: number; datastore: string }

/** One host: its VMs, its live record and what its API answers. */
class FakeHost {
  readonly vms = new Map<string, FakeVm>();
  readonly tasks = new Map<string, Task>();
  alive = true;
  failNextMigration = false;
  holdMigration = false;
  readonly cancelledIncoming: string[] = [];
  constructor(readonly id: string, readonly world: FakeWorld, readonly allocatedGiB: number) {}

  record(): HostRecord {
    const running = [...this.vms.values()].filter((v) => v.state === "running");
    return {
      id: this.id, name: this.id, url: "https://127.0.0.1:1", certPem: "", cpus: 4, memoryBytes: 8 * GiB, freeMemoryBytes: 0, load: 0,
      qemuVersion: "8.2.2", cpuModel: "qemu64", accel: "tcg", datastores: [{ name: "local", shared: false, freeBytes: 0 }, { name: "shared", shared: true, freeBytes: 0 }],
      networks: [], migrationAddress: "127.0.0.1", vms: this.vms.size, runningVms: running.length,
      allocatedMemoryBytes: this.allocatedGiB * GiB + running.reduce((s, v) => s + v.memoryBytes, 0), agentVersion: "test", startedAt: "", heartbeatAt: new Date().toISOString(),
    };
  }

  async publish(): Promise<void> {
    if (!this.alive) return;
    await this.world.store.put(keys.host(this.id), this.record());
    for (const vm of this.vms.values()) {
      await this.world.store.put(keys.observed(vm.uuid), { uuid: vm.uuid, name: vm.name, host: this.id, updatedAt: "", summary: { ...vm, lastStateChange: "", autostart: false, addresses: [] } });
    }
  }

  detail(name: string) {
    const vm = this.vms.get(name);
    if (!vm) throw new VmctlError("vm_not_found", `no VM ${name} on ${this.id}`);
    return { ...vm, definitionPath: `/ds/${vm.datastore}/${name}/vm.toml`, etag: "", runDir: "", definition: null, lastStateChange: "", autostart: false, addresses: [] };
  }

  task(op: string, state: Task["state"], result?: Record<string, unknown>): Task {
    const task = { id: `${this.id}:${randomUUID()}`, op, target: "vm/x", targetUuid: null, state, progress: state === "success" ? 100 : 0, eta: null, log: [], error: null, user: "", createdAt: "", startedAt: null, endedAt: null, parentId: null, ...(result ? { result } : {}) } as Task;
    this.tasks.set(task.id, task);
    return task;
  }

  client(): VmctlClient {
    return fakeClient(this);
  }
}

function fakeClient(host: FakeHost): VmctlClient {
  return {
    async createVm(def: { name: string; memory?: string; cpus?: number }, datastore?: string) {
      const vm = { name: def.name, uuid: randomUUID(), state: "stopped", cpus: def.cpus ?? 1, memoryBytes: def.memory === "1GiB" ? GiB : 512 * 2 ** 20, datastore: datastore ?? "local" };
      host.vms.set(vm.name, vm);
      await host.publish();
      return host.detail(vm.name);
    },
    async getVm(name: string) { return host.detail(name); },
    async getTask(id: string) {
      const task = host.tasks.get(id);
      if (!task) throw new VmctlError("task_not_found", id);
      if (task.op === "vm.migrate-out" && task.state === "running" && host.holdMigration) {
        Object.assign(task, { progress: 40 });
      } else if (task.op === "vm.migrate-out" && task.state === "running" && host.failNextMigration) {
        host.failNextMigration = false;
        Object.assign(task, { state: "error", error: { code: "qemu_failed", message: "migration stream broke" } });
      } else if (task.op === "vm.migrate-out" && task.state === "running") {
        // The stream completes at the second look: the VM leaves this host and runs on the target.
        const [name, target] = task.target.split("→") as [string, string];
        const vm = host.vms.get(name)!;
        host.vms.delete(name);
        host.world.hosts.get(target)!.vms.set(name, { ...vm, state: "running" });
        await host.world.hosts.get(target)!.publish();
        await host.publish();
        Object.assign(task, { state: "success", progress: 100, result: { downtimeMs: 12, bytes: 1000, totalMs: 50 } });
      }
      return task;
    },
    async cancelTask(id: string) {
      const task = host.tasks.get(id)!;
      if (task.state === "running") Object.assign(task, { state: "cancelled", error: { code: "cancelled", message: "cancelled by vmcenter" } });
      return task;
    },
    async power(name: string, request: { action: string }) {
      host.vms.get(name)!.state = request.action === "start" ? "running" : "stopped";
      await host.publish();
      return host.task(`vm.${request.action}`, "success");
    },
    cluster: {
      async incomingMigration(request: { name: string }) { return { id: `in-${request.name}`, uri: "tcp:127.0.0.1:4444" }; },
      async migrateOut(name: string, request: { targetHost: string }) {
        const task = host.task("vm.migrate-out", "running");
        task.target = `${name}→${request.targetHost}`;
        return task;
      },
      async cancelIncomingMigration(id: string) { host.cancelledIncoming.push(id); return { id, name: "", state: "cancelled" }; },
    },
  } as unknown as VmctlClient;
}

class FakeWorld {
  readonly hosts = new Map<string, FakeHost>();
  constructor(readonly store: ClusterStore) {}

  async join(id: string, allocatedGiB: number): Promise<FakeHost> {
    const host = new FakeHost(id, this, allocatedGiB);
    this.hosts.set(id, host);
    const meta: HostMeta = { id, name: id, url: "https://127.0.0.1:1", certPem: "", joinedAt: new Date().toISOString(), maintenance: false, schedulable: true, tags: [], deadSince: null };
    await this.store.put(keys.hostMeta(id), meta);
    await host.publish();
    return host;
  }

  /** What the agents do with desired state: the host it names holds the VM and gets it to its power state. */
  async reconcile(): Promise<void> {
    for (const { key, value } of await this.store.list<DesiredVm>(keys.vms())) {
      if (!key.endsWith("/desired") || value.migration) continue;
      const owner = this.hosts.get(value.host);
      if (!owner?.alive) continue;
      const vm = [...this.hosts.values()].map((h) => h.vms.get(value.name)).find((v) => v?.uuid === value.uuid);
      if (!vm) continue;
      for (const other of this.hosts.values()) if (other !== owner && other.alive && other.vms.get(value.name)?.uuid === value.uuid) other.vms.delete(value.name);
      owner.vms.set(value.name, { ...vm, state: value.power ?? vm.state });
      await owner.publish();
    }
  }
}

const haveEtcd = existsSync(ETCD);

describe.skipIf(!haveEtcd)("controller against etcd", () => {
  let etcd: ChildProcess;
  let dir: string;
  let store: ClusterStore;
  let world: FakeWorld;
  let app: FastifyInstance;
  let tasks: EtcdClusterTasks;
  let events: EtcdClusterEvents;
  let agents: NodeJS.Timeout;
  const roles: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vmcenter-controller-"));
    const [client, peer] = [await freePort(), await freePort()];
    etcd = spawn(ETCD, ["--data-dir", join(dir, "etcd"), "--listen-client-urls", `http://127.0.0.1:${client}`, "--advertise-client-urls", `http://127.0.0.1:${client}`,
      "--listen-peer-urls", `http://127.0.0.1:${peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`, "--initial-cluster", `default=http://127.0.0.1:${peer}`], { stdio: "ignore" });
    process.once("exit", () => etcd.kill("SIGKILL"));
    store = new ClusterStore({ endpoints: [`http://127.0.0.1:${client}`] });
    for (let i = 0; ; i++) {
      try { await store.get("/probe"); break; } catch (error) { if (i > 50) throw error; await new Promise((r) => setTimeout(r, 200)); }
    }
    const logger = pino({ level: "silent" });
    const clusterId = "c1";
    events = new EtcdClusterEvents(store, clusterId, logger);
    tasks = new EtcdClusterTasks({ store, clusterId, replicaId: "r1", logger, isLeader: () => true, liveReplicas: async () => new Set(["r1"]), events: () => events });
    world = new FakeWorld(store);
    const directory = createHostDirectory({ store, signer: new TokenSigner(makeSigningKey(), clusterId), logger });
    const ctx: CenterContext = {
      clusterId, replicaId: "r1", url: "", store, signer: new TokenSigner(makeSigningKey(), clusterId), logger, tasks, events,
      hosts: { ...directory, client: async (id: string) => world.hosts.get(id)!.client() },
      isLeader: () => true, leaderUrl: () => null, settings: { haGraceSeconds: 1 },
    };
    app = Fastify({ ajv: { customOptions: { removeAdditional: false } } });
    registerErrors(app);
    app.addContentTypeParser("application/toml", { parseAs: "string" }, (_r, body, done) => done(null, body));
    app.addHook("onRequest", async (request) => { request.clusterPrincipal = ADMIN; });
    app.addHook("onRoute", (route) => { for (const method of [route.method].flat()) roles.push(`${method} ${route.url} ${String((route.config as { role?: string } | undefined)?.role)}`); });
    await registerClusterRoutes(app, ctx);
    await app.ready();
    await tasks.open();
    await events.open();
    await world.join("h1", 4);
    await world.join("h2", 1);
    await world.join("h3", 2);
    agents = setInterval(() => void world.reconcile().catch(() => {}), 200);
  }, 30_000);

  afterAll(async () => {
    clearInterval(agents);
    await app?.close();
    await tasks?.close();
    await events?.close();
    store?.close();
    etcd?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  const ended = async (id: string) => {
    for (;;) {
      const task = (await tasks.wait(id, 20))!;
      if (!["queued", "running"].includes(task.state)) return task;
    }
  };
  const desiredOf = async (name: string) => (await store.list<DesiredVm>(keys.vms())).map((r) => r.value).find((d) => d.name === name && "generation" in d)!;

  it("places a new VM on the emptiest host, explains it, and refuses the name twice", async () => {
    const answer = await app.inject({ method: "POST", url: "/api/v1/cluster/vms?datastore=shared", payload: { name: "web", memory: "1GiB", policy: { ha: true } } });
    expect(answer.statusCode).toBe(202);
    expect(answer.json()).not.toHaveProperty("params");
    const task = await ended(answer.json().id);
    expect(task.state).toBe("success");
    expect(task.result).toMatchObject({ host: "h2", hostName: "h2" });
    expect((task.result!.reasons as string[])[0]).toMatch(/^h2: 6\.0 GiB free after, 0 VMs running — chosen: most free memory$/);
    expect(task.log.join("\n")).toContain("h1: 3.0 GiB free after");
    expect(await desiredOf("web")).toMatchObject({ host: "h2", ha: true, shared: true, datastore: "shared", power: null });
    const again = await app.inject({ method: "POST", url: "/api/v1/vms", headers: { "content-type": "application/toml" }, payload: 'name = "web"\n' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("vm_exists");
    const hostile = await app.inject({ method: "POST", url: "/api/v1/cluster/vms", payload: { name: "../../etc" } });
    expect(hostile.json().error.code).toBe("invalid_definition");
  });

  it("lists hosts and VMs and explains where a VM would move", async () => {
    const hosts = (await app.inject({ url: "/api/v1/cluster/hosts" })).json();
    expect(hosts.map((h: { id: string; state: string }) => `${h.id}:${h.state}`)).toEqual(["h1:connected", "h2:connected", "h3:connected"]);
    const vms = (await app.inject({ url: "/api/v1/cluster/vms" })).json();
    expect(vms).toEqual([expect.objectContaining({ name: "web", host: "h2", hostName: "h2", ha: true })]);
    const placement = (await app.inject({ url: "/api/v1/cluster/vms/web/placement" })).json();
    expect(placement).toMatchObject({ vm: "web", current: "h2", chosen: "h3" });
    expect(placement.hosts.find((h: { id: string }) => h.id === "h2").reasons).toEqual(["the VM is here now"]);
  });

  it("live-migrates a running VM and reports the downtime", async () => {
    await world.hosts.get("h2")!.client().power("web", { action: "start" });
    const wrong = await app.inject({ method: "POST", url: "/api/v1/cluster/vms/web/migrate", payload: { host: "h2" } });
    expect(wrong.statusCode).toBe(202);
    expect((await ended(wrong.json().id)).error?.message).toContain("already on");
    const answer = await app.inject({ method: "POST", url: "/api/v1/cluster/vms/web/migrate", payload: { host: "h1" } });
    const task = await ended(answer.json().id);
    expect(task.state).toBe("success");
    expect(task.result).toMatchObject({ from: "h2", to: "h1", live: true, downtimeMs: 12, bytes: 1000 });
    expect(task.children).toHaveLength(1);
    expect(await desiredOf("web")).toMatchObject({ host: "h1", power: "running", migration: null });
  });

  it("declares a role on every route: reads ReadOnly, every change Admin", () => {
    expect(roles.length).toBeGreaterThan(10);
    for (const line of roles) {
      const [method, , role] = line.split(" ");
      if (method === "HEAD") continue;
      expect(`${line}`).toMatch(method === "GET" ? / ReadOnly$/ : / Admin$/);
      expect(role).not.toBe("undefined");
    }
  });

  it("leaves the VM on the source and deletes the target's incoming when a live migration fails", async () => {
    const from = (await desiredOf("web")).host;
    const source = world.hosts.get(from)!;
    source.failNextMigration = true;
    const answer = await app.inject({ method: "POST", url: "/api/v1/cluster/vms/web/migrate", payload: {} });
    const task = await ended(answer.json().id);
    expect(task.state).toBe("error");
    expect(task.error?.message).toContain("migration stream broke");
    expect(await desiredOf("web")).toMatchObject({ host: from, migration: null });
    const target = [...world.hosts.values()].find((h) => h.cancelledIncoming.length)!;
    expect(target.cancelledIncoming).toEqual(["in-web"]);
    expect(source.vms.get("web")?.state).toBe("running");
  });

  it("cancels a live migration safely: the source task is cancelled, the VM stays, the incoming is deleted", async () => {
    const from = (await desiredOf("web")).host;
    const source = world.hosts.get(from)!;
    source.holdMigration = true;
    const answer = await app.inject({ method: "POST", url: "/api/v1/cluster/vms/web/migrate", payload: {} });
    const id = answer.json().id as string;
    for (let i = 0; i < 100 && !((await tasks.get(id))?.progress ?? 0); i++) await new Promise((r) => setTimeout(r, 50));
    expect((await tasks.get(id))!.progress).toBeGreaterThan(0);
    await tasks.cancel(id);
    const task = await ended(id);
    source.holdMigration = false;
    expect(task.state).toBe("cancelled");
    expect(await desiredOf("web")).toMatchObject({ host: from, migration: null });
    expect(source.vms.get("web")?.state).toBe("running");
    expect([...world.hosts.values()].flatMap((h) => h.cancelledIncoming)).toEqual(["in-web", "in-web"]);
  });

  it("drains a host in maintenance and keeps placement off it", async () => {
    const answer = await app.inject({ method: "POST", url: "/api/v1/cluster/hosts/h1/maintenance", payload: { enabled: true } });
    const task = await ended(answer.json().id);
    expect(task.state).toBe("success");
    expect(task.result).toMatchObject({ host: "h1", maintenance: true, moved: [{ vm: "web", live: true }] });
    const h1 = (await app.inject({ url: "/api/v1/cluster/hosts/h1" })).json();
    expect(h1).toMatchObject({ maintenance: true, schedulable: false });
    expect((await desiredOf("web")).host).not.toBe("h1");
    const off = await app.inject({ method: "POST", url: "/api/v1/cluster/hosts/h1/maintenance", payload: { enabled: false } });
    expect((await ended(off.json().id)).state).toBe("success");
    const patched = await app.inject({ method: "PATCH", url: "/api/v1/cluster/hosts/h1", payload: { tags: ["ssd"], evil: true } });
    expect(patched.statusCode).toBe(400);
  });

  it("moves a stopped VM on shared storage cold through desired state, and refuses a live move of it", async () => {
    const made = await ended((await app.inject({ method: "POST", url: "/api/v1/cluster/vms?datastore=shared", payload: { name: "db" } })).json().id);
    const from = made.result!.host as string;
    const live = await ended((await app.inject({ method: "POST", url: "/api/v1/cluster/vms/db/migrate", payload: { live: true } })).json().id);
    expect(live.error).toMatchObject({ code: "vm_wrong_state" });
    const task = await ended((await app.inject({ method: "POST", url: "/api/v1/cluster/vms/db/migrate", payload: {} })).json().id);
    expect(task.state).toBe("success");
    expect(task.result).toMatchObject({ from, live: false, downtimeMs: 0, bytes: 0 });
    expect((await desiredOf("db")).host).toBe(task.result!.to);
  });

  it("restarts an HA VM elsewhere when its host dies, and marks the host alive when it returns", async () => {
    const from = (await desiredOf("web")).host;
    const dead = world.hosts.get(from)!;
    dead.alive = false;
    await store.delete(keys.host(from));
    const started = Date.now();
    let desired = await desiredOf("web");
    while (desired.host === from && Date.now() - started < 15_000) {
      await new Promise((r) => setTimeout(r, 200));
      desired = await desiredOf("web");
    }
    expect(desired).toMatchObject({ power: "running", reason: `HA restart after host ${from} died` });
    expect(desired.host).not.toBe(from);
    expect((await store.get<HostMeta>(keys.hostMeta(from)))!.value.deadSince).not.toBeNull();
    const ha = (await tasks.list({ limit: 10 })).find((t) => t.op === "cluster.ha.restart")!;
    const done = await ended(ha.id);
    expect(done.state).toBe("success");
    expect(done.result).toMatchObject({ host: from, restarted: [{ vm: "web", to: desired.host }] });
    dead.alive = true;
    dead.vms.clear();
    await dead.publish();
    for (let i = 0; i < 50 && (await store.get<HostMeta>(keys.hostMeta(from)))!.value.deadSince; i++) await new Promise((r) => setTimeout(r, 200));
    expect((await store.get<HostMeta>(keys.hostMeta(from)))!.value.deadSince).toBeNull();
  }, 30_000);

  it("keeps rules in etcd and lets them steer placement", async () => {
    const made = await app.inject({ method: "POST", url: "/api/v1/cluster/rules", payload: { name: "spread", type: "anti-affinity", vms: ["web", "web2"] } });
    expect(made.statusCode).toBe(201);
    expect((await app.inject({ url: "/api/v1/cluster/rules" })).json()).toEqual([{ name: "spread", type: "anti-affinity", vms: ["web", "web2"] }]);
    const bad = await app.inject({ method: "POST", url: "/api/v1/cluster/rules", payload: { name: "x", type: "near", vms: ["a", "b"] } });
    expect(bad.statusCode).toBe(400);
    const web = (await desiredOf("web")).host;
    const created = await app.inject({ method: "POST", url: "/api/v1/cluster/vms", payload: { name: "web2", memory: "1GiB" } });
    const task = await ended(created.json().id);
    expect(task.result!.host).not.toBe(web);
    expect(task.log.join("\n")).toContain(`${web}: anti-affinity rule "spread": web is here`);
    expect((await app.inject({ method: "DELETE", url: "/api/v1/cluster/rules/spread" })).statusCode).toBe(200);
    expect((await app.inject({ method: "DELETE", url: "/api/v1/cluster/rules/spread" })).statusCode).toBe(404);
  });
});
