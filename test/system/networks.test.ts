// Host networks with real bridges, taps, dnsmasq and nftables, all inside a network namespace this
// file makes (no bridge and no guest traffic ever reach the machine's own namespace): two busybox
// guests on an isolated network get leases from vmctld's dnsmasq and ping each other; the API's
// refusals; a kill -9 and a clean stop; and deleting a network leaves nothing behind.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";
import { createNetns, waitForAddress, type Netns } from "./netns.js";

const run = promisify(execFile);
let netns: Netns;
let NS: string;
/** The "outside" of the NAT test: a second namespace behind a veth, with no route back to any guest. */
let OUTSIDE: string;
const SUBNET = "10.231.7.0/24";
let host: TestHost;

const inNs = (command: string[]): Promise<string> => netns.exec(command);
const links = async (): Promise<string[]> => (JSON.parse((await run("ip", ["-n", NS, "-j", "link", "show"])).stdout) as { ifname: string }[]).map((l) => l.ifname);
const nftTables = async (): Promise<string> => inNs(["nft", "list", "tables"]);
const dnsmasqDir = (network: string) => join(host.home, "run", ".networks", network);
const dnsmasqPid = (network: string): number => Number(readFileSync(join(dnsmasqDir(network), "dnsmasq.pid"), "utf8").trim());
/** Running, not a zombie waiting for its reaper. */
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));

/** The guest's IPv4 address on eth0 once udhcpc has applied its lease in `subnet` (a /24). */
const leasedAddress = (console: ConsoleReader, subnet = SUBNET): Promise<string> => waitForAddress(console, subnet);

beforeAll(async () => {
  netns = await createNetns("t");
  NS = netns.name;
  OUTSIDE = `${NS}-out`;
  host = await TestHost.start({ netns: NS });
});

afterAll(async () => {
  // vmctld and its QEMUs first (by pid, as the harness does), then whatever else this file started
  // in its namespace (a dnsmasq a failed test left), each by pid; then the namespaces go.
  await host?.close().catch(() => {});
  await netns?.close();
  await run("ip", ["netns", "del", OUTSIDE]).catch(() => {});
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

  it("a VM's NIC on the default nat network, brought up by its start, reaches a host behind a veth through the masquerade", async () => {
    await run("ip", ["netns", "add", OUTSIDE]);
    await run("ip", ["-n", NS, "link", "add", "vmtout0", "type", "veth", "peer", "name", "vmtpeer0", "netns", OUTSIDE]);
    await run("ip", ["-n", NS, "addr", "add", "172.31.250.1/24", "dev", "vmtout0"]);
    await run("ip", ["-n", NS, "link", "set", "vmtout0", "up"]);
    await run("ip", ["-n", OUTSIDE, "addr", "add", "172.31.250.2/24", "dev", "vmtpeer0"]);
    await run("ip", ["-n", OUTSIDE, "link", "set", "vmtpeer0", "up"]);
    try {
      expect(await host.client.network("default")).toMatchObject({ state: "inactive" });
      await host.client.createVm(guestDefinition("net-nat", { nics: { net0: {} } }));
      expect((await host.cli(["start", "net-nat"])).code).toBe(0);
      const net = await host.client.network("default");
      expect(net).toMatchObject({ kind: "nat", state: "active" });
      const guest = await ConsoleReader.open(host.client, "net-nat");
      await guest.waitFor(GUEST_READY_LINE);
      await leasedAddress(guest, net.subnet!);
      expect(await guest.run("ip route")).toContain(`default via ${net.gateway}`);
      // The outside has no route to the guest's subnet: only a masqueraded ping gets its answer.
      expect(await guest.run("ping -c 3 -W 2 172.31.250.2", 30_000)).toMatch(/3 packets received/);
      expect(await nftTables()).toMatch(/table ip vmctl_vm[0-9a-f]{5}_[0-9a-f]{6}/);
      guest.close();
      expect((await host.cli(["stop", "net-nat", "--force"])).code).toBe(0);
      await host.client.destroyVm("net-nat");
    } finally {
      await run("ip", ["-n", NS, "link", "del", "vmtout0"]).catch(() => {});
      await run("ip", ["netns", "del", OUTSIDE]).catch(() => {});
    }
  });

  it("a network added through the API changes its subnet while no VM runs on it", async () => {
    const changed = await host.client.patchNetwork("lab", { subnet: "10.231.8.0/24" });
    expect(changed).toMatchObject({ subnet: "10.231.8.0/24", gateway: "10.231.8.1", state: "active" });
    expect(await inNs(["ip", "-4", "addr", "show", "dev", changed.device!])).toContain("inet 10.231.8.1/24");
    expect(readFileSync(join(dnsmasqDir("lab"), "dnsmasq.conf"), "utf8")).toContain("dhcp-range=10.231.8.2,10.231.8.254");
    await expect(host.client.patchNetwork("default", { subnet: "10.231.9.0/24" })).rejects.toMatchObject({ status: 409, code: "network_not_removable" });
    expect(await host.client.patchNetwork("lab", { subnet: SUBNET })).toMatchObject({ subnet: SUBNET });
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

  // Attack review: vmctld (root) checked a subnet only against its own networks; one the host already
  // routes (here a veth inside this namespace, standing for the host's LAN) got a gateway beside it.
  it("refuses a subnet the host already routes, naming the device, and makes nothing", async () => {
    await run("ip", ["-n", NS, "link", "add", "vmtlan0", "type", "veth", "peer", "name", "vmtlan1"]);
    try {
      await run("ip", ["-n", NS, "addr", "add", "10.231.20.5/24", "dev", "vmtlan0"]);
      await run("ip", ["-n", NS, "link", "set", "vmtlan0", "up"]);
      await expect(host.client.createNetwork({ name: "shadow", kind: "nat", subnet: "10.231.20.0/25" })).rejects.toMatchObject({
        status: 400, code: "bad_request", message: expect.stringContaining('subnet: "10.231.20.0/25" overlaps the host\'s route 10.231.20.0/24 on vmtlan0'),
      });
      expect((await links()).sort()).toEqual(["lo", "vmtlan0", "vmtlan1"]);
      expect(await nftTables()).toBe("");
      expect((await host.client.listNetworks()).map((n) => n.name)).not.toContain("shadow");
    } finally {
      await run("ip", ["-n", NS, "link", "del", "vmtlan0"]).catch(() => {});
    }
  });

  // Attack review: bringing up a nat network turned on IPv4 forwarding in vmctld's namespace (the
  // host's own, in production), and nothing turned it off again: the host stayed a router between
  // all its interfaces after the network was removed and vmctld stopped.
  it("turns IPv4 forwarding off again once its last network is gone, if it found it off", async () => {
    const forwarding = async () => (await inNs(["cat", "/proc/sys/net/ipv4/ip_forward"])).trim();
    expect(await forwarding()).toBe("0");
    await host.client.createNetwork({ name: "fwd", kind: "nat", subnet: "10.231.30.0/24" });
    expect(await forwarding()).toBe("1");
    await host.client.removeNetwork("fwd");
    expect(await forwarding()).toBe("0");
    // Forwarding the host had on before stays on.
    await inNs(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    await host.client.createNetwork({ name: "fwd", kind: "nat", subnet: "10.231.30.0/24" });
    await host.client.removeNetwork("fwd");
    expect(await forwarding()).toBe("1");
    await inNs(["sysctl", "-qw", "net.ipv4.ip_forward=0"]);
  });
});
