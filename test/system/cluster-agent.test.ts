// A joined host against a real etcd: its agent registers it under a lease (gone after kill -9),
// reports observed state, starts what the desired state says, takes over a VM on a shared datastore,
// fences a VM the cluster wants elsewhere at restart; and it takes vmcenter's cluster tokens (JWTs)
// but none forged, expired, for another host, unsigned or for a role it does not have. The join
// route runs in a small Fastify app beside it, with its own attacks.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createPrivateKey, randomUUID, sign } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import WebSocket from "ws";
import { VmctlClient } from "../../packages/client/src/index.js";
import {
  ClusterStore, HOST_LEASE_SECONDS, TokenSigner, issuerOf, keys, makeSigningKey,
  type DesiredVm, type HostMeta, type HostRecord, type ObservedVm,
} from "../../packages/center/src/index.js";
import type { CenterContext } from "../../packages/center/src/center-context.js";
import { registerJoinRoute } from "../../packages/center/src/server/join-route.js";
import { isAlive } from "../../packages/qemu/src/index.js";
import { TestHost, guestDefinition, waitForState } from "./harness.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await sleep(200);
  }
}

/** A throwaway etcd on loopback ports in a temp dir. */
class TestEtcd {
  proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), "vmctl-etcd-"));
  endpoint = "";

  private ports: { client: number; peer: number } | undefined;

  async start(): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const client = 20000 + Math.floor(Math.random() * 40000);
      this.ports = { client, peer: client + 1 };
      if (await this.launch()) return;
      await this.stop();
    }
    throw new Error("etcd did not start");
  }

  /** Starts it again on the same ports and data (after stop()). */
  async restart(): Promise<void> {
    if (!(await this.launch())) throw new Error("etcd did not start again");
  }

  private async launch(): Promise<boolean> {
    const { client, peer } = this.ports!;
    this.endpoint = `http://127.0.0.1:${client}`;
    const proc = spawn("/usr/bin/etcd", [
      "--data-dir", join(this.dir, "data"), "--name", "default",
      "--listen-client-urls", this.endpoint, "--advertise-client-urls", this.endpoint,
      "--listen-peer-urls", `http://127.0.0.1:${peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
      "--initial-cluster", `default=http://127.0.0.1:${peer}`,
    ], { stdio: "ignore" });
    this.proc = proc;
    const healthy = await until("etcd", async () => {
      if (proc.exitCode !== null) return "exited";
      const answer = await fetch(`${this.endpoint}/health`);
      return answer.ok ? "ok" : undefined;
    }, 15_000).catch(() => "timeout");
    return healthy === "ok";
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const CLUSTER_ID = randomUUID();
const OTHER_HOST = randomUUID();
const signingKey = makeSigningKey();
const signer = new TokenSigner(signingKey, CLUSTER_ID);
const foreignSigner = new TokenSigner(makeSigningKey(), CLUSTER_ID);

let etcd: TestEtcd;
let store: ClusterStore;
let host: TestHost;
let hostId: string;
let sharedDir: string;
let https: (token?: string) => VmctlClient;

function writeMembership(): void {
  writeFileSync(join(host.home, "cluster.json"), JSON.stringify({
    clusterId: CLUSTER_ID, issuer: issuerOf(CLUSTER_ID), publicKeysPem: [signingKey.publicKeyPem],
    etcd: { endpoints: [etcd.endpoint] }, centerUrls: ["https://127.0.0.1:1"], joinedAt: new Date().toISOString(), joinedVia: "https://127.0.0.1:1", hostName: "node-a",
  }), { mode: 0o600 });
}

async function restartDaemon(): Promise<void> {
  if (host.daemon && host.daemon.exitCode === null && host.daemon.signalCode === null) await host.killDaemon();
  await host.startDaemon();
}

async function setDesired(uuid: string, change: Partial<DesiredVm>): Promise<void> {
  await store.update<DesiredVm>(keys.desired(uuid), (current) => {
    if (!current) throw new Error(`no desired record for ${uuid}`);
    return { ...current, ...change, generation: current.generation + 1, updatedAt: new Date().toISOString() };
  });
}

beforeAll(async () => {
  etcd = new TestEtcd();
  await etcd.start();
  store = new ClusterStore({ endpoints: [etcd.endpoint] });
  sharedDir = mkdtempSync(join(tmpdir(), "vmctl-shared-"));
  host = await TestHost.start({ config: `[datastores.shared]\npath = ${JSON.stringify(sharedDir)}\nshared = true\n` });
  hostId = (await host.client.host()).id;
  writeMembership();
  await restartDaemon();
  const cert = readFileSync(join(host.home, "tls", "cert.pem"), "utf8");
  https = (token) => new VmctlClient({ url: `https://127.0.0.1:${host.port}`, pinnedCert: cert, ...(token ? { token } : {}) });
}, 120_000);

afterAll(async () => {
  await host?.close();
  store?.close();
  await etcd?.close();
  if (sharedDir) rmSync(sharedDir, { recursive: true, force: true });
});

describe("the host agent", () => {
  it("shows the cluster in GET /api/v1/host and the shared datastore as shared", async () => {
    expect((await host.client.host()).cluster).toEqual({ clusterId: CLUSTER_ID, centerUrls: ["https://127.0.0.1:1"] });
    const { datastores } = await host.client.datastores();
    expect(datastores.find((d) => d.name === "shared")).toMatchObject({ shared: true });
    expect(datastores.find((d) => d.name === "local")).toMatchObject({ shared: false });
  });

  it("registers the host under its lease, and the record vanishes within the lease after kill -9", async () => {
    const record = await until("the host record", async () => (await store.get<HostRecord>(keys.host(hostId)))?.value);
    expect(record).toMatchObject({ id: hostId, name: "node-a", url: `https://127.0.0.1:${host.port}`, cpus: expect.any(Number), qemuVersion: expect.any(String) });
    expect(record.datastores).toEqual(expect.arrayContaining([expect.objectContaining({ name: "shared", shared: true })]));
    const beat = record.heartbeatAt;
    await until("a newer heartbeat", async () => (await store.get<HostRecord>(keys.host(hostId)))!.value.heartbeatAt !== beat);
    await host.killDaemon();
    const killedAt = Date.now();
    await until("the host record to expire", async () => (await store.get(keys.host(hostId))) === null, (HOST_LEASE_SECONDS + 6) * 1000);
    expect(Date.now() - killedAt).toBeLessThan((HOST_LEASE_SECONDS + 4) * 1000);
    await host.startDaemon();
    await until("the host record again", async () => (await store.get<HostRecord>(keys.host(hostId)))?.value);
  });

  it("creates the desired record of a VM made here and reports its observed state as it starts", async () => {
    const vm = await host.client.createVm(guestDefinition("obs1"));
    const uuid = vm.uuid!;
    const desired = await until("the desired record", async () => (await store.get<DesiredVm>(keys.desired(uuid)))?.value);
    expect(desired).toMatchObject({ uuid, name: "obs1", host: hostId, power: null, ha: false, datastore: "local", shared: false });
    await until("observed stopped", async () => (await store.get<ObservedVm>(keys.observed(uuid)))?.value.summary.state === "stopped");
    await host.client.power("obs1", { action: "start" });
    const observed = await until("observed running", async () => {
      const value = (await store.get<ObservedVm>(keys.observed(uuid)))?.value;
      return value?.summary.state === "running" ? value : undefined;
    });
    expect(observed).toMatchObject({ host: hostId, name: "obs1" });
    await host.client.power("obs1", { action: "stop", force: true });
  });

  it("starts a VM whose desired power becomes running, and stops it when it becomes stopped", async () => {
    const vm = await host.client.createVm(guestDefinition("wanted", { policy: { stop_timeout: 3 } }));
    await until("the desired record", async () => (await store.get<DesiredVm>(keys.desired(vm.uuid!)))?.value);
    await setDesired(vm.uuid!, { power: "running", reason: "test" });
    await waitForState(host.client, "wanted", "running", 30_000);
    await setDesired(vm.uuid!, { power: "stopped", reason: "test" });
    await waitForState(host.client, "wanted", "stopped", 60_000);
  });

  it("on a shared datastore writes the owner file, lists only its own VMs, and adopts one desired here", async () => {
    const vm = await host.client.createVm(guestDefinition("roamer", { policy: { ha: true, stop_timeout: 3 } }), "shared");
    const owner = join(sharedDir, "roamer", ".vmctl-owner");
    expect(readFileSync(owner, "utf8").trim()).toBe(hostId);
    const desired = await until("the desired record", async () => (await store.get<DesiredVm>(keys.desired(vm.uuid!)))?.value);
    expect(desired).toMatchObject({ datastore: "shared", shared: true, ha: true });
    // Another host owns it now (as after a migration or an HA restart there): it leaves this inventory.
    writeFileSync(owner, `${OTHER_HOST}\n`);
    await setDesired(vm.uuid!, { host: OTHER_HOST, power: null });
    await until("the VM to leave the inventory", async () => !(await host.client.listVms()).some((v) => v.name === "roamer"));
    // The cluster wants it here, running: the agent takes the folder over and starts it.
    await setDesired(vm.uuid!, { host: hostId, power: "running", reason: "HA restart (test)" });
    await until("the VM taken over", async () => (await host.client.listVms()).some((v) => v.name === "roamer"));
    await waitForState(host.client, "roamer", "running", 30_000);
    expect(readFileSync(owner, "utf8").trim()).toBe(hostId);
    await setDesired(vm.uuid!, { power: "stopped" });
    await waitForState(host.client, "roamer", "stopped", 60_000);
  });

  it("stops a VM it runs that the cluster now wants on another host, and hands its folder over without deleting a file", async () => {
    const vm = await host.client.createVm(guestDefinition("leaver", { policy: { stop_timeout: 3 } }), "shared");
    await host.client.power("leaver", { action: "start" });
    await waitForState(host.client, "leaver", "running", 30_000);
    await until("the desired record", async () => (await store.get<DesiredVm>(keys.desired(vm.uuid!)))?.value);
    const files = readdirSync(join(sharedDir, "leaver")).filter((f) => !f.startsWith(".")).sort();
    await setDesired(vm.uuid!, { host: OTHER_HOST, power: "running", reason: "moved by the test" });
    await until("the VM to leave this host", async () => !(await host.client.listVms()).some((v) => v.name === "leaver"), 40_000);
    expect(readFileSync(join(sharedDir, "leaver", ".vmctl-owner"), "utf8").trim()).toBe(OTHER_HOST);
    expect(readdirSync(join(sharedDir, "leaver")).filter((f) => !f.startsWith(".")).sort()).toEqual(files);
    expect(host.qemuPid("leaver") === undefined || !isAlive(host.qemuPid("leaver")!)).toBe(true);
    // Its observed record (this host's) goes with it.
    await until("the observed record to go", async () => (await store.get(keys.observed(vm.uuid!))) === null);
  }, 90_000);

  it("keeps working alone while etcd is away, and registers again (a new lease) once it is back", async () => {
    await until("the host record", async () => (await store.get<HostRecord>(keys.host(hostId)))?.value);
    await etcd.stop();
    await sleep((HOST_LEASE_SECONDS + 2) * 1000);
    // The host serves as ever: a VM made meanwhile, started and stopped.
    const vm = await host.client.createVm(guestDefinition("alone"));
    await host.client.power("alone", { action: "start" });
    await waitForState(host.client, "alone", "running", 30_000);
    await etcd.restart();
    // The old lease expired while etcd was down (etcd's lease clock runs again on restart): a new one carries the record.
    const record = await until("the host record after the outage", async () => (await store.get<HostRecord>(keys.host(hostId)))?.value, 45_000);
    expect(record.id).toBe(hostId);
    await until("the new VM's records", async () => (await store.get<ObservedVm>(keys.observed(vm.uuid!)))?.value.summary.state === "running", 30_000);
    expect((await store.get<DesiredVm>(keys.desired(vm.uuid!)))?.value.host).toBe(hostId);
    await host.client.power("alone", { action: "stop", force: true });
  }, 120_000);

  it("fences at restart: a VM running here that the cluster wants on another host is stopped before the API answers, and stays stopped", async () => {
    const vm = await host.client.createVm(guestDefinition("fenced"));
    await host.client.power("fenced", { action: "start" });
    await waitForState(host.client, "fenced", "running", 30_000);
    const pid = host.qemuPid("fenced")!;
    await until("the desired record", async () => (await store.get<DesiredVm>(keys.desired(vm.uuid!)))?.value);
    await host.killDaemon(); // QEMU keeps running, as after a host that lost its network
    await setDesired(vm.uuid!, { host: OTHER_HOST, power: "running", reason: "HA restart after this host died (test)" });
    await host.startDaemon();
    expect((await host.client.getVm("fenced")).state).toBe("stopped");
    expect(isAlive(pid)).toBe(false);
    await sleep(6000);
    expect((await host.client.getVm("fenced")).state).toBe("stopped");
  });
});

/** A JWT with any header and claims, signed with `privateKeyPem` (or unsigned). */
function craft(header: Record<string, unknown>, claims: Record<string, unknown>, privateKeyPem?: string): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = privateKeyPem ? sign(null, Buffer.from(input), createPrivateKey(privateKeyPem)).toString("base64url") : "AAAA";
  return `${input}.${signature}`;
}

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuerOf(CLUSTER_ID), sub: "alice", aud: hostId, role: "Operator", iat: now, exp: now + 300, jti: randomUUID(), ...extra };
}

