// Attack review of host networks: a NIC's tap is named by 7 hex digits of a hash of its VM's
// identity and NIC id, and creating a tap first deletes one of that name (a kill -9's leftover).
// Two NICs whose names collide (found in a second among NIC ids one may choose freely) would so
// delete the tap of a running VM and take its place on the bridge.
import { describe, it, expect } from "vitest";
import pino from "pino";
import type { VmDefinition } from "@vmctl/api-types";
import { NullNetworkPlumbing } from "../network/network-plumbing.js";
import { networkNames } from "../network/network-names.js";
import { parseSubnet } from "../network/cidr.js";
import { HostNetworks } from "./host-networks.js";
import { openDatabase } from "../store/database.js";
import type { HostNetwork, NetworkRegistry } from "./network-registry.js";

const lab: HostNetwork = { name: "lab", kind: "isolated", subnet: "10.60.0.0/24", parsedSubnet: parseSubnet("10.60.0.0/24"), origin: "added" };
// The reservations each NIC gets are kept in a real (in-memory) SQLite.
const registry = { resolveNic: () => lab, resolve: () => lab, get: () => lab, list: () => [lab], macsOn: () => ["52:54:00:00:00:01"], db: openDatabase(":memory:") } as unknown as NetworkRegistry;
const def = (...nics: string[]) => ({ nics: Object.fromEntries(nics.map((id) => [id, { network: "lab", model: "virtio", mac: "52:54:00:00:00:01" }])) }) as unknown as VmDefinition;

function networks(): { networks: HostNetworks; plumbing: NullNetworkPlumbing } {
  const plumbing = new NullNetworkPlumbing();
  return { plumbing, networks: new HostNetworks(registry, plumbing, networkNames("host-1"), false, () => null, pino({ level: "silent" })) };
}

describe("the taps of NICs", () => {
  it("refuse a NIC whose tap would be a running VM's (a hash collision), naming both and the fix", async () => {
    const { networks: nets, plumbing } = networks();
    // tap(a, n12770) === tap(b, n9543)
    await nets.attach("vm-a", "a", def("n12770"));
    await expect(nets.attach("vm-b", "b", def("n9543"))).rejects.toThrow(/nics\.n9543 of VM "vm-b": its tap vm[0-9a-f]{5}t[0-9a-f]{7} would be the tap of NIC n12770 of VM "vm-a" \(a name collision\); rename the NIC, e\.g\. "n9543-1"/);
    expect(plumbing.log.filter((l) => l.startsWith("tap "))).toHaveLength(1);
    // Once vm-a's QEMU has ended its tap name is free again.
    await nets.detach("vm-a", "a", def("n12770"));
    await expect(nets.attach("vm-b", "b", def("n9543"))).resolves.toMatchObject({ n9543: { kind: "tap" } });
  });

  it("refuse two NICs of one VM whose taps collide, and make none of its taps", async () => {
    const { networks: nets, plumbing } = networks();
    await expect(nets.attach("vm-c", "u1", def("nic3731", "nic41700"))).rejects.toThrow(/nics\.nic41700 of VM "vm-c": its tap .* would be the tap of NIC nic3731 of VM "vm-c"/);
    expect(plumbing.log.filter((l) => l.startsWith("tap ")).length).toBe(plumbing.log.filter((l) => l.startsWith("rm tap ")).length);
    // The same VM started again (its taps remade) is no collision.
    await nets.attach("vm-d", "d", def("net0"));
    await nets.attach("vm-d", "d", def("net0"));
  });
});

describe("a vmctld restarted while VMs run on the implicit default network", () => {
  it("brings that network up again and rejoins their taps, instead of sweeping its bridge from under them", async () => {
    const implicit: HostNetwork = { name: "default", kind: "nat", subnet: "10.61.0.0/24", parsedSubnet: parseSubnet("10.61.0.0/24"), origin: "default" };
    const reg = { resolveNic: () => implicit, resolve: () => implicit, get: () => implicit, list: () => [implicit] } as unknown as NetworkRegistry;
    const kept: { networks: ReadonlySet<string>; taps: ReadonlySet<string> }[] = [];
    const plumbing = new NullNetworkPlumbing();
    plumbing.sweep = async (keep) => { kept.push(keep); return []; };
    const nets = new HostNetworks(reg, plumbing, networkNames("host-1"), false, () => null, pino({ level: "silent" }));
    await nets.start();
    expect(plumbing.log).toEqual([]);
    await nets.sweep([{ name: "web", uuid: "w", def: def("net0") }]);
    expect(nets.describeOne("default")).toMatchObject({ state: "active" });
    expect(plumbing.log).toEqual([`attach ${networkNames("host-1").tap("w", "net0")} ${networkNames("host-1").bridge("default")}`]);
    // The sweep itself runs only as root (it keeps the default network's bridge).
    if (process.getuid?.() === 0) expect(kept[0]?.networks.has("default")).toBe(true);
  });
});

