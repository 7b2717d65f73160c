// The cluster on one machine (`vmctl cluster demo`, the cluster tests and bench/cluster): a demo CA
// and certificates (openssl), etcd, one vmcenter and N vmctld joined to it, each with a home of its
// own in DIR, loopback ports and one shared datastore. It only starts processes and talks HTTPS
// through @vmctl/client: it never loads etcd3 (the CLI bundle must not). Everything it starts is
// ended by pid: stop() for all, killHost/restartHost/startCenterReplica/killCenter for the faults
// the tests and the benchmark make.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, copyFile, mkdir, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { VmctlClient } from "@vmctl/client";
import type { ClusterHost } from "@vmctl/api-types";
import { makeDemoCa, makeDemoCertificate, type DemoCertificate } from "./demo-certs.js";
import { ProcessEnded, endProcess, freePort, hostQemus, isRunning, startProcess, tail, waitUntil, type DemoProcess, type HostQemu } from "./demo-processes.js";

export { hostQemus, isRunning, type HostQemu };

export interface ClusterDemoOptions {
  /** How many vmctld (1–16). */
  hosts: number;
  /** Where everything lives; made if missing, refused unless empty. */
  dir: string;
  /** The demo guest's kernel and initrd, copied into DIR/images: the datastore "images" on every host, as vmlinuz and initrd.img. */
  guest?: { kernel: string; initrd: string };
  /** vmcenter's --ha-grace: how long a host's lease may be gone before it is declared dead. */
  haGraceSeconds?: number;
  /** The folder with vmctld and vmcenter; by default the checkout's bin/. */
  binDir?: string;
  /** The etcd server binary; /usr/bin/etcd by default. */
  etcd?: string;
  /** How long the whole start may take before it fails (and ends what it started); 120 s by default. */
  timeoutMs?: number;
  /** A line per step ("etcd on 127.0.0.1:2379", "host2 joined"): what the CLI shows while it starts. */
  onProgress?: (line: string) => void;
}

export interface DemoHost {
  /** The host's own id (its task ids' prefix), as vmcenter lists it. */
  id: string;
  name: string;
  url: string;
  home: string;
  /** vmctld's pid (changes with restartHost). */
  pid: number;
  /** The argv that starts this host again (it rejoins from its cluster.json: no join token). */
  command: string[];
}

export interface DemoCenter { home: string; url: string; pid: number; command: string[] }

/** What `vmctl cluster demo` prints and DIR/cluster.json holds (the issue's pinned shape, plus names). */
export interface ClusterDemoInfo {
  url: string;
  token: string;
  ca: string;
  sharedDatastore: { name: string; path: string };
  hosts: DemoHost[];
}

export interface ClusterDemo extends ClusterDemoInfo {
  dir: string;
  etcd: { endpoints: string[]; pid: number };
  /** vmcenter replicas; the first is the one `url` names. */
  centers: DemoCenter[];
  /** The password of the user "admin" local to each host (its break-glass login). */
  hostPassword: string;
  /** The datastore "images" (the demo guest's kernel and initrd) when `guest` was given. */
  imagesDatastore: { name: string; path: string } | null;
  /** A client of vmcenter as the cluster's admin (its token, the demo CA). */
  client(): VmctlClient;
  info(): ClusterDemoInfo;
  /** Ends every process the demo started (hosts, their QEMUs, vmcenter replicas, etcd), by pid. */
  stop(): Promise<void>;
}

const SHARED = "shared";
const IMAGES = "images";

/** Finds the checkout's bin/ (vmctld and vmcenter) above this module, wherever it was built or bundled to. */
export function findBinDir(): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), ...(process.argv[1] ? [dirname(resolve(process.argv[1]))] : [])];
  for (const start of starts) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (existsSync(join(dir, "bin", "vmctld")) && existsSync(join(dir, "bin", "vmcenter"))) return join(dir, "bin");
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error("the cluster demo could not find bin/vmctld and bin/vmcenter above its own files; pass binDir");
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((done) => {
    const req = get(url, { timeout: 2000 }, (res) => { res.resume(); done(res.statusCode === 200); });
    req.on("error", () => done(false));
    req.on("timeout", () => { req.destroy(); done(false); });
  });
}

