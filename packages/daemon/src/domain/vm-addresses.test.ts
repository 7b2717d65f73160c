import { describe, it, expect } from "vitest";
import type { VmDefinition } from "@vmctl/api-types";
import { VmAddresses, type LeaseLike } from "./vm-addresses.js";

const networks = [{ name: "lab", kind: "isolated" }, { name: "default", kind: "nat" }, { name: "slirp", kind: "user" }, { name: "vlan20", kind: "portgroup", parent: "lab", vlan: 20 }];
const registry = {
  list: () => networks as never,
  resolve: (value: string) => networks.find((n) => n.name === value) as never,
};
const def = { nics: { net0: { network: "lab", model: "virtio", mac: "52:54:00:00:00:01" }, net1: { network: "default", model: "virtio", mac: "52:54:00:00:00:02" }, net2: { network: "slirp", model: "virtio", mac: "52:54:00:00:00:03" } } } as unknown as VmDefinition;

function withLeases(leases: Record<string, LeaseLike[]>) {
  const reads: string[] = [];
  const addresses = new VmAddresses(registry, async (network) => { reads.push(network); return leases[network] ?? []; });
  return { addresses, reads };
}

describe("VmAddresses", () => {
  it("matches each NIC's lease on its own network by MAC (any case)", async () => {
    const { addresses, reads } = withLeases({
      lab: [{ mac: "52:54:00:00:00:07", ip: "10.0.0.5" }, { mac: "52:54:00:00:00:01", ip: "10.0.0.9", expiresAt: null }],
      // net1's MAC leased on another network than its own counts not.
      default: [{ mac: "52:54:00:00:00:99", ip: "10.1.0.2" }],
    });
    await addresses.refresh();
    expect(reads.sort()).toEqual(["default", "lab"]);
    expect(addresses.of("web", def, true)).toEqual([{ nic: "net0", mac: "52:54:00:00:00:01", ip: "10.0.0.9", source: "dhcp" }]);
    const upper = { nics: { net0: { ...def.nics.net0!, mac: "52:54:00:00:00:01".toUpperCase() } } } as unknown as VmDefinition;
    expect(addresses.of("web", upper, true)).toHaveLength(1);
  });

  it("finds a NIC on a portgroup in its parent's leases (they share one dnsmasq)", async () => {
    const { addresses, reads } = withLeases({ lab: [{ mac: "52:54:00:00:00:20", ip: "10.0.0.20" }] });
    await addresses.refresh();
    expect(reads).not.toContain("vlan20");
    const onTag = { nics: { tagged: { network: "vlan20", model: "virtio", mac: "52:54:00:00:00:20" } } } as unknown as VmDefinition;
    expect(addresses.of("web", onTag, true)).toEqual([{ nic: "tagged", mac: "52:54:00:00:00:20", ip: "10.0.0.20", source: "dhcp" }]);
  });

  it("has no addresses for a VM whose QEMU does not run, or whose definition does not validate", async () => {
    const { addresses } = withLeases({ lab: [{ mac: "52:54:00:00:00:01", ip: "10.0.0.5" }] });
    await addresses.refresh();
    expect(addresses.of("web", def, false)).toEqual([]);
    expect(addresses.of("web", undefined, true)).toEqual([]);
  });

  it("takes the agent's addresses for a NIC it reports, the lease for the others", async () => {
    const { addresses } = withLeases({ lab: [{ mac: "52:54:00:00:00:01", ip: "10.0.0.5" }], default: [{ mac: "52:54:00:00:00:02", ip: "10.1.0.7" }] });
    await addresses.refresh();
    const before = addresses.generation;
    addresses.addProvider({ source: "agent", addressesOf: (vm) => (vm === "web" ? [{ mac: "52:54:00:00:00:01", ips: ["10.0.0.5", "fe80::1"] }, { mac: "52:54:00:00:00:03", ips: ["10.0.2.15"] }] : undefined) });
    expect(addresses.generation).toBeGreaterThan(before);
    expect(addresses.of("web", def, true)).toEqual([
      { nic: "net0", mac: "52:54:00:00:00:01", ip: "10.0.0.5", source: "agent" },
      { nic: "net0", mac: "52:54:00:00:00:01", ip: "fe80::1", source: "agent" },
      { nic: "net1", mac: "52:54:00:00:00:02", ip: "10.1.0.7", source: "dhcp" },
      { nic: "net2", mac: "52:54:00:00:00:03", ip: "10.0.2.15", source: "agent" },
    ]);
  });

  it("reads the leases at most once a second and moves its generation only when they change", async () => {
    const leases: Record<string, LeaseLike[]> = { lab: [] };
    const { addresses, reads } = withLeases(leases);
    await addresses.refresh();
    const generation = addresses.generation;
    await addresses.refresh();
    expect(reads).toHaveLength(2); // lab and default, once
    expect(addresses.generation).toBe(generation);
  });

  it("without a lease reader (no managed networks on this host) knows no DHCP addresses", async () => {
    const addresses = new VmAddresses(registry, undefined);
    await addresses.refresh();
    expect(addresses.of("web", def, true)).toEqual([]);
  });
});

