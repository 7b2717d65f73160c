// vmcenter as a host for every VM of the cluster (its host proxy). First its mechanics, over two real
// vmctld and a real etcd with the proxy in a bare app (host-local tokens stand in for cluster tokens,
// so that this part stands on the proxy alone): the VM list merges the hosts', requests and answers
// stream to and from the owner (TOML, If-Match, ETag, an OVA), the host's refusals pass through,
// consoles (JSON, binary, tickets) relay, a console survives a live migration, and the attacks: a path
// that climbs out of /api/v1/vms/NAME, a ticket vmcenter never minted, a host whose lease is gone.
// Then the same through the real vmcenter with joined hosts: cluster tokens, their audience, roles.
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import pino from "pino";
import WebSocket from "ws";
import { VmctlClient } from "../../packages/client/src/index.js";
import { ClusterStore } from "../../packages/center/src/cluster-store.js";
import { keys, type ClusterRecord, type DesiredVm, type SigningKeyRecord } from "../../packages/center/src/cluster-keys.js";
import { TokenSigner, makeSigningKey, type ClusterRole } from "../../packages/center/src/cluster-token.js";
import type { CenterContext, ClusterPrincipal } from "../../packages/center/src/center-context.js";
import { createHostDirectory } from "../../packages/center/src/host-directory.js";
import { registerHostProxy } from "../../packages/center/src/proxy/index.js";
import { registerErrors } from "../../packages/center/src/server/center-app.js";
import { TestHost } from "../system/harness.js";
import { useCluster, clusterGuest, ConsoleReader, GUEST_READY_LINE, eventually, startVm, killHost, waitForHosts } from "./cluster-harness.js";

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A request sent with its path exactly as given (no URL normalization), trusting `ca` over HTTPS. */
function rawRequest(url: string, method: string, path: string, options: { token?: string; ca?: string; body?: string; type?: string }): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) { headers["content-type"] = options.type ?? "application/json"; headers["content-length"] = String(Buffer.byteLength(options.body)); }
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send({ hostname: target.hostname, port: target.port, method, path, headers, ca: options.ca, checkServerIdentity: () => undefined, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => { body += chunk; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** etcd 3.4 in a temporary folder on loopback ports (tried again on other ports if taken). */
async function startEtcd(dir: string): Promise<{ process: ChildProcess; endpoint: string }> {
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const [client, peer] = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`];
    const etcd = spawn("/usr/bin/etcd", ["--data-dir", join(dir, `etcd-${attempt}`), "--listen-client-urls", client, "--advertise-client-urls", client,
      "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", `default=${peer}`], { stdio: "ignore" });
    const probe = new ClusterStore({ endpoints: [client] });
    try {
      for (let i = 0; i < 100 && etcd.exitCode === null; i++) {
        if (await probe.get("/probe").then(() => true, () => false)) return { process: etcd, endpoint: client };
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      probe.close();
    }
    etcd.kill("SIGKILL");
    if (attempt >= 4) throw new Error("etcd did not start");
  }
}

describe("the host proxy's mechanics: two vmctld, etcd and the proxy in a bare app", () => {
  let dir = "";
  let shared = "";
  let etcd: ChildProcess | undefined;
  let store: ClusterStore;
  let app: FastifyInstance;
  let center: string;
  let closeDirectory: () => Promise<void> = async () => {};
  const hosts: Array<{ host: TestHost; id: string; name: string; tokens: Record<ClusterRole, string> }> = [];
  const as = (user: string, role: ClusterRole) => new VmctlClient({ url: center, token: `test-${user}-${role}` });
  const admin = () => as("ann", "Admin");
  const desired = (uuid: string, name: string, host: string, generation = 1): DesiredVm =>
    ({ uuid, name, host, power: null, ha: false, datastore: "shared", shared: true, memoryBytes: 128 << 20, cpus: 1, generation, updatedAt: new Date().toISOString(), reason: "test" });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vmctl-proxy-"));
    shared = join(dir, "shared");
    const started = await startEtcd(dir);
    etcd = started.process;
    store = new ClusterStore({ endpoints: [started.endpoint] });
    // QEMU runs as its own user: it must reach the guest's folder and write in the shared datastore.
    chmodSync(dir, 0o755);
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const lease = store.lease(60);
    for (const n of [1, 2]) {
      const host = await TestHost.start({ config: `[datastores.shared]\npath = ${JSON.stringify(shared)}\nshared = true\n` });
      const id = (await host.client.host()).id;
      const token = async (role: ClusterRole) => (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: `proxy-${role}`, role, expires: null, user: "admin" })).token;
      hosts.push({ host, id, name: `host${n}`, tokens: { Admin: await token("Admin"), Operator: await token("Operator"), ReadOnly: await token("ReadOnly") } });
      const url = `https://127.0.0.1:${host.port}`;
      const certPem = readFileSync(join(host.home, "tls", "cert.pem"), "utf8");
      await store.put(keys.hostMeta(id), { id, name: `host${n}`, url, certPem, joinedAt: new Date().toISOString(), maintenance: false, schedulable: true, tags: [], deadSince: null });
      await store.put(keys.host(id), { id, name: `host${n}`, url, certPem }, lease);
    }
    await store.put(keys.user("ann"), { name: "ann", role: "Admin", passwordHash: "-", createdAt: new Date().toISOString(), disabled: false });
    const logger = pino({ level: "warn" });
    const signer = new TokenSigner(makeSigningKey(), "proxy-test");
    const real = createHostDirectory({ store, signer, logger });
    closeDirectory = () => real.close();
    // The directory as vmcenter's, but with each host's own token of the user's role for the cluster token.
    const hostsDirectory = { ...real, client: async (hostId: string, principal: ClusterPrincipal) => {
      const endpoint = await real.endpoint(hostId, principal);
      return new VmctlClient({ ...endpoint, token: hosts.find((h) => h.id === hostId)!.tokens[principal.role] });
    } };
    const ctx = { clusterId: "proxy-test", replicaId: "r1", url: "", store, signer, logger, hosts: hostsDirectory, isLeader: () => true, leaderUrl: () => null, settings: { haGraceSeconds: 30 } } as unknown as CenterContext;
    app = Fastify({ logger: false });
    registerErrors(app);
    // A stand-in for vmcenter's role hook: "Bearer test-<user>-<role>" is that cluster user.
    app.decorateRequest("clusterPrincipal", null as unknown as ClusterPrincipal);
    app.addHook("onRequest", async (request) => {
      const match = /^Bearer test-(\w+)-(Admin|Operator|ReadOnly)$/.exec(request.headers.authorization ?? "");
      if (match) request.clusterPrincipal = { user: match[1]!, role: match[2] as ClusterRole, name: match[1]! };
    });
    await registerHostProxy(app, ctx);
    await app.listen({ host: "127.0.0.1", port: 0 });
    center = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    for (const [index, name] of ["pm-one", "pm-two"].entries()) {
      const made = await hosts[index]!.host.client.createVm(clusterGuest(name), "shared");
      await store.put(keys.desired(made.uuid!), desired(made.uuid!, name, hosts[index]!.id));
    }
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await closeDirectory();
    store?.close();
    for (const { host } of hosts) await host.close();
    etcd?.kill("SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("merges the hosts' VM lists, each VM with its host", async () => {
    const list = await admin().call<{ vms: Array<{ name: string; host: string; hostName: string }>; total: number }>("GET", "/api/v1/vms?sort=-name");
    expect(list.vms.map((vm) => [vm.name, vm.host, vm.hostName])).toEqual([["pm-two", hosts[1]!.id, "host2"], ["pm-one", hosts[0]!.id, "host1"]]);
    expect(list.total).toBe(2);
    expect((await admin().call<{ vms: unknown[]; total: number }>("GET", "/api/v1/vms?limit=1")).vms).toHaveLength(1);
    expect((await admin().raw("GET", "/api/v1/vms?state=bogus")).status).toBe(400);
  });

  it("streams requests and answers to the owner: TOML, If-Match, ETag, an OVA download", async () => {
    const { text, etag } = await admin().getDefinition("pm-two");
    const changed = text.replace('name = "pm-two"', 'name = "pm-two"\ndescription = "through the proxy"');
    const put = await admin().raw("PUT", "/api/v1/vms/pm-two/definition", { type: "application/toml", text: changed }, { "if-match": etag });
    expect(put.status).toBe(200);
    expect(put.headers.etag).not.toBe(etag);
    expect((await hosts[1]!.host.client.getVm("pm-two")).description).toBe("through the proxy");
    const stale = await admin().raw("PUT", "/api/v1/vms/pm-two/definition", { type: "application/toml", text }, { "if-match": etag });
    expect([stale.status, JSON.parse(stale.text).error.code]).toEqual([412, "precondition_failed"]);
    await admin().exportOva("pm-two", join(dir, "through.ova"));
    await hosts[1]!.host.client.exportOva("pm-two", join(dir, "direct.ova"));
    expect(statSync(join(dir, "through.ova")).size).toBe(statSync(join(dir, "direct.ova")).size);
  });

  it("passes the host's refusal of what the user's role lacks", async () => {
    expect((await as("rita", "ReadOnly").getVm("pm-one")).name).toBe("pm-one");
    const refused = await as("rita", "ReadOnly").raw("POST", "/api/v1/vms/pm-one/power", { type: "application/json", text: '{"action":"start"}' });
    expect([refused.status, JSON.parse(refused.text).error.code]).toEqual([403, "forbidden"]);
    const nobody = await new VmctlClient({ url: center }).raw("GET", "/api/v1/vms/pm-one");
    expect(nobody.status).toBe(401);
    expect((await admin().raw("GET", "/api/v1/vms/no-such-vm")).status).toBe(404);
  });

  it("refuses paths that would climb out of the VM's routes", async () => {
    for (const path of ["/api/v1/vms/pm-one/../../users", "/api/v1/vms/pm-one/%2e%2e/%2e%2e/users", "/api/v1/vms/pm-one%2f..%2f..%2fusers", "/api/v1/vms/pm-one/..%2F..%2Fusers", "/api/v1/vms/pm-one/%5c..%5cusers", "/api/v1/vms/pm-one//definition"]) {
      const answer = await rawRequest(center, "GET", path, { token: "test-ann-Admin" });
      expect([answer.status, JSON.parse(answer.body).error.code], path).toEqual([400, "bad_request"]);
    }
  });

  it("relays consoles (JSON, binary, tickets once) and keeps one open across a live migration", async () => {
    const client = admin();
    await hosts[0]!.host.client.waitTask((await client.power("pm-one", { action: "start" })).id);
    const reader = await ConsoleReader.open(client, "pm-one");
    await reader.waitFor(GUEST_READY_LINE, 60_000);
    const before = await reader.run("cat /proc/uptime");
    const binary = client.openConsole("pm-one", { binary: true });
    let seen = "";
    binary.on("message", (data, isBinary) => { if (isBinary) seen += data.toString(); });
    await new Promise((resolve, reject) => { binary.once("open", resolve); binary.once("error", reject); });
    expect(binary.protocol).toBe("vmctl.console.binary.v1");
    binary.send(Buffer.from("echo bytes-$((2+3))\n"));
    await eventually(() => seen.includes("bytes-5"), 20_000, () => `no echo on the binary console: ${seen.slice(-300)}`);
    binary.close();
    const ticket = await client.call<{ ticket: string; url: string }>("POST", "/api/v1/vms/pm-one/console", { purpose: "console" });
    const open = (path: string) => new Promise<number | "open">((resolve) => {
      const socket = new WebSocket(`${center.replace(/^http/, "ws")}${path}`);
      socket.once("open", () => { socket.close(); resolve("open"); });
      socket.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      socket.once("error", () => resolve(0));
    });
    expect(await open(ticket.url)).toBe("open");
    expect(await open(ticket.url)).toBe(401);
    expect(await open("/ws/vms/pm-one/console?ticket=never-minted")).toBe(401);
    // Live migration to host2 (the hosts' own API, as the controller drives it), then desired state names host2.
    const uuid = (await client.getVm("pm-one")).uuid!;
    const incoming = await hosts[1]!.host.client.call<{ uri: string }>("POST", "/api/v1/migrations/incoming", { name: "pm-one", uuid, datastore: "shared" });
    const out = await hosts[0]!.host.client.call<{ id: string }>("POST", "/api/v1/vms/pm-one/migrate-out", { uri: incoming.uri, targetHost: hosts[1]!.id });
    expect((await hosts[0]!.host.client.waitTask(out.id)).state).toBe("success");
    // Before desired state names host2, its agent reports the VM there (observed): the source's 404 is asked again there.
    const summary = await hosts[1]!.host.client.getVm("pm-one");
    await store.put(keys.observed(uuid), { uuid, name: "pm-one", host: hosts[1]!.id, summary, updatedAt: new Date().toISOString() });
    expect((await client.getVm("pm-one")).state).toBe("running");
    await store.put(keys.desired(uuid), desired(uuid, "pm-one", hosts[1]!.id, 2));
    const after = await reader.run("cat /proc/uptime", 60_000);
    expect(reader.ended).toBe(false); // no eof, no close: the same socket all along
    const uptime = (text: string) => Number(/(\d+\.\d+) \d+\.\d+/.exec(text)![1]);
    expect(uptime(after)).toBeGreaterThan(uptime(before));
    expect((await client.getVm("pm-one")).state).toBe("running");
    reader.close();
    await hosts[1]!.host.client.waitTask((await client.power("pm-one", { action: "stop", force: true })).id);
  });

  it("answers host_unreachable at once when the owner's lease is gone, and lists the other hosts", async () => {
    await store.delete(keys.host(hosts[1]!.id));
    const started = Date.now();
    const answer = await admin().raw("GET", "/api/v1/vms/pm-two");
    expect(Date.now() - started).toBeLessThan(3000);
    expect([answer.status, JSON.parse(answer.text).error.code]).toEqual([502, "host_unreachable"]);
    const list = await admin().raw("GET", "/api/v1/vms");
    expect(String(list.headers.warning)).toContain(`host2 (${hosts[1]!.id}) is disconnected`);
    // A live record and a VM of a host that never joined (no hostmeta): nothing is sent anywhere.
    await store.put(keys.host("rogue"), { id: "rogue", name: "rogue", url: "https://127.0.0.1:9", certPem: "" });
    await store.put(keys.desired("0e1e2e3e-0000-4000-8000-000000000001"), desired("0e1e2e3e-0000-4000-8000-000000000001", "pm-rogue", "rogue"));
    const rogue = await admin().raw("GET", "/api/v1/vms/pm-rogue");
    expect([rogue.status, JSON.parse(rogue.text).error.code]).toEqual([404, "host_not_found"]);
  });
});