class Demo implements ClusterDemo {
  url = "";
  token = "";
  ca = "";
  hostPassword = randomBytes(12).toString("base64url");
  sharedDatastore: { name: string; path: string };
  imagesDatastore: { name: string; path: string } | null = null;
  hosts: DemoHost[] = [];
  centers: DemoCenter[] = [];
  etcd = { endpoints: [] as string[], pid: 0 };
  readonly processes = new Map<number, DemoProcess>();
  caCert: DemoCertificate | undefined;
  centerCert: DemoCertificate | undefined;
  private stopped = false;

  constructor(readonly dir: string, readonly binDir: string, readonly options: ClusterDemoOptions) {
    this.sharedDatastore = { name: SHARED, path: join(dir, SHARED) };
  }

  client(): VmctlClient {
    return new VmctlClient({ url: this.url, token: this.token, ca: readFileSync(this.ca, "utf8") });
  }

  info(): ClusterDemoInfo {
    return { url: this.url, token: this.token, ca: this.ca, sharedDatastore: this.sharedDatastore, hosts: this.hosts.map((h) => ({ ...h, command: [...h.command] })) };
  }

  progress(line: string): void { this.options.onProgress?.(line); }

  start(command: string[], log: string, env?: NodeJS.ProcessEnv): DemoProcess {
    const started = startProcess(command, log, env);
    this.processes.set(started.pid, started);
    return started;
  }

  /** Fails with the log's tail if `process` ended while we waited for it. */
  ensureRunning(started: DemoProcess, what: string): void {
    if (!isRunning(started.pid)) throw new ProcessEnded(`${what} exited while starting; the end of ${started.log}:\n${tail(started.log)}`);
  }

  async writeInfo(): Promise<void> {
    await writeFile(join(this.dir, "cluster.json"), `${JSON.stringify(this.info(), null, 2)}\n`, { mode: 0o600 });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Hosts first (vmctld, then the QEMUs it leaves running), then vmcenter, then etcd under them.
    await Promise.all(this.hosts.map((host) => endProcess(host.pid)));
    await Promise.all(this.hosts.flatMap((host) => hostQemus(host.home).map((q) => endProcess(q.pid, "SIGKILL"))));
    await Promise.all(this.centers.map((center) => endProcess(center.pid)));
    if (this.etcd.pid) await endProcess(this.etcd.pid);
    // And whatever else was started (a host still starting when the start failed).
    await Promise.all([...this.processes.keys()].map((pid) => endProcess(pid, "SIGKILL")));
  }
}

async function startEtcd(demo: Demo, deadline: number): Promise<void> {
  const binary = demo.options.etcd ?? "/usr/bin/etcd";
  if (!existsSync(binary)) throw new Error(`${binary} is missing: the cluster demo needs etcd (apt-get install etcd-server; npm run setup installs it)`);
  for (let attempt = 1; ; attempt++) {
    const [client, peer] = [await freePort(), await freePort()];
    const endpoint = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const etcd = demo.start([binary, "--name", "default", "--data-dir", join(demo.dir, "etcd"),
      "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
      "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", `default=${peerUrl}`,
      "--logger", "zap", "--log-level", "warn"], join(demo.dir, "etcd.log"));
    try {
      await waitUntil(async () => {
        demo.ensureRunning(etcd, "etcd");
        return (await httpOk(`${endpoint}/health`)) ? true : undefined;
      }, Math.max(1000, Math.min(20_000, deadline - Date.now())), () => `etcd did not answer on ${endpoint}; the end of ${etcd.log}:\n${tail(etcd.log)}`);
      demo.etcd = { endpoints: [endpoint], pid: etcd.pid };
      demo.progress(`etcd on ${endpoint}`);
      return;
    } catch (error) {
      await endProcess(etcd.pid, "SIGKILL");
      // A port taken between freePort() and etcd's bind: try other ones.
      if (attempt >= 3 || Date.now() > deadline) throw error;
    }
  }
}