describe("VmAddresses against a guest agent that lies", () => {
  // 10.5.0.0/24: vmctld is 10.5.0.1 on the bridge; "bank" (…:0b) holds 10.5.0.7 by DHCP.
  const subnet = { base: (10 * 256 + 5) * 256 * 256, prefix: 24 };
  const nets = [{ name: "lab", kind: "nat", parsedSubnet: subnet }, { name: "tag", kind: "portgroup", parent: "lab", vlan: 5 }, { name: "lan", kind: "bridge", bridge: "br0" }];
  const reg = { list: () => nets as never, resolve: (value: string) => nets.find((n) => n.name === value) as never };
  const evil = { nics: { net0: { network: "lab", model: "virtio", mac: "52:54:00:00:00:0e" }, net1: { network: "tag", model: "virtio", mac: "52:54:00:00:00:0f" }, net2: { network: "lan", model: "virtio", mac: "52:54:00:00:00:10" } } } as unknown as VmDefinition;

  it("drops the addresses a guest claims on a managed network that are not its to have: another VM's lease, vmctld's gateway, outside the subnet", async () => {
    const addresses = new VmAddresses(reg, async () => [{ mac: "52:54:00:00:00:0b", ip: "10.5.0.7" }, { mac: "52:54:00:00:00:0e", ip: "10.5.0.9" }, { mac: "52:54:00:00:00:0f", ip: "10.5.0.10" }]);
    await addresses.refresh();
    addresses.addProvider({ source: "agent", addressesOf: () => [
      // bank's address first, so `vmctl ssh evil` would log in to bank; then the host's own, a LAN machine, broadcast, nothing.
      { mac: "52:54:00:00:00:0e", ips: ["10.5.0.7", "10.5.0.1", "192.168.1.50", "10.5.0.255", "0.0.0.0", "10.5.0.9", "fe80::5054:ff:fe00:e"] },
      { mac: "52:54:00:00:00:0f", ips: ["10.5.0.7", "10.5.0.1"] },
      // On a bridge network vmctld knows no subnet: what the guest says is all there is.
      { mac: "52:54:00:00:00:10", ips: ["192.168.1.77"] },
    ] });
    expect(addresses.of("evil", evil, true)).toEqual([
      { nic: "net0", mac: "52:54:00:00:00:0e", ip: "10.5.0.9", source: "agent" },
      { nic: "net0", mac: "52:54:00:00:00:0e", ip: "fe80::5054:ff:fe00:e", source: "agent" },
      // Nothing of the agent's left for the portgroup NIC: its own lease (on the parent) stands.
      { nic: "net1", mac: "52:54:00:00:00:0f", ip: "10.5.0.10", source: "dhcp" },
      { nic: "net2", mac: "52:54:00:00:00:10", ip: "192.168.1.77", source: "agent" },
    ]);
  });
});
