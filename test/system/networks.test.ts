// Host networks with real bridges, taps, dnsmasq and nftables, all inside a network namespace this
// file makes (no bridge and no guest traffic ever reach the machine's own namespace): two busybox
// guests on an isolated network get leases from vmctld's dnsmasq and ping each other; the API's
// refusals; a kill -9 and a clean stop; and deleting a network leaves nothing behind.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";

const run = promisify(execFile);
const NS = `vmctl-t-${randomBytes(4).toString("hex")}`;
const SUBNET = "10.231.7.0/24";
let host: TestHost;

const inNs = async (command: string[]): Promise<string> => (await run("ip", ["netns", "exec", NS, ...command])).stdout;
const links = async (): Promise<string[]> => (JSON.parse((await run("ip", ["-n", NS, "-j", "link", "show"])).stdout) as { ifname: string }[]).map((l) => l.ifname);
const nftTables = async (): Promise<string> => inNs(["nft", "list", "tables"]);
const dnsmasqDir = (network: string) => join(host.home, "run", ".networks", network);
const dnsmasqPid = (network: string): number => Number(readFileSync(join(dnsmasqDir(network), "dnsmasq.pid"), "utf8").trim());
/** Running, not a zombie waiting for its reaper. */
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));

/** The guest's IPv4 address on eth0 once udhcpc has applied its lease. */
async function leasedAddress(console: ConsoleReader): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const match = /inet (10\.231\.7\.\d+)\//.exec(await console.run("ip -4 addr show eth0"));
    if (match) return match[1]!;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`the guest got no lease on ${SUBNET}; console:\n${console.text.slice(-1500)}`);
}

beforeAll(async () => {
  await run("ip", ["netns", "add", NS]);
  await run("ip", ["-n", NS, "link", "set", "lo", "up"]);
  host = await TestHost.start({ netns: NS });
});

afterAll(async () => {
  // Everything this file started runs in its namespace (vmctld, QEMU, dnsmasq): each is ended by pid
  // even when a test failed halfway, then the home and the namespace go.
  for (const pid of (await run("ip", ["netns", "pids", NS]).catch(() => ({ stdout: "" }))).stdout.split("\n").filter(Boolean)) {
    try { process.kill(Number(pid), "SIGKILL"); } catch { /* gone */ }
  }
  await host?.close().catch(() => {});
  await run("ip", ["netns", "del", NS]).catch(() => {});
});

