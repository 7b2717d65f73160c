import { describe, expect, it } from "vitest";
import type { PlacementAnswer, VmSummary } from "@vmctl/api-types";
import { clusterDatastores, hostOf, initialPick, loadWords, memoryUse, pickerEntries, placementWords, vmCountWords } from "./cluster-words";

const answer: PlacementAnswer = {
  vm: "web01", current: "h1", chosen: "h3",
  hosts: [
    { id: "h1", name: "one", eligible: true, score: 5e9, reasons: ["current host"] },
    { id: "h2", name: "two", eligible: false, score: 0, reasons: ["in maintenance mode"] },
    { id: "h3", name: "three", eligible: true, score: 3e9, reasons: ["3.1 GiB free after", "1 VM running"] },
    { id: "h4", name: "four", eligible: true, score: 1e9, reasons: ["1 GiB free after"] },
  ],
};

describe("cluster words", () => {
  it("tells each host's verdict, the recommended first and preselected", () => {
    const entries = pickerEntries(answer);
    expect(entries.map((e) => e.name)).toEqual(["three", "four", "two", "one"]);
    expect(entries[0]!.words).toBe("3.1 GiB free after, 1 VM running — recommended");
    expect(entries.find((e) => e.id === "h1")).toMatchObject({ eligible: false, current: true, words: "runs here now" });
    expect(entries.find((e) => e.id === "h2")!.words).toBe("in maintenance mode");
    expect(initialPick(entries)).toBe("h3");
    expect(initialPick(pickerEntries({ ...answer, chosen: null }))).toBe("h3");
    expect(placementWords({ id: "h9", name: "x", eligible: false, score: 0, reasons: [] }, answer)).toBe("not eligible");
  });

  it("says memory, load and VM counts", () => {
    expect(memoryUse({ memoryBytes: 4 * 2 ** 30, freeMemoryBytes: 3 * 2 ** 30 })).toMatchObject({ used: 2 ** 30, percent: 25 });
    expect(loadWords({ load: 0.5, cpus: 4, state: "connected" })).toBe("0.50 (13 %)");
    expect(loadWords({ load: 0, cpus: 4, state: "dead" })).toBe("-");
    expect(vmCountWords({ vms: 3, runningVms: 2 })).toBe("2 running of 3");
    expect(vmCountWords({ vms: 0, runningVms: 0 })).toBe("none");
  });

  it("offers the datastores of the connected hosts, with the most free space of any", () => {
    const ds = (name: string, freeBytes: number, shared = false) => ({ name, freeBytes, shared });
    const found = clusterDatastores([
      { state: "connected", datastores: [ds("shared", 5, true), ds("local", 1)] },
      { state: "connected", datastores: [ds("shared", 5, true), ds("local", 7), ds("fast", 2)] },
      { state: "dead", datastores: [ds("gone", 9)] },
    ]);
    expect(found.map((d) => [d.name, d.freeBytes, d.origin, d.shared])).toEqual([["local", 7, "default", false], ["fast", 2, "config", false], ["shared", 5, "config", true]]);
  });

  it("reads a VM's host only where vmcenter gave one", () => {
    const vm = { name: "a" } as VmSummary;
    expect(hostOf(vm)).toBeUndefined();
    expect(hostOf({ ...vm, host: "h1", hostName: "one" } as VmSummary)).toEqual({ id: "h1", name: "one" });
    expect(hostOf({ ...vm, host: "h1" } as VmSummary)).toEqual({ id: "h1", name: "h1" });
  });
});