/** Starts a vmcenter replica with its home in DIR/<name> (same etcd and TLS files as the first). */
async function launchCenter(demo: Demo, home: string, timeoutMs: number): Promise<DemoCenter> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const portFile = join(home, "vmcenter.port");
  await writeFile(portFile, "");
  const command = [join(demo.binDir, "vmcenter"), "--home", home, "--listen", "127.0.0.1:0", "--etcd", demo.etcd.endpoints.join(","),
    "--host-ca", demo.ca, "--tls-cert", demo.centerCert!.cert, "--tls-key", demo.centerCert!.key,
    ...(demo.options.haGraceSeconds !== undefined ? ["--ha-grace", String(demo.options.haGraceSeconds)] : [])];
  const center = demo.start(command, join(home, "vmcenter.log"));
  const port = await waitUntil(() => {
    demo.ensureRunning(center, "vmcenter");
    const text = readFileSync(portFile, "utf8").trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  }, timeoutMs, () => `vmcenter did not write ${portFile}; the end of ${center.log}:\n${tail(center.log)}`);
  const started: DemoCenter = { home, url: `https://127.0.0.1:${port}`, pid: center.pid, command };
  demo.centers.push(started);
  return started;
}

function hostConfig(demo: Demo, cert: DemoCertificate): string {
  const lines = [
    "# A host of the cluster demo (vmctl cluster demo): its certificate is signed by the demo CA.",
    `log_level = "warn"`,
    "[tls]", `cert = ${JSON.stringify(cert.cert)}`, `key = ${JSON.stringify(cert.key)}`,
    // User-mode networking: a demo makes no bridge or firewall rule on the machine.
    "[networks.default]", `kind = "user"`,
    `[datastores.${SHARED}]`, `path = ${JSON.stringify(demo.sharedDatastore.path)}`, "shared = true",
    ...(demo.imagesDatastore ? [`[datastores.${IMAGES}]`, `path = ${JSON.stringify(demo.imagesDatastore.path)}`] : []),
  ];
  return `${lines.join("\n")}\n`;
}

async function launchHost(demo: Demo, host: DemoHost, joinToken: string): Promise<DemoProcess> {
  await mkdir(host.home, { recursive: true, mode: 0o700 });
  const cert = await makeDemoCertificate(demo.dir, demo.caCert!, host.name);
  await writeFile(join(host.home, "vmctld.toml"), hostConfig(demo, cert));
  const first = [...host.command, "--join", demo.url, "--join-token", joinToken, "--join-ca", demo.ca];
  const started = demo.start(first, join(host.home, "vmctld.log"), { ...process.env, VMCTL_ADMIN_PASSWORD: demo.hostPassword });
  host.pid = started.pid;
  return started;
}

/**
 * host1…hostN, in order, before any starts (pid 0 until it does). Each keeps one port: vmcenter
 * reaches a host at the URL it joined with, so a host started again must listen where it did.
 */
async function planHosts(demo: Demo, count: number): Promise<DemoHost[]> {
  const hosts: DemoHost[] = [];
  const ports = new Set<number>();
  for (let i = 1; i <= count; i++) {
    const name = `host${i}`;
    const home = join(demo.dir, name);
    let port = await freePort();
    while (ports.has(port)) port = await freePort();
    ports.add(port);
    const listen = `127.0.0.1:${port}`;
    // Joined once, a host rejoins from its cluster.json at every start: `command` needs no token.
    hosts.push({ id: "", name, url: "", home, pid: 0, command: [join(demo.binDir, "vmctld"), "--home", home, "--listen", listen, "--host-name", name] });
  }
  return hosts;
}

function connectedHosts(list: ClusterHost[]): Map<string, ClusterHost> {
  return new Map(list.filter((h) => h.state === "connected").map((h) => [h.name, h]));
}