describe("vmcenter's host proxy in the real vmcenter (cluster tokens, joined hosts)", () => {
  const cluster = useCluster({ hosts: 2 });
  let store: ClusterStore;
  let ca: string;
  let viewer: VmctlClient;
  const vm1 = "px-one";
  const vm2 = "px-two";

  beforeAll(async () => {
    const { demo, client } = cluster();
    ca = readFileSync(demo.ca, "utf8");
    store = new ClusterStore({ endpoints: demo.etcd.endpoints });
    // One VM made on each host, locally (root on its unix socket): the agents report them to the cluster.
    const [h1, h2] = demo.hosts;
    await cluster().local(h1!).createVm(clusterGuest(vm1));
    await cluster().local(h2!).createVm(clusterGuest(vm2));
    // A ReadOnly cluster user with an API token.
    await client.call("POST", "/api/v1/users", { username: "viewer", password: "viewer-password-1234", role: "ReadOnly" });
    const { client: session } = await new VmctlClient({ url: demo.url, ca }).openSession("viewer", "viewer-password-1234");
    const { token } = await session.call<{ token: string }>("POST", "/api/v1/tokens", { name: "proxy-test", role: "ReadOnly", expires: null });
    viewer = new VmctlClient({ url: demo.url, ca, token });
    await eventually(async () => {
      for (const name of [vm1, vm2]) await client.getVm(name);
      return true;
    }, 30_000, () => "the VMs made on the hosts never became reachable through vmcenter");
  });
  afterAll(() => store?.close());

  it("lists the VMs of every host, each with its host", async () => {
    const { demo, client } = cluster();
    const list = await client.call<{ vms: Array<{ name: string; host: string; hostName: string; uuid?: string }>; total: number }>("GET", "/api/v1/vms");
    const mine = list.vms.filter((vm) => vm.name.startsWith("px-"));
    expect(mine.map((vm) => [vm.name, vm.host])).toEqual([[vm1, demo.hosts[0]!.id], [vm2, demo.hosts[1]!.id]]);
    expect(mine[0]!.hostName).toBe(demo.hosts[0]!.name);
    expect(list.total).toBe(list.vms.length);
    // Filters are the host's: a state that no VM has lists none.
    const running = await client.call<{ vms: unknown[] }>("GET", "/api/v1/vms?state=running&name=px-*");
    expect(running.vms).toEqual([]);
  });

  it("reaches the VM's own host, TOML definition and If-Match included", async () => {
    const { demo, client } = cluster();
    const local = await cluster().local(demo.hosts[1]!).getVm(vm2);
    const through = await client.getVm(vm2);
    expect(through.uuid).toBe(local.uuid);
    const { text, etag } = await client.getDefinition(vm2);
    expect(text).toContain(`name = "${vm2}"`);
    const changed = text.replace(`name = "${vm2}"`, `name = "${vm2}"\ndescription = "edited through vmcenter"`);
    const put = await client.raw("PUT", `/api/v1/vms/${vm2}/definition`, { type: "application/toml", text: changed }, { "if-match": etag });
    expect(put.status).toBe(200);
    expect(put.headers.etag).toBeTruthy();
    expect((await cluster().local(demo.hosts[1]!).getVm(vm2)).description).toBe("edited through vmcenter");
    // The stale ETag is refused by the host, and its 412 comes back as it is.
    const stale = await client.raw("PUT", `/api/v1/vms/${vm2}/definition`, { type: "application/toml", text }, { "if-match": etag });
    expect(stale.status).toBe(412);
    expect(JSON.parse(stale.text).error.code).toBe("precondition_failed");
  });

  it("acts as the user: a ReadOnly cluster user reads, and the host refuses what the role lacks", async () => {
    expect((await viewer.getVm(vm1)).name).toBe(vm1);
    const refused = await viewer.raw("POST", `/api/v1/vms/${vm1}/power`, { type: "application/json", text: JSON.stringify({ action: "start" }) });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text).error.code).toBe("forbidden");
    const destroy = await viewer.raw("DELETE", `/api/v1/vms/${vm1}`);
    expect(destroy.status).toBe(403);
    const { client } = cluster();
    expect((await client.getVm(vm1)).name).toBe(vm1);
  });

  it("opens a VM's serial console through vmcenter (bearer, binary subprotocol and a ticket)", async () => {
    const { demo, client } = cluster();
    await startVm(client, vm1);
    const reader = await ConsoleReader.open(client, vm1);
    try {
      await reader.waitFor(GUEST_READY_LINE, 60_000);
      expect(await reader.run("echo proxied-$((6*7))")).toContain("proxied-42");
    } finally {
      reader.close();
    }
    // The binary fast path: the same subprotocol on both legs, raw bytes both ways.
    const binary = client.openConsole(vm1, { binary: true });
    let seen = "";
    binary.on("message", (data, isBinary) => { if (isBinary) seen += data.toString(); });
    await new Promise((resolve, reject) => { binary.once("open", resolve); binary.once("error", reject); });
    expect(binary.protocol).toBe("vmctl.console.binary.v1");
    binary.send(Buffer.from("echo bytes-$((2+3))\n"));
    await eventually(() => seen.includes("bytes-5"), 20_000, () => `the binary console never echoed; it showed ${seen.slice(-300)}`);
    binary.close();
    // A ticket minted through vmcenter opens the socket with nothing else, once.
    const ticket = await client.call<{ ticket: string; url: string }>("POST", `/api/v1/vms/${vm1}/console`, { purpose: "console" });
    expect(ticket.url).toBe(`/ws/vms/${vm1}/console?ticket=${ticket.ticket}`);
    const open = (url: string) => new Promise<number | "open">((resolve) => {
      const socket = new WebSocket(new URL(url, demo.url.replace(/^https/, "wss")), { ca, checkServerIdentity: () => undefined });
      socket.once("open", () => { socket.close(); resolve("open"); });
      socket.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      socket.once("error", () => resolve(0));
    });
    expect(await open(ticket.url)).toBe("open");
    expect(await open(ticket.url)).toBe(401); // single use
    expect(await open(`/ws/vms/${vm1}/console?ticket=made-up-ticket`)).toBe(401);
  });

  it("refuses a path that would climb out of the VM's routes", async () => {
    const { demo } = cluster();
    for (const path of [
      `/api/v1/vms/${vm1}/../../users`, `/api/v1/vms/${vm1}/%2e%2e/%2e%2e/users`, `/api/v1/vms/${vm1}%2f..%2f..%2fusers`,
      `/api/v1/vms/${vm1}/..%2F..%2Fusers`, `/api/v1/vms/${vm1}/%5c..%5cusers`, `/api/v1/vms/${vm1}//definition`, `/api/v1/vms/${vm1}/./definition`,
    ]) {
      const answer = await rawRequest(demo.url, "GET", path, { token: demo.token, ca });
      expect(answer.status, path).toBe(400);
      expect(JSON.parse(answer.body).error.code, path).toBe("bad_request");
    }
  });

  it("a token minted for one host is refused by another (aud)", async () => {
    const { demo } = cluster();
    const signing = (await store.get<SigningKeyRecord>(keys.signingKey()))!.value;
    const { clusterId } = (await store.get<ClusterRecord>(keys.cluster()))!.value;
    const signer = new TokenSigner(signing, clusterId);
    const [h1, h2] = demo.hosts;
    const forHost1 = signer.mint("admin", "Admin", h1!.id, 60);
    expect((await rawRequest(h1!.url, "GET", "/api/v1/vms", { token: forHost1, ca })).status).toBe(200);
    const elsewhere = await rawRequest(h2!.url, "GET", "/api/v1/vms", { token: forHost1, ca });
    expect(elsewhere.status).toBe(401);
    expect(JSON.parse(elsewhere.body).error.code).toBe("unauthenticated");
  });

  it("answers host_unreachable at once for a VM whose host's lease is gone, and lists the others", async () => {
    const { demo, client } = cluster();
    const h2 = demo.hosts[1]!;
    await killHost(demo, h2.id);
    await waitForHosts(cluster(), (hosts) => hosts.find((h) => h.id === h2.id)?.state !== "connected", 30_000);
    const started = Date.now();
    const answer = await client.raw("GET", `/api/v1/vms/${vm2}`);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.text).error.code).toBe("host_unreachable");
    const list = await client.raw("GET", "/api/v1/vms");
    expect(list.status).toBe(200);
    expect(String(list.headers.warning)).toContain(h2.id);
    expect((JSON.parse(list.text) as { vms: Array<{ name: string }> }).vms.map((vm) => vm.name)).toContain(vm1);
  });
});
