// Placement, by example and by property: the chosen host always qualifies, no qualifying host has
// more free memory after, a refused host is refused for a reason it really has, and every host gets a line.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { place, type PlacementHost, type PlacementVm, type PlacementRuleInput } from "./placement.js";

const GiB = 1024 ** 3;
const host = (id: string, over: Partial<PlacementHost> = {}): PlacementHost => ({
  id, name: id, state: "connected", maintenance: false, schedulable: true, cpus: 4, memoryBytes: 8 * GiB,
  allocatedMemoryBytes: 0, runningVms: 0, load: 0, tags: [], datastores: ["local", "shared"], networks: ["default"], ...over,
});
const vm = (over: Partial<PlacementVm> = {}): PlacementVm => ({ name: "web", memoryBytes: GiB, cpus: 1, datastore: "shared", networks: [], hostTags: [], ...over });

describe("place", () => {
  it("chooses the host with the most free memory and explains every host", () => {
    const p = place(vm(), [
      host("h1", { allocatedMemoryBytes: 6 * GiB, runningVms: 3 }),
      host("h2", { allocatedMemoryBytes: 2 * GiB, runningVms: 1 }),
      host("h3", { maintenance: true }),
      host("h4", { state: "dead" }),
    ]);
    expect(p.chosen?.id).toBe("h2");
    expect(p.reasons).toEqual([
      "h2: 5.0 GiB free after, 1 VM running — chosen: most free memory",
      "h1: 1.0 GiB free after, 3 VMs running",
      "h3: in maintenance",
      "h4: declared dead",
    ]);
  });

  it("breaks ties by running VMs, then load, then id", () => {
    expect(place(vm(), [host("a", { runningVms: 2 }), host("b", { runningVms: 1 })]).chosen?.id).toBe("b");
    expect(place(vm(), [host("a", { load: 2 }), host("b", { load: 1 })]).chosen?.id).toBe("b");
    const tie = place(vm(), [host("b"), host("a")]);
    expect(tie.chosen?.id).toBe("a");
    expect(tie.reasons[0]).toContain("first by id");
  });

  it("refuses for memory, CPUs, datastore, networks, tags, schedulability and connection", () => {
    const p = place(vm({ memoryBytes: 4 * GiB, cpus: 8, networks: ["lab", "default"], hostTags: ["ssd"] }), [
      host("small", { allocatedMemoryBytes: 6 * GiB, cpus: 16, networks: ["lab"], tags: ["ssd"] }),
      host("few", { cpus: 2, networks: ["lab"], tags: ["ssd"] }),
      host("nods", { cpus: 16, datastores: ["local"], networks: ["lab"], tags: ["ssd"] }),
      host("nonet", { cpus: 16, tags: ["ssd"] }),
      host("notag", { cpus: 16, networks: ["lab"], tags: ["hdd"] }),
      host("off", { cpus: 16, networks: ["lab"], tags: ["ssd"], schedulable: false }),
      host("gone", { cpus: 16, networks: ["lab"], tags: ["ssd"], state: "disconnected" }),
    ]);
    expect(p.chosen).toBeNull();
    const why = Object.fromEntries(p.hosts.map((h) => [h.id, h.reasons.join("; ")]));
    expect(why.small).toBe("2.0 GiB free, the VM needs 4.0 GiB");
    expect(why.few).toBe("2 CPUs, the VM needs 8");
    expect(why.nods).toBe('lacks datastore "shared"');
    expect(why.nonet).toBe('lacks network "lab"');
    expect(why.notag).toBe("lacks tag ssd (host_tags)");
    expect(why.off).toBe("unschedulable");
    expect(why.gone).toContain("disconnected");
  });

  it("keeps anti-affinity peers apart and puts affinity peers together", () => {
    const rules: PlacementRuleInput[] = [{ name: "spread", type: "anti-affinity", vms: ["web", "web2"] }, { name: "pair", type: "affinity", vms: ["web", "db"] }];
    const hosts = [host("h1"), host("h2", { allocatedMemoryBytes: 4 * GiB }), host("h3", { allocatedMemoryBytes: 5 * GiB })];
    const apart = place(vm(), hosts, { rules, vmHosts: { web2: "h1" } });
    expect(apart.chosen?.id).toBe("h2");
    expect(apart.hosts.find((h) => h.id === "h1")?.reasons).toEqual(['anti-affinity rule "spread": web2 is here']);
    const together = place(vm(), hosts, { rules, vmHosts: { web2: "h1", db: "h3" } });
    expect(together.chosen?.id).toBe("h3");
    expect(together.reasons[0]).toContain('holds db (affinity rule "pair")');
    // The VM's own place does not count as a peer.
    expect(place(vm(), hosts, { rules, vmHosts: { web: "h1" } }).chosen?.id).toBe("h1");
  });

  it("never chooses an excluded host", () => {
    const p = place(vm(), [host("h1"), host("h2", { allocatedMemoryBytes: 7 * GiB })], { exclude: { h1: "the VM is here now" } });
    expect(p.chosen?.id).toBe("h2");
    expect(p.reasons).toContain("h1: the VM is here now");
  });
});