/** Starts the cluster and answers once every host is connected at vmcenter. */
export async function runClusterDemo(options: ClusterDemoOptions): Promise<ClusterDemo> {
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > 16) throw new Error(`hosts: ${options.hosts} is not a number of hosts from 1 to 16`);
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  if (readdirSync(dir).length > 0) throw new Error(`${dir} is not empty: the cluster demo needs an empty (or new) directory of its own`);
  const demo = new Demo(dir, options.binDir ?? findBinDir(), options);
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const left = () => Math.max(1000, deadline - Date.now());
  try {
    // QEMU's unprivileged user passes through DIR to the homes and datastores; nobody else lists it.
    await chmod(dir, 0o711);
    await mkdir(demo.sharedDatastore.path, { mode: 0o711 });
    await chmod(demo.sharedDatastore.path, 0o711);
    if (options.guest) {
      const images = join(dir, IMAGES);
      await mkdir(images, { mode: 0o755 });
      await chmod(images, 0o755);
      for (const [from, to] of [[options.guest.kernel, "vmlinuz"], [options.guest.initrd, "initrd.img"]] as const) {
        await copyFile(from, join(images, to));
        await chmod(join(images, to), 0o644);
      }
      demo.imagesDatastore = { name: IMAGES, path: images };
    }
    demo.caCert = await makeDemoCa(dir);
    demo.ca = demo.caCert.cert;
    demo.centerCert = await makeDemoCertificate(dir, demo.caCert, "vmcenter");
    demo.progress(`demo CA ${demo.ca}`);
    await startEtcd(demo, deadline);

    const center = await launchCenter(demo, join(dir, "center"), left());
    demo.url = center.url;
    const adminFile = join(center.home, "initial-admin.json");
    const admin = await waitUntil(() => {
      if (!existsSync(adminFile)) return undefined;
      const text = readFileSync(adminFile, "utf8");
      try {
        return JSON.parse(text) as { token?: string; joinToken?: string };
      } catch {
        return undefined; // still being written
      }
    }, left(), () => `vmcenter did not write ${adminFile}; the end of its log:\n${tail(join(center.home, "vmcenter.log"))}`);
    if (!admin.token || !admin.joinToken) throw new Error(`${adminFile} has no "token" or "joinToken"`);
    demo.token = admin.token;
    const client = demo.client();
    await waitUntil(async () => (await client.cluster.info()).clusterId, left(), () => `vmcenter at ${demo.url} did not answer; the end of its log:\n${tail(join(center.home, "vmcenter.log"))}`, 200);
    demo.progress(`vmcenter at ${demo.url}`);

    demo.hosts = await planHosts(demo, options.hosts);
    const started = await Promise.all(demo.hosts.map((host) => launchHost(demo, host, admin.joinToken!)));
    const connected = await waitUntil(async () => {
      demo.hosts.forEach((host, i) => demo.ensureRunning(started[i]!, `vmctld ${host.name}`));
      const hosts = connectedHosts(await client.cluster.hosts());
      return demo.hosts.every((h) => hosts.has(h.name)) ? hosts : undefined;
    }, left(), () => `not every host joined vmcenter in time; the ends of their logs:\n${demo.hosts.map((h) => `${h.name}:\n${tail(join(h.home, "vmctld.log"), 8)}`).join("\n")}`, 250);
    for (const host of demo.hosts) {
      const listed = connected.get(host.name)!;
      host.id = listed.id;
      host.url = listed.url;
    }
    demo.progress(`${demo.hosts.length} host${demo.hosts.length === 1 ? "" : "s"} joined`);
    await demo.writeInfo();
    return demo;
  } catch (error) {
    await demo.stop();
    throw error;
  }
}

function demoOf(demo: ClusterDemo): Demo {
  if (!(demo instanceof Demo)) throw new Error("not a demo that runClusterDemo started");
  return demo;
}

