// The controller's pure planning: what it reads of a definition, HA's and the drain's choices, the
// compatibility check of a migration and how a stale migration mark resolves.
import { describe, expect, it } from "vitest";
import type { DesiredVm, ObservedVm } from "../cluster-keys.js";
import { documentOf, readVmRequest, sizeBytes } from "./vm-request.js";
import { haPlan } from "./ha-controller.js";
import { drainPlan } from "./maintenance-task.js";
import { incompatibilities } from "./migrate-task.js";
import { resolveStale } from "./migration-sweeper.js";

const desired = (name: string, over: Partial<DesiredVm> = {}): DesiredVm => ({
  uuid: `u-${name}`, name, host: "h1", power: null, ha: true, datastore: "shared", shared: true, memoryBytes: 2 ** 28, cpus: 1, generation: 1, updatedAt: "", reason: "", ...over,
});

describe("readVmRequest", () => {
  it("reads JSON and TOML alike, with the host's defaults", () => {
    const json = readVmRequest(documentOf({ type: "application/json", text: JSON.stringify({ name: "web", memory: "1GiB", cpus: 2, policy: { ha: true, host_tags: ["ssd", "ssd"] }, nics: { n0: { network: "lab" }, n1: {} } }) }), "shared");
    expect(json).toEqual({ name: "web", memoryBytes: 2 ** 30, cpus: 2, datastore: "shared", networks: ["lab"], hostTags: ["ssd"], ha: true, uuid: null });
    const toml = readVmRequest(documentOf({ type: "application/toml", text: 'name = "db"\n[policy]\nha = true\n' }), null);
    expect(toml).toMatchObject({ name: "db", memoryBytes: 512 * 2 ** 20, cpus: 1, datastore: null, ha: true });
  });

  it("refuses what cannot be placed, naming the field", () => {
    const bad = (doc: unknown) => () => readVmRequest(documentOf({ type: "application/json", text: JSON.stringify(doc) }), null);
    expect(bad({ name: "../etc" })).toThrow(/"name"/);
    expect(bad({ name: "a", memory: "lots" })).toThrow(/"memory"/);
    expect(bad({ name: "a", cpus: 0 })).toThrow(/"cpus"/);
    expect(bad({ name: "a", policy: { ha: "yes" } })).toThrow(/policy.ha/);
    expect(bad({ name: "a", policy: { host_tags: "ssd" } })).toThrow(/host_tags/);
    expect(bad({ name: "a", nics: { n: { network: 3 } } })).toThrow(/nics.n.network/);
    expect(bad(["name"])).toThrow(/table/);
    expect(() => documentOf({ type: "application/toml", text: "name = " })).toThrow(/TOML/);
    expect(() => documentOf({ type: "application/json", text: "{" })).toThrow(/JSON/);
  });
});

describe("sizeBytes", () => {
  it("reads sizes as the host does: binary units, decimal with B", () => {
    expect(["512MiB", "2G", "1.5GiB", "10GB", "100B", "4096", "1 TiB", "64k"].map(sizeBytes)).toEqual([512 * 2 ** 20, 2 * 2 ** 30, 1.5 * 2 ** 30, 10e9, 100, 4096, 2 ** 40, 65536]);
    expect(["lots", "1X", "-1G", "", "1e9"].map(sizeBytes)).toEqual([null, null, null, null, null]);
  });
});

describe("haPlan", () => {
  it("restarts running HA VMs on shared storage and says why it leaves the others", () => {
    const plan = haPlan([
      desired("a"), desired("b", { ha: false }), desired("c", { shared: false }), desired("d", { power: "stopped" }),
      desired("e", { power: null }), desired("f", { host: "h2" }), desired("g", { power: "running" }),
    ], "h1", new Map([["u-e", "stopped"], ["u-g", "stopped"]]));
    expect(plan.restart.map((d) => d.name)).toEqual(["a", "g"]);
    expect(plan.left.map((l) => `${l.vm}: ${l.reason}`)).toEqual([
      "b: not HA ([policy] ha is not true)",
      "c: datastore shared is not shared: no other host can reach its disks",
      "d: it was not running (desired stopped)",
      "e: it was not running (last seen stopped)",
    ]);
  });
});

describe("drainPlan", () => {
  it("migrates running VMs live, stopped shared ones cold, and leaves local stopped ones", () => {
    expect(drainPlan([
      { name: "r", state: "running", shared: false }, { name: "s", state: "stopped", shared: true },
      { name: "l", state: "stopped", shared: false }, { name: "p", state: "paused", shared: true },
    ])).toEqual({ live: ["r"], cold: ["s"], left: [{ vm: "l", reason: expect.stringContaining("local datastore") }, { vm: "p", reason: "it is paused: neither running nor stopped" }] });
  });
});

describe("incompatibilities", () => {
  const h = (q: string, c: string, ds: string[] = ["shared"]) => ({ qemuVersion: q, cpuModel: c, datastores: ds.map((name) => ({ name, shared: true, freeBytes: 0 })) });
  it("refuses a live move across QEMU versions or CPU models, and any move without the datastore", () => {
    expect(incompatibilities(h("8.2.2", "qemu64"), h("8.2.2", "qemu64"), "shared", true)).toEqual([]);
    expect(incompatibilities(h("8.2.2", "qemu64"), h("9.0.0", "host"), "shared", true)).toHaveLength(2);
    expect(incompatibilities(h("8.2.2", "qemu64"), h("9.0.0", "host"), "shared", false)).toEqual([]);
    expect(incompatibilities(h("8.2.2", "qemu64"), h("8.2.2", "qemu64", ["local"]), "shared", false)).toEqual(['the target has no datastore "shared"']);
  });
});

describe("resolveStale", () => {
  const observed = (host: string) => ({ host } as ObservedVm);
  it("gives the VM to the target only when the target reports it", () => {
    const marked = desired("a", { migration: { from: "h1", to: "h2", task: "c:1", since: "" } });
    expect(resolveStale(marked, observed("h2"))).toBe("h2");
    expect(resolveStale(marked, observed("h1"))).toBe("h1");
    expect(resolveStale(marked, null)).toBe("h1");
  });
});