const arbHost = (id: string) => fc.record({
  id: fc.constant(id), name: fc.constant(id),
  state: fc.constantFrom("connected", "connected", "connected", "disconnected", "dead") as fc.Arbitrary<PlacementHost["state"]>,
  maintenance: fc.boolean(), schedulable: fc.boolean(),
  cpus: fc.integer({ min: 1, max: 16 }), memoryBytes: fc.integer({ min: 1, max: 64 }).map((g) => g * GiB),
  allocatedMemoryBytes: fc.integer({ min: 0, max: 64 }).map((g) => g * GiB / 2),
  runningVms: fc.integer({ min: 0, max: 20 }), load: fc.double({ min: 0, max: 16, noNaN: true }),
  tags: fc.subarray(["ssd", "gpu", "fast"]), datastores: fc.subarray(["local", "shared", "nfs"]), networks: fc.subarray(["lab", "dmz"]),
});
const arbVm = fc.record({
  name: fc.constantFrom("a", "b", "c"), memoryBytes: fc.integer({ min: 1, max: 32 }).map((g) => g * GiB / 2), cpus: fc.integer({ min: 1, max: 16 }),
  datastore: fc.constantFrom(null, "local", "shared", "nfs"), networks: fc.subarray(["lab", "dmz", "default"]), hostTags: fc.subarray(["ssd", "gpu"]),
});
const arbWorld = fc.record({
  vm: arbVm,
  hosts: fc.integer({ min: 0, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbHost(`h${i}`)))),
  vmHosts: fc.record({ a: fc.constantFrom("h0", "h1", "h2"), b: fc.constantFrom("h0", "h1", "h2"), c: fc.constantFrom("h0", "h1", "h2") }),
  rules: fc.array(fc.record({ name: fc.constantFrom("r1", "r2"), type: fc.constantFrom("affinity", "anti-affinity") as fc.Arbitrary<PlacementRuleInput["type"]>, vms: fc.subarray(["a", "b", "c"], { minLength: 2 }) }), { maxLength: 3 }),
});

describe("place (properties)", () => {
  it("chooses a qualifying host, explains every host, and none qualifying has more free memory without an affinity reason", () => {
    fc.assert(fc.property(arbWorld, ({ vm: v, hosts, vmHosts, rules }) => {
      const p = place(v, hosts, { vmHosts, rules });
      expect(p.hosts).toHaveLength(hosts.length);
      expect(p.reasons).toHaveLength(hosts.length);
      for (const verdict of p.hosts) expect(verdict.reasons.length).toBeGreaterThan(0);
      const eligible = p.hosts.filter((h) => h.eligible);
      if (!p.chosen) { expect(eligible).toHaveLength(0); return; }
      const chosen = hosts.find((h) => h.id === p.chosen!.id)!;
      expect(chosen.state).toBe("connected");
      expect(chosen.maintenance || !chosen.schedulable).toBe(false);
      expect(chosen.memoryBytes - chosen.allocatedMemoryBytes).toBeGreaterThanOrEqual(v.memoryBytes);
      expect(chosen.cpus).toBeGreaterThanOrEqual(v.cpus);
      if (v.datastore) expect(chosen.datastores).toContain(v.datastore);
      for (const tag of v.hostTags) expect(chosen.tags).toContain(tag);
      for (const rule of rules) {
        if (rule.type !== "anti-affinity" || !rule.vms.includes(v.name)) continue;
        for (const other of rule.vms) if (other !== v.name) expect(vmHosts[other as "a"]).not.toBe(chosen.id);
      }
      const hasAffinity = rules.some((r) => r.type === "affinity" && r.vms.includes(v.name));
      if (!hasAffinity) for (const other of eligible) expect(other.score).toBeLessThanOrEqual(p.chosen.score);
      expect(p.hosts[0]).toBe(p.chosen);
    }), { numRuns: 500 });
  });

  it("is deterministic whatever the order of the hosts", () => {
    fc.assert(fc.property(arbWorld, fc.integer(), ({ vm: v, hosts, vmHosts, rules }, seed) => {
      const shuffled = [...hosts].sort((a, b) => ((a.id.charCodeAt(1) * 31 + seed) % 7) - ((b.id.charCodeAt(1) * 31 + seed) % 7));
      expect(place(v, shuffled, { vmHosts, rules }).chosen?.id).toBe(place(v, hosts, { vmHosts, rules }).chosen?.id);
    }), { numRuns: 300 });
  });
});