describe("host networks in a network namespace", () => {
  it("lists the default network (nat, waiting for its first VM) as a JSON array, and refuses what is wrong", async () => {
    const listed = JSON.parse((await host.cli(["network", "ls", "--json"])).stdout) as { name: string; kind: string; state: string; origin: string }[];
    expect(listed).toEqual([expect.objectContaining({ name: "default", kind: "nat", state: "inactive", origin: "default" })]);
    const { subnet } = await host.client.network("default");
    await expect(host.client.createNetwork({ name: "clash", kind: "isolated", subnet: subnet! })).rejects.toMatchObject({ status: 400, code: "bad_request", message: expect.stringContaining(`overlaps network "default"`) });
    await expect(host.client.createNetwork({ name: "odd", kind: "wifi" } as never)).rejects.toMatchObject({ status: 400 });
    await expect(host.client.createNetwork({ name: "u", kind: "user", subnet: "10.9.0.0/24" })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("a user network takes no subnet") });
    await expect(host.client.createNetwork({ name: "x", kind: "isolated", colour: "red" } as never)).rejects.toMatchObject({ status: 400 });
    await expect(host.client.removeNetwork("default")).rejects.toMatchObject({ status: 409, code: "network_not_removable" });
    await expect(host.client.network("nope")).rejects.toMatchObject({ status: 404, code: "network_not_found" });
    expect(await links()).toEqual(["lo"]);
  });

  it("two VMs on an isolated network get DHCP leases from vmctld's dnsmasq and ping each other", async () => {
    const made = await host.cli(["network", "create", "lab", "--kind", "isolated", "--subnet", SUBNET]);
    expect(made).toMatchObject({ code: 0, stderr: "" });
    const lab = await host.client.network("lab");
    expect(lab).toMatchObject({ kind: "isolated", subnet: SUBNET, gateway: "10.231.7.1", state: "active", origin: "added" });
    expect(await links()).toContain(lab.device);
    expect(await nftTables()).toMatch(/table ip vmctl_vm[0-9a-f]{5}_[0-9a-f]{6}/);
    expect(alive(dnsmasqPid("lab"))).toBe(true);
    await expect(host.client.createNetwork({ name: "lab2", kind: "isolated", subnet: "10.231.7.128/25" })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('overlaps network "lab" (10.231.7.0/24)') });

    for (const name of ["net-a", "net-b"]) await host.client.createVm(guestDefinition(name, { nics: { net0: { network: "lab" } } }));
    await expect(host.client.removeNetwork("lab")).rejects.toMatchObject({ status: 409, code: "in_use", message: expect.stringContaining('"net-a", "net-b"') });
    for (const name of ["net-a", "net-b"]) expect((await host.cli(["start", name])).code).toBe(0);
    const [a, b] = await Promise.all(["net-a", "net-b"].map((name) => ConsoleReader.open(host.client, name)));
    await Promise.all([a!.waitFor(GUEST_READY_LINE), b!.waitFor(GUEST_READY_LINE)]);
    const [ipA, ipB] = await Promise.all([leasedAddress(a!), leasedAddress(b!)]);
    expect(ipA).not.toBe(ipB);
    const leases = readFileSync(join(dnsmasqDir("lab"), "dnsmasq.leases"), "utf8");
    expect(leases).toContain(ipA);
    expect(leases).toContain(ipB);
    expect(await a!.run(`ping -c 3 -W 2 ${ipB}`, 30_000)).toMatch(/3 packets transmitted, 3 packets received/);
    expect(await b!.run(`ping -c 2 -W 2 ${ipA}`, 30_000)).toMatch(/2 packets received/);
    // Each NIC is a tap of this vmctld's prefix on the bridge.
    const taps = (await links()).filter((l) => l.startsWith(lab.device!.slice(0, 7)) && l !== lab.device);
    expect(taps).toHaveLength(2);
    a!.close();
    b!.close();

    for (const name of ["net-a", "net-b"]) expect((await host.cli(["stop", name, "--force"])).code).toBe(0);
    expect((await links()).filter((l) => taps.includes(l))).toEqual([]);
    for (const name of ["net-a", "net-b"]) await host.client.destroyVm(name);
  });

  it("a NIC on an unknown network fails the start, naming the NIC and the fix", async () => {
    await host.client.createVm(guestDefinition("lost", { nics: { uplink: { network: "nowhere" } } }));
    const started = await host.cli(["start", "lost"]);
    expect(started.code).not.toBe(0);
    expect(started.stderr).toContain('nics.uplink.network of VM "lost": the host has no network "nowhere"');
    expect(started.stderr).toContain("vmctl network create nowhere");
    await host.client.destroyVm("lost");
  });

  it("a kill -9 of vmctld leaves its network to the next start, which makes it again; a clean stop removes it", async () => {
    const lab = await host.client.network("lab");
    const before = dnsmasqPid("lab");
    await host.killDaemon();
    await host.startDaemon();
    expect(await host.client.network("lab")).toMatchObject({ state: "active", subnet: SUBNET });
    expect(alive(before)).toBe(false);
    expect(alive(dnsmasqPid("lab"))).toBe(true);
    expect(await links()).toContain(lab.device);

    const pid = dnsmasqPid("lab");
    const exited = new Promise((r) => host.daemon!.once("exit", r));
    host.daemon!.kill("SIGTERM");
    await exited;
    expect(await links()).toEqual(["lo"]);
    expect(await nftTables()).toBe("");
    expect(alive(pid)).toBe(false);
    await host.startDaemon();
    expect(await host.client.network("lab")).toMatchObject({ state: "active" });
  });

  it("deleting the network leaves no device, nftables table, dnsmasq or lease file behind", async () => {
    const pid = dnsmasqPid("lab");
    expect(await host.cli(["network", "rm", "lab"])).toMatchObject({ code: 0, stdout: "removed network lab\n" });
    expect(await links()).toEqual(["lo"]);
    expect(await nftTables()).toBe("");
    expect(alive(pid)).toBe(false);
    expect(existsSync(dnsmasqDir("lab"))).toBe(false);
    expect((await run("ip", ["netns", "pids", NS])).stdout.trim().split("\n")).toEqual([String(host.pid)]);
    expect(JSON.parse((await host.cli(["network", "ls", "--json"])).stdout).map((n: { name: string }) => n.name)).toEqual(["default"]);
  });
});

