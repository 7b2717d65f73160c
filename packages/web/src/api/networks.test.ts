import { describe, it, expect } from "vitest";
import { ApiError } from "./http";
import { addressesOf, kindLabel, nicNetwork, refusedField, vmsByNetwork } from "./networks";
import { cloudInitTable, keyInWords } from "./cloud-init";

describe("networks in words", () => {
  it("names each kind as a person reads it", () => {
    expect(kindLabel({ kind: "nat" })).toBe("NAT");
    expect(kindLabel({ kind: "isolated" })).toBe("Isolated");
    expect(kindLabel({ kind: "bridge" })).toBe("Bridge");
    expect(kindLabel({ kind: "bridge", vlan: 20 })).toBe("Bridge (VLAN 20)");
    expect(kindLabel({ kind: "portgroup", vlan: 10, parent: "lan" })).toBe("Port group (VLAN 10 on lan)");
    expect(kindLabel({ kind: "user" })).toBe("NAT (user mode)");
  });

  it("reads a NIC's old \"nat\" as the default network unless one is named nat, and lists each network's VMs once", () => {
    const networks = [{ name: "default" }, { name: "lab" }];
    expect(nicNetwork("nat", networks)).toBe("default");
    expect(nicNetwork("nat", [...networks, { name: "nat" }])).toBe("nat");
    const nic = (network: string) => ({ network, model: "virtio" as const, mac: "auto", link: "up" as const });
    const vm = (name: string, nics: Record<string, ReturnType<typeof nic>>) => ({ name, definition: { nics } as never });
    const using = vmsByNetwork([vm("web", { a: nic("lab"), b: nic("lab") }), vm("db", { a: nic("nat") }), vm("broken", {}), { name: "invalid", definition: null }], networks);
    expect(Object.fromEntries(using)).toEqual({ lab: ["web"], default: ["db"] });
  });

  it("finds the form field a refusal names: its details, its first schema issue, or the start of its message", () => {
    expect(refusedField(new ApiError(400, "bad_request", 'network "x": overlaps', { field: "subnet" }))).toBe("subnet");
    expect(refusedField(new ApiError(400, "bad_request", "invalid", { issues: [{ field: "vlan", message: "too big" }] }))).toBe("vlan");
    expect(refusedField(new ApiError(409, "network_exists", 'name: a network "x" already exists'))).toBe("name");
    expect(refusedField(new ApiError(500, "internal", "dnsmasq died"))).toBeUndefined();
    expect(refusedField(new Error("subnet: not an ApiError"))).toBeUndefined();
  });

  it("reads addresses only when vmctld sends them", () => {
    expect(addressesOf({})).toEqual([]);
    expect(addressesOf({ addresses: [{ nic: "net0", mac: "m", ip: "10.0.0.5", source: "dhcp" }, { nic: "x" }] })).toEqual([{ nic: "net0", mac: "m", ip: "10.0.0.5", source: "dhcp" }]);
  });
});

describe("the wizard's [cloud_init]", () => {
  const empty = { hostname: "", user: "", key: "", passwordHash: "", sudo: true };
  it("is absent when every field is empty, so no seed is attached", () => {
    expect(cloudInitTable(empty)).toBeUndefined();
    expect(cloudInitTable({ ...empty, hostname: "  " })).toBeUndefined();
  });
  it("makes a user with one key a line, the hash and sudo; keys alone go to the image's default user", () => {
    expect(cloudInitTable({ ...empty, hostname: "web", user: "alice", key: "ssh-ed25519 AAAA a@b\n\n ssh-rsa BBBB c@d ", passwordHash: "$6$x$y", sudo: false })).toEqual({
      hostname: "web", users: [{ name: "alice", ssh_authorized_keys: ["ssh-ed25519 AAAA a@b", "ssh-rsa BBBB c@d"], password_hash: "$6$x$y", sudo: false }],
    });
    expect(cloudInitTable({ ...empty, key: "ssh-ed25519 AAAA a@b" })).toEqual({ ssh_authorized_keys: ["ssh-ed25519 AAAA a@b"] });
    expect(keyInWords("ssh-ed25519 AAAAC3Nz alice@laptop")).toBe('ssh-ed25519 key "alice@laptop"');
  });
});
