// Networks of kind bridge, inside a network namespace this file makes: NICs join an existing Linux
// bridge the test made (standing for the host's LAN bridge), a guest with a static address pings the
// bridge's address, and vmctld adds and removes only its taps: the bridge outlives the VM, the
// network and vmctld. A device that is missing, no bridge, or one of vmctld's own is refused.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";
import { createNetns, type Netns } from "./netns.js";

const run = promisify(execFile);
let netns: Netns;
let NS: string;
const BRIDGE = "vmtlan0";
let host: TestHost;

const links = async () => JSON.parse((await run("ip", ["-n", NS, "-j", "link", "show"])).stdout) as { ifname: string; master?: string }[];

beforeAll(async () => {
  netns = await createNetns("br");
  NS = netns.name;
  await run("ip", ["-n", NS, "link", "add", BRIDGE, "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
  await run("ip", ["-n", NS, "addr", "add", "192.168.77.1/24", "dev", BRIDGE]);
  await run("ip", ["-n", NS, "link", "set", BRIDGE, "up"]);
  await run("ip", ["-n", NS, "link", "add", "vmtveth0", "type", "veth", "peer", "name", "vmtveth1"]);
  host = await TestHost.start({ netns: NS });
});

afterAll(async () => {
  await host?.close().catch(() => {});
  await netns?.close();
});

describe("bridge networks on an existing Linux bridge", () => {
  it("refuses a device that is missing, is no bridge, or is one vmctld made, storing nothing", async () => {
    const own = await host.client.createNetwork({ name: "mine", kind: "isolated", subnet: "10.235.7.0/24" });
    for (const [bridge, message] of [
      ["vmtnone0", "bridge: the host has no device vmtnone0"],
      ["vmtveth0", "bridge: vmtveth0 is not a Linux bridge"],
      [own.device!, `bridge: ${own.device} is a device vmctld made for one of its own networks`],
    ] as const) {
      await expect(host.client.createNetwork({ name: "lan", kind: "bridge", bridge })).rejects.toMatchObject({ status: 400, message: expect.stringContaining(message) });
    }
    expect((await host.client.listNetworks()).map((n) => n.name).sort()).toEqual(["default", "mine"]);
    await host.client.removeNetwork("mine");
  });

  it("a VM's NIC joins the bridge and pings its address; its tap goes with the VM, the bridge stays", async () => {
    const made = await host.cli(["--json", "network", "create", "lan", "--kind", "bridge", "--bridge", BRIDGE]);
    expect(made).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(made.stdout)).toMatchObject({ name: "lan", kind: "bridge", bridge: BRIDGE, state: "active" });
    await host.client.createVm(guestDefinition("br-a", { nics: { net0: { network: "lan" } } }));
    expect((await host.cli(["start", "br-a"])).code).toBe(0);
    const taps = (await links()).filter((l) => l.master === BRIDGE).map((l) => l.ifname);
    expect(taps).toHaveLength(1);
    expect(taps[0]).toMatch(/^vm[0-9a-f]{5}t[0-9a-f]{7}$/);
    const guest = await ConsoleReader.open(host.client, "br-a");
    await guest.waitFor(GUEST_READY_LINE);
    // No DHCP on this bridge: a static address, udhcpc stopped so it does not flush it.
    await guest.run("killall udhcpc; ip addr add 192.168.77.10/24 dev eth0");
    expect(await guest.run("ping -c 3 -W 2 192.168.77.1", 40_000)).toMatch(/3 packets transmitted, 3 packets received/);
    guest.close();
    expect((await host.cli(["stop", "br-a", "--force"])).code).toBe(0);
    expect((await links()).filter((l) => l.master === BRIDGE)).toEqual([]);

    // vmctld stopped and started again: the bridge is not its to sweep.
    const exited = new Promise((r) => host.daemon!.once("exit", r));
    host.daemon!.kill("SIGTERM");
    await exited;
    await host.startDaemon();
    expect((await links()).map((l) => l.ifname)).toContain(BRIDGE);

    // Gone from under its network: the NIC's start fails naming the network and the device.
    await run("ip", ["-n", NS, "link", "set", BRIDGE, "down"]);
    await run("ip", ["-n", NS, "link", "set", BRIDGE, "name", "vmtlan9"]);
    const started = await host.cli(["start", "br-a"]);
    expect(started.code).not.toBe(0);
    expect(started.stderr).toContain(`nics.net0.network of VM "br-a": network "lan": bridge: the host has no device ${BRIDGE}`);
    await run("ip", ["-n", NS, "link", "set", "vmtlan9", "name", BRIDGE]);
    await run("ip", ["-n", NS, "link", "set", BRIDGE, "up"]);

    await host.client.destroyVm("br-a");
    await host.client.removeNetwork("lan");
    const left = await links();
    expect(left.map((l) => l.ifname)).toContain(BRIDGE);
    expect(left.filter((l) => /^vm[0-9a-f]{5}[bt]/.test(l.ifname))).toEqual([]);
    expect((await run("ip", ["-n", NS, "-4", "addr", "show", "dev", BRIDGE])).stdout).toContain("inet 192.168.77.1/24");
  });

  // The build kernel has no 802.1Q: a tagged bridge network cannot put its tag on the wire, and its
  // VMs must then not reach the bridge untagged either (they stay on a bridge of their own).
  it("a bridge network with a VLAN tag keeps its VMs off the untagged bridge where the kernel cannot tag", async () => {
    const tagged = await host.client.createNetwork({ name: "lan20", kind: "bridge", bridge: BRIDGE, vlan: 20 });
    expect(tagged).toMatchObject({ state: "active", vlan: 20, device: expect.stringMatching(/^vm[0-9a-f]{5}b[0-9a-f]{6}$/), warning: expect.stringContaining("the kernel cannot tag VLAN 20 onto vmtlan0") });
    await host.client.createVm(guestDefinition("br-b", { nics: { net0: { network: "lan20" } } }));
    expect((await host.cli(["start", "br-b"])).code).toBe(0);
    expect((await links()).filter((l) => l.master === tagged.device)).toHaveLength(1);
    expect((await links()).filter((l) => l.master === BRIDGE)).toEqual([]);
    const guest = await ConsoleReader.open(host.client, "br-b");
    await guest.waitFor(GUEST_READY_LINE);
    await guest.run("killall udhcpc; ip addr add 192.168.77.20/24 dev eth0");
    expect(await guest.run("ping -c 3 -W 2 192.168.77.1", 40_000)).toMatch(/3 packets transmitted, 0 packets received/);
    guest.close();
    expect((await host.cli(["stop", "br-b", "--force"])).code).toBe(0);
    await host.client.destroyVm("br-b");
    await host.client.removeNetwork("lan20");
    const left = await links();
    expect(left.map((l) => l.ifname)).toContain(BRIDGE);
    expect(left.filter((l) => /^vm[0-9a-f]{5}[bpqvt]/.test(l.ifname))).toEqual([]);
  });
});
