// The CLI against a cluster, as a user types it: `vmctl cluster demo` in the foreground (its pinned
// JSON on one line, everything stopped on SIGTERM), then the global --url/--token/--ca and their
// VMCTL_* variables against vmcenter with no saved login, the cluster commands' tables and JSON, a
// VM created at vmcenter and moved cold between hosts, rules, maintenance, and the refusals that say
// which option is wrong (a wrong token, another CA, a token over http).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "packages/cli/dist/main.js");
const run = promisify(execFile);

interface DemoOutput {
  url: string; token: string; ca: string;
  sharedDatastore: { name: string; path: string };
  hosts: Array<{ id: string; url: string; home: string; pid: number; command: string[] }>;
}

const scratch = mkdtempSync(join(tmpdir(), "vmctl-cli-cluster-"));
// QEMU's unprivileged user passes through to the demo's datastores.
chmodSync(scratch, 0o711);
const dir = join(scratch, "demo");
// No saved login and none of the caller's VMCTL_* variables: what is given is all there is.
const baseEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("VMCTL_")));
baseEnv.XDG_CONFIG_HOME = join(scratch, "config");
baseEnv.VMCTL_HOME = join(scratch, "no-home");
let demoProcess: ChildProcess | undefined;
let demo: DemoOutput;
let demoStderr = "";

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...baseEnv, ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
const asCenter = () => ({ VMCTL_URL: demo.url, VMCTL_TOKEN: demo.token, VMCTL_CA: demo.ca });
async function json<T>(args: string[], env: Record<string, string> = asCenter()): Promise<T> {
  const result = await cli([...args, "--json"], env);
  expect(result.code, `vmctl ${args.join(" ")}: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Whether `pid` runs: an ended child not yet reaped (a zombie, for a moment after its parent left) does not. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
};

/** Pids of processes started for this file's demo (their argv names its folder): the fallback cleanup. */
async function demoPids(): Promise<number[]> {
  const { stdout } = await run("ps", ["-eo", "pid=,args="]);
  return stdout.split("\n").filter((line) => line.includes(dir)).map((line) => Number(line.trim().split(/\s+/)[0])).filter((pid) => pid !== process.pid && alive(pid));
}

beforeAll(async () => {
  demoProcess = spawn(process.execPath, [CLI, "cluster", "demo", "--hosts", "2", "--dir", dir, "--json"], { env: baseEnv, stdio: ["ignore", "pipe", "pipe"] });
  demoProcess.stderr!.on("data", (chunk: Buffer) => { demoStderr += chunk.toString(); });
  const line = await new Promise<string>((resolveLine, reject) => {
    let out = "";
    demoProcess!.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolveLine(out.slice(0, out.indexOf("\n")));
    });
    demoProcess!.once("exit", (code) => reject(new Error(`vmctl cluster demo exited ${code} before printing: ${demoStderr}`)));
  });
  demo = JSON.parse(line) as DemoOutput;
}, 240_000);

afterAll(async () => {
  if (demoProcess && demoProcess.exitCode === null) {
    demoProcess.kill("SIGKILL");
    await new Promise((r) => demoProcess!.once("exit", r));
  }
  for (const pid of await demoPids()) if (alive(pid)) process.kill(pid, "SIGKILL");
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

describe("vmctl against a cluster", () => {
  it("prints the pinned JSON of the demo, once every host has joined", () => {
    expect(Object.keys(demo).sort()).toEqual(["ca", "hosts", "sharedDatastore", "token", "url"]);
    expect(demo.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(readFileSync(demo.ca, "utf8")).toContain("BEGIN CERTIFICATE");
    expect(demo.sharedDatastore).toEqual({ name: "shared", path: join(dir, "shared") });
    expect(demo.hosts).toHaveLength(2);
    for (const host of demo.hosts) {
      expect(Object.keys(host).sort()).toEqual(["command", "home", "id", "pid", "url"]);
      expect(alive(host.pid)).toBe(true);
      expect(host.command).toContain(host.home);
    }
  });

  it("reaches vmcenter from VMCTL_URL, VMCTL_TOKEN and VMCTL_CA alone, and the same from the options", async () => {
    const hosts = await json<Array<{ id: string; name: string; state: string }>>(["cluster", "hosts"]);
    expect(hosts.map((h) => h.id).sort()).toEqual(demo.hosts.map((h) => h.id).sort());
    expect(hosts.every((h) => h.state === "connected")).toBe(true);
    const byOptions = await json<Array<{ id: string }>>(["--url", demo.url, "--token", demo.token, "--ca", demo.ca, "cluster", "hosts"], {});
    expect(byOptions).toHaveLength(2);
    const table = await cli(["cluster", "hosts"], asCenter());
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+STATE\s+CPUS\s+MEMORY\s+FREE\s+VMS\s+LOAD/);
    expect(table.stdout).toMatch(/host1\s+connected/);
    const info = await json<{ clusterId: string; leader: string | null }>(["cluster", "info"]);
    expect(info.clusterId).toBeTruthy();
    // localhost is in the demo certificate too: --ca checks the name, and this one matches.
    expect((await cli(["--url", demo.url.replace("127.0.0.1", "localhost"), "cluster", "info"], asCenter())).code).toBe(0);
  });

  it("lets an option win over its variable, and says which one is wrong", async () => {
    const wrongToken = await cli(["--token", "vmcenter_not-a-token", "cluster", "hosts"], asCenter());
    expect(wrongToken.code).toBe(1);
    const wrongEnv = await cli(["--token", demo.token, "cluster", "hosts", "--json"], { ...asCenter(), VMCTL_TOKEN: "vmcenter_wrong" });
    expect(wrongEnv.code, wrongEnv.stderr).toBe(0);
    const missingCa = await cli(["cluster", "hosts"], { ...asCenter(), VMCTL_CA: join(scratch, "missing.pem") });
    expect(missingCa.code).toBe(2);
    expect(missingCa.stderr).toContain(`VMCTL_CA "${join(scratch, "missing.pem")}": cannot read the file`);
    const badUrl = await cli(["--url", "center:9443", "cluster", "hosts"], asCenter());
    expect(badUrl.stderr).toMatch(/--url "center:9443" is not/);
    const clear = await cli(["--url", demo.url.replace("https:", "http:"), "cluster", "hosts"], asCenter());
    expect(clear.stderr).toMatch(/VMCTL_TOKEN would travel in clear text/);
  });

  it("refuses vmcenter's certificate under another CA, and under the system's", async () => {
    const other = join(scratch, "other-ca");
    await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${other}-key.pem`, "-out", `${other}.pem`, "-days", "1", "-subj", "/CN=not the demo CA"]);
    const otherCa = await cli(["cluster", "hosts"], { ...asCenter(), VMCTL_CA: `${other}.pem` });
    expect(otherCa.code).toBe(1);
    expect(otherCa.stdout).toBe("");
    const { VMCTL_CA: _ca, ...noCa } = asCenter();
    expect((await cli(["cluster", "hosts"], noCa)).code).toBe(1);
    writeFileSync(`${other}-not-pem.txt`, "hello");
    expect((await cli(["cluster", "hosts"], { ...asCenter(), VMCTL_CA: `${other}-not-pem.txt` })).stderr).toContain("holds no PEM certificate");
  });

  it("creates a VM at vmcenter on a host it names, lists it with its host, and moves it cold to the other", async () => {
    const created = await cli(["create", "cli-web", "--memory", "128MiB", "--datastore", "shared", "--no-nic"], asCenter());
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^created cli-web on host\d/);
    const find = async () => (await json<Array<{ name: string; host: string; hostName: string }>>(["cluster", "vms"])).find((v) => v.name === "cli-web");
    await expect.poll(find).toBeDefined();
    const web = (await find())!;
    expect(demo.hosts.map((h) => h.id)).toContain(web.host);
    const ls = await cli(["ls"], asCenter());
    expect(ls.stdout.split("\n")[0]).toMatch(/^NAME\s+STATE\s+HOST\s+CPUS/);
    expect(ls.stdout).toMatch(new RegExp(`cli-web\\s+stopped\\s+${web.hostName}`));

    const place = await cli(["cluster", "place", "cli-web"], asCenter());
    expect(place.code, place.stderr).toBe(0);
    expect(place.stdout).toContain(`cli-web: on ${web.hostName}`);

    const target = demo.hosts.find((h) => h.id !== web.host)!;
    const moved = await cli(["cluster", "migrate", "cli-web", "--host", target.id, "--cold"], asCenter());
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(new RegExp(`^cli-web: moved from ${web.hostName} to host\\d`));
    await expect.poll(async () => (await find())?.host).toBe(target.id);
  });

  it("moves a running guest live, its downtime and bytes in the --json result (the demo guest is in the datastore images)", async () => {
    const definition = join(scratch, "cli-live.toml");
    writeFileSync(definition, `name = "cli-live"\nmemory = "128MiB"\n[boot]\ndatastore = "images"\nkernel = "vmlinuz"\ninitrd = "initrd.img"\ncmdline = "console=ttyS0 quiet"\n`);
    const created = await cli(["create", "-f", definition, "--datastore", "shared", "--start"], asCenter());
    expect(created.code, created.stderr).toBe(0);
    // vmcenter sees a VM's state as its host's agent reports it, within a heartbeat or two.
    const live = async () => (await json<Array<{ name: string; host: string; state: string }>>(["cluster", "vms"])).find((v) => v.name === "cli-live")!;
    await expect.poll(async () => (await live()).state).toBe("running");
    const before = await live();
    const task = await json<{ state: string; result: { from: string; to: string; live: boolean; downtimeMs: number; bytes: number } }>(["cluster", "migrate", "cli-live"]);
    expect(task.state).toBe("success");
    expect(task.result).toMatchObject({ from: before.host, live: true });
    expect(task.result.to).not.toBe(before.host);
    expect(task.result.bytes).toBeGreaterThan(0);
    expect(task.result.downtimeMs).toBeGreaterThanOrEqual(0);
    await expect.poll(async () => { const after = await live(); return `${after.host} ${after.state}`; }).toBe(`${task.result.to} running`);
    expect((await cli(["stop", "cli-live", "--force"], asCenter())).code).toBe(0);
    // vmcenter had it desired running (the migration); the user's stop is kept, not undone by the agent.
    const record = async () => { const vm = (await json<Array<{ name: string; state: string; desiredPower?: string | null; desiredReason?: string }>>(["cluster", "vms"])).find((v) => v.name === "cli-live")!; return `${vm.state} ${vm.desiredPower} ${vm.desiredReason}`; };
    await expect.poll(record, { timeout: 15_000 }).toMatch(/^stopped stopped cli-live stopped on its host .*not by vmcenter/);
  });

  it("refuses a demo of no hosts, or in a folder that is not empty, before it starts anything", async () => {
    const none = await cli(["cluster", "demo", "--hosts", "0", "--dir", join(scratch, "none")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--hosts: "0" is not a number of hosts from 1 to 16');
    const full = await cli(["cluster", "demo", "--hosts", "1", "--dir", dir]);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/the cluster demo did not start: .* is not empty/);
  });

  it("adds, lists and removes a placement rule", async () => {
    expect((await cli(["cluster", "rules", "add", "cli-spread", "--affinity", "--anti-affinity", "a", "b"], asCenter())).code).toBe(2);
    const added = await json<{ name: string; type: string; vms: string[] }>(["cluster", "rules", "add", "cli-spread", "--anti-affinity", "cli-a", "cli-b"]);
    expect(added).toEqual({ name: "cli-spread", type: "anti-affinity", vms: ["cli-a", "cli-b"] });
    expect((await cli(["cluster", "rules"], asCenter())).stdout).toMatch(/cli-spread\s+anti-affinity\s+cli-a,cli-b/);
    expect((await cli(["cluster", "rules", "rm", "cli-spread"], asCenter())).code).toBe(0);
    expect(await json<unknown[]>(["cluster", "rules", "ls"])).toEqual([]);
  });

  it("puts a host in maintenance and back", async () => {
    const host = demo.hosts[0]!;
    const on = await cli(["cluster", "maintenance", host.id, "on"], asCenter());
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/in maintenance \(unschedulable\)/);
    const hosts = await json<Array<{ id: string; maintenance: boolean; schedulable: boolean }>>(["cluster", "hosts"]);
    expect(hosts.find((h) => h.id === host.id)).toMatchObject({ maintenance: true, schedulable: false });
    const off = await cli(["cluster", "maintenance", host.id, "off"], asCenter());
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/back in service/);
  });

  it("stops etcd, vmcenter and every host on SIGTERM", async () => {
    demoProcess!.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => demoProcess!.once("exit", (c) => r(c)));
    expect(code, demoStderr).toBe(0);
    for (const host of demo.hosts) expect(alive(host.pid), `vmctld ${host.id}`).toBe(false);
    expect(await demoPids()).toEqual([]);
  }, 60_000);
});