async function statusOf(work: Promise<unknown>): Promise<number> {
  try {
    await work;
    return 200;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

describe("cluster tokens on a joined host", () => {
  it("a token minted for this host acts as '<user> (vmcenter)' with its built-in role, and is audited so", async () => {
    await host.client.createVm(guestDefinition("jwt1"));
    const operator = https(signer.mint("alice", "Operator", hostId));
    expect((await operator.me()).name).toBe("alice (vmcenter)");
    expect((await operator.listVms()).some((v) => v.name === "jwt1")).toBe(true);
    await operator.power("jwt1", { action: "start" });
    await waitForState(host.client, "jwt1", "running", 30_000);
    const audit = await host.client.listAudit({});
    expect(audit.some((e) => e.user === "alice (vmcenter)" && e.action === "POST /api/v1/vms/:name/power")).toBe(true);
    // Operator has no vm.delete; ReadOnly no vm.power.
    expect(await statusOf(operator.destroyVm("jwt1"))).toBe(403);
    expect(await statusOf(https(signer.mint("bob", "ReadOnly", hostId)).power("jwt1", { action: "stop" }))).toBe(403);
  });

  it("a cluster user named like a local user gets none of that user's tokens or account", async () => {
    const local = await host.client.createToken({ name: "break-glass", role: "Admin", expires: null });
    const namesake = https(signer.mint("admin", "Operator", hostId));
    expect(await statusOf(namesake.listTokens())).toBe(403);
    expect(await statusOf(namesake.revokeToken(local.id))).toBe(403);
    expect(await statusOf(namesake.createToken({ name: "mine", role: "ReadOnly", expires: null }))).toBe(403);
    expect(await statusOf(namesake.updateUser("admin", { password: "taken-over-123456" }))).toBe(403);
    expect((await https(local.token).me()).user).toBe("admin");
  });

  it("refuses another host's token, an expired one, one signed by another key, alg none and a role that is not built in", async () => {
    const now = Math.floor(Date.now() / 1000);
    const refused = {
      otherHost: signer.mint("alice", "Admin", OTHER_HOST),
      expired: craft({ alg: "EdDSA", typ: "JWT" }, claims({ iat: now - 700, exp: now - 400 }), signingKey.privateKeyPem),
      foreignKey: foreignSigner.mint("alice", "Admin", hostId),
      algNone: craft({ alg: "none", typ: "JWT" }, claims({ role: "Admin" })),
      algHs256: craft({ alg: "HS256", typ: "JWT" }, claims({ role: "Admin" })),
      unknownRole: craft({ alg: "EdDSA", typ: "JWT" }, claims({ role: "Superuser" }), signingKey.privateKeyPem),
      customRole: craft({ alg: "EdDSA", typ: "JWT" }, claims({ role: "__proto__" }), signingKey.privateKeyPem),
      otherCluster: craft({ alg: "EdDSA", typ: "JWT" }, claims({ iss: issuerOf(randomUUID()) }), signingKey.privateKeyPem),
      tooLong: craft({ alg: "EdDSA", typ: "JWT" }, claims({ exp: now + 3600 }), signingKey.privateKeyPem),
    };
    for (const [what, token] of Object.entries(refused)) {
      expect({ what, status: await statusOf(https(token).listVms()) }).toEqual({ what, status: 401 });
    }
  });

  it("a ticket minted with a cluster token opens the console, and the socket closes once the token expires", async () => {
    await waitForState(host.client, "jwt1", "running", 30_000);
    const shortLived = https(signer.mint("alice", "Operator", hostId, 2));
    const { ticket } = await shortLived.socketTicket("jwt1", "console");
    const cert = readFileSync(join(host.home, "tls", "cert.pem"), "utf8");
    const socket = new WebSocket(`wss://127.0.0.1:${host.port}/ws/vms/jwt1/console?ticket=${encodeURIComponent(ticket)}`, { ca: cert, checkServerIdentity: () => undefined });
    await new Promise<void>((resolve, reject) => { socket.once("open", () => resolve()); socket.once("error", reject); socket.once("unexpected-response", () => reject(new Error("refused"))); });
    const closed = await new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    expect(closed).toBe(4401);
    await host.client.power("jwt1", { action: "stop", force: true });
  }, 60_000);

  it("a plain host (no cluster.json) refuses every cluster token", async () => {
    const plain = await TestHost.start();
    try {
      const id = (await plain.client.host()).id;
      expect((await plain.client.host()).cluster).toBeNull();
      const cert = readFileSync(join(plain.home, "tls", "cert.pem"), "utf8");
      const client = new VmctlClient({ url: `https://127.0.0.1:${plain.port}`, pinnedCert: cert, token: signer.mint("alice", "Admin", id) });
      expect(await statusOf(client.listVms())).toBe(401);
    } finally {
      await plain.close();
    }
  });
});

describe("the join route", () => {
  let app: FastifyInstance;
  const joinToken = `vmjoin_${randomUUID()}`;
  const emitted: string[] = [];

  beforeAll(async () => {
    const { createHash } = await import("node:crypto");
    await store.put(keys.joinToken(), { sha256: createHash("sha256").update(joinToken).digest("hex"), createdAt: new Date().toISOString() });
    await store.put(keys.signingKey(), { ...signingKey, createdAt: new Date().toISOString() });
    app = Fastify();
    app.setErrorHandler((error, _request, reply) => {
      const coded = error as { code?: string; status?: number; statusCode?: number };
      const status = coded.status ?? coded.statusCode ?? 500;
      void reply.status(status).send({ error: { code: coded.code, message: error.message } });
    });
    const ctx = {
      clusterId: CLUSTER_ID, url: "https://center.test:8444", store, logger: undefined,
      events: { emit: async (type: string) => { emitted.push(type); } },
    } as unknown as CenterContext;
    await registerJoinRoute(app, ctx, { etcdEndpoints: [etcd.endpoint] });
    await app.ready();
  });
  afterAll(async () => { await app?.close(); });

  const body = (token: string, id = randomUUID()) => ({ joinToken: token, host: { id, name: "node-j", url: "https://127.0.0.1:9443", certPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" } });

  it("answers the cluster's keys and etcd for the right token, records the host, and keeps its tags when it joins again", async () => {
    const id = randomUUID();
    const answer = await app.inject({ method: "POST", url: "/api/v1/cluster/join", payload: body(joinToken, id) });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ clusterId: CLUSTER_ID, issuer: issuerOf(CLUSTER_ID), publicKeysPem: [signingKey.publicKeyPem], etcd: { endpoints: [etcd.endpoint] }, centerUrls: ["https://center.test:8444"] });
    expect(emitted).toContain("cluster.host.joined");
    await store.update<HostMeta>(keys.hostMeta(id), (meta) => ({ ...meta!, tags: ["ssd"], maintenance: true }));
    expect((await app.inject({ method: "POST", url: "/api/v1/cluster/join", payload: body(joinToken, id) })).statusCode).toBe(200);
    expect((await store.get<HostMeta>(keys.hostMeta(id)))!.value).toMatchObject({ id, name: "node-j", tags: ["ssd"], maintenance: true, schedulable: true });
  });

  it("refuses a wrong token (401), a hostile body (400), and rate-limits guessing (429)", async () => {
    expect((await app.inject({ method: "POST", url: "/api/v1/cluster/join", payload: { joinToken } })).statusCode).toBe(400);
    expect((await app.inject({ method: "POST", url: "/api/v1/cluster/join", payload: { joinToken, host: { ...body(joinToken).host, url: "http://127.0.0.1:9443" } } })).statusCode).toBe(400);
    expect((await app.inject({ method: "POST", url: "/api/v1/cluster/join", payload: { joinToken: "x".repeat(100_000), host: body(joinToken).host } })).statusCode).toBeGreaterThanOrEqual(400);
    expect((await app.inject({ method: "POST", url: "/api/v1/cluster/join", payload: { joinToken, host: { ...body(joinToken).host, id: "../../etc" } } })).statusCode).toBe(400);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await app.inject({ method: "POST", url: "/api/v1/cluster/join", payload: body(`vmjoin_wrong${i}`) })).statusCode);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // Even the right token waits out the window from that address: guessing cannot go on.
    expect((await app.inject({ method: "POST", url: "/api/v1/cluster/join", payload: body(joinToken) })).statusCode).toBe(429);
  });
});

describe("vmctld --join", () => {
  it("joins through vmcenter's join route over HTTPS (--join-ca), keeps cluster.json 0600 and registers in etcd", async () => {
    const joinToken = `vmjoin_${randomUUID()}`;
    const { createHash } = await import("node:crypto");
    await store.put(keys.joinToken(), { sha256: createHash("sha256").update(joinToken).digest("hex"), createdAt: new Date().toISOString() });
    await store.put(keys.signingKey(), { ...signingKey, createdAt: new Date().toISOString() });
    // vmcenter's stand-in serves with the test host's certificate (made for 127.0.0.1), trusted by --join-ca.
    const certFile = join(host.home, "tls", "cert.pem");
    const center = Fastify({ https: { cert: readFileSync(certFile), key: readFileSync(join(host.home, "tls", "key.pem")) } });
    const ctx = { clusterId: CLUSTER_ID, url: "https://127.0.0.1:1", store, events: { emit: async () => {} } } as unknown as CenterContext;
    await registerJoinRoute(center, ctx, { etcdEndpoints: [etcd.endpoint] });
    await center.listen({ host: "127.0.0.1", port: 0 });
    const address = center.server.address();
    const centerPort = typeof address === "object" && address ? address.port : 0;
    const home = mkdtempSync(join(tmpdir(), "vmctl-join-"));
    writeFileSync(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\nlog_level = "warn"\n[networks.default]\nkind = "user"\n`);
    const daemonMain = join(import.meta.dirname, "../../packages/daemon/dist/main.js");
    let stderr = "";
    const daemon = spawn(process.execPath, [daemonMain, "--home", home, "--join", `https://127.0.0.1:${centerPort}`, "--join-token", joinToken, "--join-ca", certFile, "--host-name", "joiner"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, VMCTL_ADMIN_PASSWORD: "x-test-password-1" } });
    daemon.stderr!.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
    try {
      const file = join(home, "cluster.json");
      await until(`cluster.json (${stderr})`, async () => existsSync(file), 30_000);
      const membership = JSON.parse(readFileSync(file, "utf8")) as { clusterId: string; publicKeysPem: string[]; hostName: string };
      expect(membership).toMatchObject({ clusterId: CLUSTER_ID, publicKeysPem: [signingKey.publicKeyPem], hostName: "joiner" });
      const { statSync } = await import("node:fs");
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const joined = new VmctlClient({ socketPath: join(home, "vmctld.sock") });
      const id = (await until("the joined host", async () => joined.host())).id;
      expect((await store.get<HostMeta>(keys.hostMeta(id)))!.value).toMatchObject({ id, name: "joiner", maintenance: false, schedulable: true });
      await until("its host record", async () => (await store.get<HostRecord>(keys.host(id)))?.value.name === "joiner");
    } finally {
      const exited = new Promise((r) => daemon.once("exit", r));
      daemon.kill("SIGKILL");
      await exited;
      await center.close();
      rmSync(home, { recursive: true, force: true });
    }
  }, 90_000);

  it("refuses to send the join token over plain http: vmctld exits with the reason", async () => {
    const home = mkdtempSync(join(tmpdir(), "vmctl-join-"));
    writeFileSync(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\nlog_level = "warn"\n[networks.default]\nkind = "user"\n`);
    const daemonMain = join(import.meta.dirname, "../../packages/daemon/dist/main.js");
    const daemon = spawn(process.execPath, [daemonMain, "--home", home, "--join", "http://127.0.0.1:1", "--join-token", "x"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, VMCTL_ADMIN_PASSWORD: "x-test-password-1" } });
    let stderr = "";
    daemon.stderr!.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
    const code = await new Promise<number | null>((r) => daemon.once("exit", (c) => r(c)));
    rmSync(home, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr).toMatch(/not https/);
  }, 60_000);
});

describe("cluster.json", () => {
  it("a garbled cluster.json stops vmctld with what to fix", async () => {
    const other = await TestHost.start();
    try {
      await other.killDaemon();
      writeFileSync(join(other.home, "cluster.json"), "{\"clusterId\": 1}");
      await expect(other.startDaemon()).rejects.toThrow(/cluster\.json/);
    } finally {
      await other.close();
    }
    expect(existsSync(join(host.home, "cluster.json"))).toBe(true);
  });
});
