// What each cluster scenario stands on: a whole cluster from the demo (etcd, vmcenter, N vmctld in
// a fresh folder under /tmp) started before the file's tests and ended after them even when they
// fail (by pid, then the folder removed), a client of vmcenter that trusts the demo CA, clients of
// each host's unix socket (root's break-glass access), the QEMUs of a VM across hosts (pidfiles
// and ps), and the logs of every process shown when a test fails.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, inject } from "vitest";
import { VmctlClient } from "../../packages/client/src/index.js";
import type { ClusterTask, VmDefinitionInput } from "../../packages/api-types/src/index.js";
import { runClusterDemo, hostQemus, type ClusterDemo, type ClusterDemoOptions, type DemoHost } from "../../packages/center/src/demo/cluster-demo.js";
import { ConsoleReader, GUEST_READY_LINE } from "../system/harness.js";

export { ConsoleReader, GUEST_READY_LINE };
export { killHost, restartHost, startCenterReplica, killCenter, restartCenter } from "../../packages/center/src/demo/cluster-demo.js";

const run = promisify(execFile);

export interface TestCluster {
  demo: ClusterDemo;
  /** vmcenter as the cluster's admin (token, demo CA). */
  client: VmctlClient;
  dir: string;
  /** root on a host's unix socket: what that host alone says. */
  local(host: DemoHost | string): VmctlClient;
  host(idOrName: string): DemoHost;
}

/** The demo guest, lean: 128 MiB, the kernel and initrd of the datastore "images" every host has. */
export function clusterGuest(name: string, extra: Partial<VmDefinitionInput> = {}): VmDefinitionInput {
  return {
    name, memory: "128MiB",
    boot: { datastore: "images", kernel: "vmlinuz", initrd: "initrd.img", cmdline: inject("guest").cmdline },
    ...extra,
  };
}

/** Starts a cluster for the file's tests (beforeAll) and ends it (afterAll); the getter answers it. */
export function useCluster(options: Partial<Omit<ClusterDemoOptions, "dir" | "guest">> = {}): () => TestCluster {
  let cluster: TestCluster | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vmctl-cluster-"));
    const guest = inject("guest");
    const demo = await runClusterDemo({ hosts: 3, ...options, dir, guest: { kernel: guest.kernel, initrd: guest.initrd } });
    const hostOf = (idOrName: string): DemoHost => {
      const found = demo.hosts.find((h) => h.id === idOrName || h.name === idOrName);
      if (!found) throw new Error(`no host ${idOrName}`);
      return found;
    };
    cluster = {
      demo, dir, client: new VmctlClient({ url: demo.url, token: demo.token, ca: readFileSync(demo.ca, "utf8") }),
      local: (host) => new VmctlClient({ socketPath: join((typeof host === "string" ? hostOf(host) : host).home, "vmctld.sock") }),
      host: hostOf,
    };
  }, 180_000);
  afterEach((context) => {
    const failed = context.task.result?.state === "fail" || (context.task.result?.errors?.length ?? 0) > 0;
    if (failed && cluster) process.stderr.write(clusterLogs(cluster));
  });
  afterAll(async () => {
    try {
      await cluster?.demo.stop();
    } finally {
      if (dir && process.env.VMCTL_KEEP_CLUSTER !== "1") rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
  return () => {
    if (!cluster) throw new Error("the cluster did not start (see beforeAll's error)");
    return cluster;
  };
}

function tailOf(file: string, lines = 25): string {
  return existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "(none)";
}

/** The ends of every log of the cluster: what a failed scenario's reader needs first. */
export function clusterLogs(cluster: TestCluster): string {
  const parts = [
    ...cluster.demo.centers.map((c) => `--- ${c.home}/vmcenter.log\n${tailOf(join(c.home, "vmcenter.log"))}`),
    ...cluster.demo.hosts.map((h) => `--- ${h.home}/vmctld.log (${h.name} ${h.id})\n${tailOf(join(h.home, "vmctld.log"))}`),
  ];
  return `\n${parts.join("\n")}\n`;
}

/** Waits for a cluster task to end and answers it; fails with its error and log unless it succeeded. */
export async function expectTaskSuccess(client: VmctlClient, task: ClusterTask | { id: string }): Promise<ClusterTask> {
  const ended = await client.cluster.waitTask(task.id);
  if (ended.state !== "success") throw new Error(`task ${ended.op} ${ended.id} ended ${ended.state}: ${JSON.stringify(ended.error ?? null)}\n${JSON.stringify(ended, null, 1)}`);
  return ended;
}

/** Polls `probe` until it answers true; fails with `what()` after timeoutMs. */
export async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs: number, what: () => string | Promise<string>): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      if (await probe()) return Date.now() - started;
    } catch { /* not yet */ }
    if (Date.now() - started > timeoutMs) throw new Error(await what());
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The host a VM is on, as vmcenter lists it (GET /api/v1/cluster/vms), or undefined. */
export async function hostOfVm(client: VmctlClient, name: string): Promise<{ host: string; hostName: string; state: string } | undefined> {
  const vm = (await client.cluster.vms()).find((v) => v.name === name);
  return vm ? { host: vm.host, hostName: vm.hostName, state: vm.state } : undefined;
}