function hostOf(demo: ClusterDemo, idOrName: string): DemoHost {
  const host = demo.hosts.find((h) => h.id === idOrName || h.name === idOrName);
  if (!host) throw new Error(`the demo has no host "${idOrName}"; it has ${demo.hosts.map((h) => h.name).join(", ")}`);
  return host;
}

/**
 * kill -9 of a host's vmctld and of every QEMU it started: a host that died. With `qemus: false`
 * only vmctld dies and its guests run on, unmanaged (what the fence at its restart must stop).
 * Answers the pids killed.
 */
export async function killHost(demo: ClusterDemo, idOrName: string, options: { qemus?: boolean } = {}): Promise<{ vmctld: number; qemus: HostQemu[] }> {
  const host = hostOf(demo, idOrName);
  const qemus = options.qemus === false ? [] : hostQemus(host.home);
  await Promise.all([endProcess(host.pid, "SIGKILL"), ...qemus.map((q) => endProcess(q.pid, "SIGKILL"))]);
  return { vmctld: host.pid, qemus };
}

/**
 * Starts a host again from its `command` (it rejoins from its cluster.json); answers once its unix
 * socket serves, and with `connected` once vmcenter lists it as connected again.
 */
export async function restartHost(demo: ClusterDemo, idOrName: string, options: { connected?: boolean; timeoutMs?: number } = {}): Promise<DemoHost> {
  const inner = demoOf(demo);
  const host = hostOf(demo, idOrName);
  if (isRunning(host.pid)) throw new Error(`${host.name}'s vmctld (pid ${host.pid}) still runs`);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = inner.start(host.command, join(host.home, "vmctld.log"));
  host.pid = started.pid;
  const local = new VmctlClient({ socketPath: join(host.home, "vmctld.sock") });
  await waitUntil(async () => {
    inner.ensureRunning(started, `vmctld ${host.name}`);
    return (await local.host()).id;
  }, timeoutMs, () => `${host.name} did not serve again; the end of its log:\n${tail(started.log)}`, 100);
  if (options.connected) {
    const client = demo.client();
    const listed = await waitUntil(async () => connectedHosts(await client.cluster.hosts()).get(host.name), timeoutMs,
      () => `${host.name} did not connect to vmcenter again`, 250);
    host.url = listed.url;
  }
  await inner.writeInfo();
  return host;
}

/** Starts another vmcenter replica (same etcd and TLS files, a home of its own: DIR/center2, …). */
export async function startCenterReplica(demo: ClusterDemo, options: { timeoutMs?: number } = {}): Promise<DemoCenter> {
  const inner = demoOf(demo);
  const home = join(inner.dir, `center${inner.centers.length + 1}`);
  const center = await launchCenter(inner, home, options.timeoutMs ?? 60_000);
  const client = new VmctlClient({ url: center.url, token: demo.token, ca: readFileSync(demo.ca, "utf8") });
  await waitUntil(async () => (await client.cluster.info()).clusterId, options.timeoutMs ?? 60_000, () => `vmcenter replica at ${center.url} did not answer; the end of its log:\n${tail(join(home, "vmcenter.log"))}`, 200);
  return center;
}

/** kill -9 of a vmcenter replica (the leader, in the failover test). */
export async function killCenter(demo: ClusterDemo, center: DemoCenter): Promise<void> {
  demoOf(demo);
  await endProcess(center.pid, "SIGKILL");
}

/** Starts a killed vmcenter replica again from its command (same home, a new port: its URL changes). */
export async function restartCenter(demo: ClusterDemo, center: DemoCenter, options: { timeoutMs?: number } = {}): Promise<DemoCenter> {
  const inner = demoOf(demo);
  if (isRunning(center.pid)) throw new Error(`the vmcenter replica in ${center.home} (pid ${center.pid}) still runs`);
  inner.centers.splice(inner.centers.indexOf(center), 1);
  const again = await launchCenter(inner, center.home, options.timeoutMs ?? 60_000);
  if (demo.url === center.url) demo.url = again.url;
  return again;
}