describe("a NIC's start racing a change of its network", () => {
  const onLab = { nics: { net0: { network: "lab", model: "virtio", mac: "52:54:00:00:00:02" } } } as unknown as VmDefinition;
  async function racing() {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { openDatabase } = await import("../store/database.js");
    const { NetworkRegistry } = await import("./network-registry.js");
    const dir = mkdtempSync(join(tmpdir(), "vmctl-netrace-"));
    const db = openDatabase(join(dir, "vmctld.db"));
    const reg = new NetworkRegistry(db, {}, 0, { list: () => [] } as unknown as import("./inventory.js").Inventory, () => {});
    const plumbing = new NullNetworkPlumbing();
    let release = () => {};
    const held = new Promise<void>((r) => { release = r; });
    const nets = new HostNetworks(reg, plumbing, networkNames("host-1"), false, () => null, pino({ level: "silent" }));
    await nets.create({ name: "lab", kind: "isolated", subnet: "10.62.0.0/24" });
    // Taking the network down takes a while (dnsmasq's exit, ip link del): a start comes meanwhile.
    plumbing.down = async (network) => { plumbing.log.push(`down ${network}`); await held; };
    return { nets, plumbing, release, done: () => { db.close(); rmSync(dir, { recursive: true, force: true }); } };
  }

  it("a start during a delete fails naming the network instead of making a tap on a bridge going away", async () => {
    const { nets, plumbing, release, done } = await racing();
    try {
      const removing = nets.remove("lab");
      const starting = nets.attach("web", "w", onLab);
      release();
      await removing;
      await expect(starting).rejects.toMatchObject({ code: "network_not_found" });
      expect(plumbing.log.filter((l) => l.startsWith("tap "))).toEqual([]);
    } finally {
      done();
    }
  });

  it("a start during a subnet change waits for it and joins the changed network", async () => {
    const { nets, plumbing, release, done } = await racing();
    try {
      const patching = nets.patch("lab", { subnet: "10.63.0.0/24" }, () => false);
      const starting = nets.attach("web", "w", onLab);
      await new Promise((r) => setTimeout(r, 20));
      // No tap while the old bridge is being taken down.
      expect(plumbing.log.filter((l) => l.startsWith("tap "))).toEqual([]);
      release();
      await patching;
      await expect(starting).resolves.toMatchObject({ net0: { kind: "tap" } });
      expect(nets.describeOne("lab")).toMatchObject({ subnet: "10.63.0.0/24", state: "active" });
    } finally {
      done();
    }
  });
});

describe("portgroups around their parent", () => {
  const parent: HostNetwork = { name: "lab", kind: "isolated", subnet: "10.62.0.0/24", parsedSubnet: parseSubnet("10.62.0.0/24"), origin: "added" };
  const pg: HostNetwork = { name: "pg10", kind: "portgroup", parent: "lab", vlan: 10, origin: "added" };
  const all = [parent, pg];
  const reg = {
    resolve: (n: string) => all.find((x) => x.name === n), get: (n: string) => all.find((x) => x.name === n)!, resolveNic: (_vm: string, _nic: string, n: string) => all.find((x) => x.name === n)!,
    list: () => all, macsOn: () => [], db: openDatabase(":memory:"),
  } as unknown as NetworkRegistry;
  const onPg = { nics: { net0: { network: "pg10", model: "virtio", mac: "52:54:00:00:00:0a" } } } as unknown as VmDefinition;

  it("a NIC's tap joins the portgroup's own bridge, and its DHCP reservation is the parent's", async () => {
    const plumbing = new NullNetworkPlumbing();
    const nets = new HostNetworks(reg, plumbing, networkNames("host-1"), false, () => null, pino({ level: "silent" }));
    await nets.start();
    await nets.attach("vm-p", "p", onPg);
    expect(plumbing.log.filter((l) => l.startsWith("tap "))).toEqual([`tap ${networkNames("host-1").tap("p", "net0")} ${networkNames("host-1").bridge("pg10")}`]);
    expect(nets.reservedAddress("lab", "52:54:00:00:00:0a")).toMatch(/^10\.62\.0\.\d+$/);
    expect(nets.describeOne("pg10")).toMatchObject({ state: "active", device: networkNames("host-1").bridge("pg10") });
  });

  it("a clean stop takes portgroups down before their parent, and keeps both while a VM runs on the portgroup", async () => {
    const plumbing = new NullNetworkPlumbing();
    const nets = new HostNetworks(reg, plumbing, networkNames("host-1"), false, () => null, pino({ level: "silent" }));
    await nets.start();
    await nets.stop([{ name: "vm-p", uuid: "p", def: onPg }]);
    expect(plumbing.log.filter((l) => l.startsWith("down"))).toEqual([]);
    await nets.stop([]);
    expect(plumbing.log.filter((l) => l.startsWith("down"))).toEqual(["down portgroup pg10", "down lab"]);
  });
});
