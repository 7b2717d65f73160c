// Portgroups on the build kernel (no 802.1Q, no bridge VLAN filtering), inside a network namespace
// this file makes: three busybox guests on one isolated parent, two on tag 10 and one on tag 20,
// each portgroup a bridge of its own linked to the parent by an isolated bridge port. The two on tag
// 10 ping each other; the one on tag 20 reaches the gateway (it shares the parent's subnet and DHCP)
// but neither of them; removing the portgroups leaves no device behind.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";
import { createNetns, waitForAddress, type Netns } from "./netns.js";

const run = promisify(execFile);
let netns: Netns;
let NS: string;
const SUBNET = "10.234.7.0/24";
let host: TestHost;

const links = async (): Promise<string[]> => (JSON.parse((await run("ip", ["-n", NS, "-j", "link", "show"])).stdout) as { ifname: string }[]).map((l) => l.ifname).sort();

const leasedAddress = (console: ConsoleReader): Promise<string> => waitForAddress(console, SUBNET, { tries: 90 });

beforeAll(async () => {
  netns = await createNetns("pg");
  NS = netns.name;
  host = await TestHost.start({ netns: NS });
});

afterAll(async () => {
  await host?.close().catch(() => {});
  await netns?.close();
});

describe("portgroups isolate VLAN tags without 802.1Q", () => {
  it("refuses a portgroup without a parent, on a missing or user parent, or on a tag its parent already has", async () => {
    await host.client.createNetwork({ name: "pgpar", kind: "isolated", subnet: SUBNET });
    await host.client.createNetwork({ name: "usr", kind: "user" });
    const made = await host.cli(["--json", "network", "create", "pg10", "--kind", "portgroup", "--parent", "pgpar", "--vlan", "10"]);
    expect(made).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(made.stdout)).toMatchObject({ name: "pg10", kind: "portgroup", parent: "pgpar", vlan: 10, state: "active", device: expect.stringMatching(/^vm[0-9a-f]{5}b[0-9a-f]{6}$/) });
    const before = await links();
    await expect(host.client.createNetwork({ name: "pgx", kind: "portgroup", parent: "pgpar", vlan: 10 })).rejects.toMatchObject({ status: 400, message: 'vlan: network "pgpar" already has portgroup "pg10" on VLAN 10; put NICs on that one, or choose another tag' });
    await expect(host.client.createNetwork({ name: "pgx", kind: "portgroup", parent: "nope", vlan: 11 })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('parent: no network "nope"') });
    await expect(host.client.createNetwork({ name: "pgx", kind: "portgroup", parent: "usr", vlan: 11 })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('parent: "usr" is a user network') });
    await expect(host.client.createNetwork({ name: "pgx", kind: "portgroup", parent: "pgpar" })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("vlan: a portgroup network needs a vlan") });
    expect(await links()).toEqual(before);
    await host.client.createNetwork({ name: "pg20", kind: "portgroup", parent: "pgpar", vlan: 20 });
    await expect(host.client.removeNetwork("pgpar")).rejects.toMatchObject({ status: 409, message: expect.stringContaining('network "pgpar" is the parent of "pg10", "pg20"; remove those first') });
  });

  it("two VMs on tag 10 ping each other; the one on tag 20 reaches the gateway but neither of them", async () => {
    const vms = [["pg-a", "pg10"], ["pg-b", "pg10"], ["pg-c", "pg20"]] as const;
    for (const [name, network] of vms) await host.client.createVm(guestDefinition(name, { nics: { net0: { network } } }));
    for (const [name] of vms) expect((await host.cli(["start", name])).code).toBe(0);
    const [a, b, c] = await Promise.all(vms.map(([name]) => ConsoleReader.open(host.client, name)));
    await Promise.all([a!, b!, c!].map((g) => g.waitFor(GUEST_READY_LINE, 180_000)));
    const [ipA, ipB, ipC] = await Promise.all([leasedAddress(a!), leasedAddress(b!), leasedAddress(c!)]);
    expect(new Set([ipA, ipB, ipC]).size).toBe(3);
    expect(await a!.run(`ping -c 3 -W 2 ${ipB}`, 40_000)).toMatch(/3 packets transmitted, 3 packets received/);
    expect(await c!.run("ping -c 2 -W 2 10.234.7.1", 40_000)).toMatch(/2 packets received/);
    expect(await c!.run(`ping -c 3 -W 2 ${ipA}`, 40_000)).toMatch(/3 packets transmitted, 0 packets received/);
    expect(await c!.run(`ping -c 3 -W 2 ${ipB}`, 40_000)).toMatch(/3 packets transmitted, 0 packets received/);
    expect(await a!.run(`ping -c 3 -W 2 ${ipC}`, 40_000)).toMatch(/3 packets transmitted, 0 packets received/);
    for (const g of [a!, b!, c!]) g.close();
    for (const [name] of vms) {
      expect((await host.cli(["stop", name, "--force"])).code).toBe(0);
      await host.client.destroyVm(name);
    }
  });

  it("a kill -9 leaves the portgroups to the next start, which makes them again; a clean stop removes them", async () => {
    const before = await links();
    expect(before).toHaveLength(1 + 1 + 2 * 3); // lo; the parent's bridge; each portgroup's bridge and veth pair
    await host.killDaemon();
    await host.startDaemon();
    expect(await host.client.network("pg10")).toMatchObject({ state: "active" });
    expect(await links()).toEqual(before);
    const exited = new Promise((r) => host.daemon!.once("exit", r));
    host.daemon!.kill("SIGTERM");
    await exited;
    expect(await links()).toEqual(["lo"]);
    await host.startDaemon();
    expect(await links()).toEqual(before);
  });

  it("removing the portgroups, then their parent, leaves no device behind", async () => {
    const pg10 = await host.client.network("pg10");
    expect(await links()).toContain(pg10.device);
    for (const name of ["pg10", "pg20"]) expect((await host.cli(["network", "rm", name])).code).toBe(0);
    const parent = await host.client.network("pgpar");
    expect(await links()).toEqual(["lo", parent.device!]);
    await host.client.removeNetwork("pgpar");
    expect(await links()).toEqual(["lo"]);
  });
});