export interface QemuSeen { host: string; pid: number }

/** The QEMUs of VM `name` on every host of the cluster, by their pidfiles (run/<name>/qemu.pid). */
export function qemusByPidfile(cluster: TestCluster, name: string): QemuSeen[] {
  return cluster.demo.hosts.flatMap((h) => hostQemus(h.home).filter((q) => q.vm === name).map((q) => ({ host: h.name, pid: q.pid })));
}

/** The QEMUs of VM `name` under the cluster's folder that `ps` lists, whoever started them. */
export async function qemusByPs(cluster: TestCluster, name: string): Promise<QemuSeen[]> {
  const { stdout } = await run("ps", ["-eo", "pid=,stat=,args=", "-ww"]);
  const found: QemuSeen[] = [];
  for (const line of stdout.split("\n")) {
    const match = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!match || match[2]!.startsWith("Z") || !/qemu-system/.test(match[3]!.split(" ")[0]!)) continue;
    const host = cluster.demo.hosts.find((h) => match[3]!.includes(join(h.home, "run", name) + "/"));
    if (host) found.push({ host: host.name, pid: Number(match[1]) });
  }
  return found;
}

/** Starts a VM through `client` (vmcenter or a host) and waits for the start task to succeed. */
export async function startVm(client: VmctlClient, name: string): Promise<void> {
  const task = await client.waitTask((await client.power(name, { action: "start" })).id);
  if (task.state !== "success") throw new Error(`start of ${name} ended ${task.state}: ${JSON.stringify(task.error ?? null)}`);
}

/** Waits until vmcenter's host list says what `ok` wants of every host (their heartbeats come every 2 s). */
export async function waitForHosts(cluster: TestCluster, ok: (hosts: Awaited<ReturnType<VmctlClient["cluster"]["hosts"]>>) => boolean, timeoutMs = 30_000): Promise<void> {
  let last = "";
  await eventually(async () => {
    const hosts = await cluster.client.cluster.hosts();
    last = JSON.stringify(hosts.map((h) => ({ name: h.name, state: h.state, vms: h.vms, runningVms: h.runningVms, free: h.freeMemoryBytes, maintenance: h.maintenance, schedulable: h.schedulable })));
    return ok(hosts);
  }, timeoutMs, () => `vmcenter's hosts never became as expected; last: ${last}`);
}

/** vmcenter's recent tasks (with their logs) and events: what a failed scenario's message shows. */
export async function clusterDiagnosis(client: VmctlClient): Promise<string> {
  const parts: string[] = [];
  try {
    const tasks = await client.listTasks({ limit: 20 });
    parts.push(`tasks: ${JSON.stringify(tasks, null, 1)}`);
  } catch (error) {
    parts.push(`tasks: (${(error as Error).message})`);
  }
  try {
    const events = await client.listEvents({ limit: 40 });
    parts.push(`events: ${events.map((e) => JSON.stringify(e)).join("\n")}`);
  } catch (error) {
    parts.push(`events: (${(error as Error).message})`);
  }
  try {
    parts.push(`vms: ${JSON.stringify(await client.cluster.vms())}`);
  } catch (error) {
    parts.push(`vms: (${(error as Error).message})`);
  }
  return parts.join("\n");
}
