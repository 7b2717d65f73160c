import { describe, it, expect } from "vitest";
import { checkNetwork, type CheckedNetwork } from "./network-spec.js";

const lab = checkNetwork("lab", { kind: "isolated", subnet: "10.50.0.0/24" }, [], 0);

describe("network settings by kind", () => {
  it("keeps a nat or isolated network's subnet, or picks a free one", () => {
    expect(lab).toMatchObject({ name: "lab", kind: "isolated", subnet: "10.50.0.0/24" });
    expect(checkNetwork("def", { kind: "nat" }, [lab], 0x5000)).toMatchObject({ subnet: "10.80.0.0/24" });
  });

  it("refuses a subnet that overlaps another network's, naming it and a free one", () => {
    expect(() => checkNetwork("b", { kind: "nat", subnet: "10.50.0.128/25" }, [lab], 0x3200)).toThrow('subnet: "10.50.0.128/25" overlaps network "lab" (10.50.0.0/24); choose a subnet of its own, e.g. "10.50.1.0/24"');
  });

  it("refuses what a kind has no use for, and asks for what it needs", () => {
    expect(() => checkNetwork("u", { kind: "user", subnet: "10.1.0.0/24" }, [], 0)).toThrow(/subnet: a user network takes no subnet/);
    expect(() => checkNetwork("b", { kind: "bridge" }, [], 0)).toThrow(/bridge: a bridge network needs a bridge; e\.g\. \{"kind": "bridge", "bridge": "br0"\}/);
    expect(() => checkNetwork("p", { kind: "portgroup", parent: "nope", vlan: 3 }, [lab], 0)).toThrow(/parent: no network "nope"/);
    expect(() => checkNetwork("p", { kind: "portgroup", parent: "lab" }, [lab], 0)).toThrow(/vlan: a portgroup network needs a vlan/);
    expect(checkNetwork("p", { kind: "portgroup", parent: "lab", vlan: 3 }, [lab], 0)).toMatchObject({ kind: "portgroup", vlan: 3 });
    const p3 = checkNetwork("p", { kind: "portgroup", parent: "lab", vlan: 3 }, [lab], 0);
    expect(() => checkNetwork("q", { kind: "portgroup", parent: "lab", vlan: 3 }, [lab, p3], 0)).toThrow(/vlan: network "lab" already has portgroup "p" on VLAN 3/);
    expect(checkNetwork("q", { kind: "portgroup", parent: "lab", vlan: 4 }, [lab, p3], 0)).toMatchObject({ vlan: 4 });
  });

  it("refuses a bad kind or name, prefixed with where it was declared", () => {
    expect(() => checkNetwork("x", { kind: "wifi" } as unknown as CheckedNetwork, [], 0, "vmctld.toml: networks.x.")).toThrow('vmctld.toml: networks.x.kind: "wifi" is not a network kind');
    expect(() => checkNetwork("Bad Name", { kind: "user" }, [], 0)).toThrow(/name: "Bad Name" is not a network name/);
    expect(() => checkNetwork("x", { kind: "nat", subnet: "10.0.0.0" }, [], 0)).toThrow(/subnet: "10\.0\.0\.0" is not an IPv4 subnet/);
  });

  // Attack review: a network's bridge and nftables table are named by 6 hex digits of its name's
  // hash; "n4030" hashes like "n1773" (found in a second), so it would take over that network's
  // bridge (its address replaced, its table reloaded, both deleted with it).
  it("refuses a name whose devices would be another network's", () => {
    const first = checkNetwork("n1773", { kind: "isolated", subnet: "10.51.0.0/24" }, [], 0);
    expect(() => checkNetwork("n4030", { kind: "isolated", subnet: "10.52.0.0/24" }, [first], 0)).toThrow('name: network "n4030" would get the same bridge and nftables table as network "n1773"; choose another name');
    expect(() => checkNetwork("n4030", { kind: "user" }, [first], 0)).not.toThrow();
  });
});
