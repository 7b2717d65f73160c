import { describe, it, expect } from "vitest";
import type { VmSummary } from "@vmctl/api-types";
import type { DesiredVm, ObservedVm } from "../cluster-keys.js";
import { ARRIVAL_GRACE_MS, planActions, type HeldVm } from "./reconcile.js";

const ME = "host-me";
const OTHER = "host-other";
const T0 = Date.parse("2026-01-01T00:00:00Z");

function desired(uuid: string, extra: Partial<DesiredVm> = {}): DesiredVm {
  return { uuid, name: `vm-${uuid}`, host: ME, power: null, ha: false, datastore: "shared", shared: true, memoryBytes: 1, cpus: 1, generation: 1, updatedAt: new Date(T0).toISOString(), reason: "t", ...extra };
}

function held(uuid: string, state: VmSummary["state"], extra: Partial<HeldVm> = {}): HeldVm {
  return { name: `vm-${uuid}`, uuid, state, cpus: 1, memoryBytes: 1, datastore: "shared", lastStateChange: "", autostart: false, addresses: [], shared: true, ha: false, ...extra };
}

function observed(uuid: string, host: string, state: VmSummary["state"]): ObservedVm {
  return { uuid, name: `vm-${uuid}`, host, summary: held(uuid, state), updatedAt: "" };
}

const plan = (input: { desired: DesiredVm[]; held?: HeldVm[]; observed?: ObservedVm[]; now?: number; conflictSince?: Map<string, number>; settledUnder?: Map<string, string> }) =>
  planActions({ hostId: ME, desired: input.desired, held: input.held ?? [], observed: input.observed ?? [], now: input.now ?? T0 + 1000, conflictSince: input.conflictSince ?? new Map(), settledUnder: input.settledUnder ?? new Map() });

describe("the agent's plan", () => {
  it("starts and stops what is desired here, and leaves power null to the host", () => {
    expect(plan({ desired: [desired("a", { power: "running" })], held: [held("a", "stopped")] })).toEqual([{ kind: "start", uuid: "a", name: "vm-a" }]);
    expect(plan({ desired: [desired("a", { power: "running" })], held: [held("a", "crashed")] })).toEqual([{ kind: "start", uuid: "a", name: "vm-a" }]);
    expect(plan({ desired: [desired("a", { power: "stopped" })], held: [held("a", "running")] })).toEqual([{ kind: "stop", uuid: "a", name: "vm-a" }]);
    expect(plan({ desired: [desired("a", { power: null })], held: [held("a", "running")] })).toEqual([]);
    expect(plan({ desired: [desired("a", { power: "running" })], held: [held("a", "starting")] })).toEqual([]);
    expect(plan({ desired: [desired("a", { power: "running" })], held: [held("a", "stopped", { definitionError: "bad" })] })).toEqual([]);
  });

  it("keeps a stop or start someone made on the host after the record was met, instead of undoing it", () => {
    const settledUnder = new Map<string, string>();
    const want = desired("a", { power: "running" });
    expect(plan({ desired: [want], held: [held("a", "running")], settledUnder })).toEqual([]);
    expect(settledUnder.get("a")).toBe(want.updatedAt);
    // A user stopped it (through vmcenter or on the host), or its guest shut down: recorded, not restarted.
    expect(plan({ desired: [want], held: [held("a", "stopped", { lastExitReason: "host-stop" })], settledUnder }))
      .toEqual([{ kind: "record", uuid: "a", name: "vm-a", power: "stopped", updatedAt: want.updatedAt, why: "stopped on its host" }]);
    expect(plan({ desired: [want], held: [held("a", "stopped", { lastExitReason: "guest-shutdown" })], settledUnder })).toMatchObject([{ kind: "record", power: "stopped", why: "its guest shut down" }]);
    // A crash or a kill is not anyone's intent: the VM is started again.
    expect(plan({ desired: [want], held: [held("a", "crashed", { lastExitReason: "crash" })], settledUnder })).toEqual([{ kind: "start", uuid: "a", name: "vm-a" }]);
    expect(plan({ desired: [want], held: [held("a", "stopped", { lastExitReason: "killed" })], settledUnder })).toEqual([{ kind: "start", uuid: "a", name: "vm-a" }]);
    // Never seen running under this record (an adoption, an HA restart, a stale exit from long ago): started.
    const fresh = new Map<string, string>();
    expect(plan({ desired: [want], held: [held("a", "stopped", { lastExitReason: "host-stop" })], settledUnder: fresh })).toEqual([{ kind: "start", uuid: "a", name: "vm-a" }]);
    const newer = desired("a", { power: "running", updatedAt: new Date(T0 + 5000).toISOString() });
    expect(plan({ desired: [newer], held: [held("a", "stopped", { lastExitReason: "host-stop" })], settledUnder })).toEqual([{ kind: "start", uuid: "a", name: "vm-a" }]);
    // The same the other way: desired stopped, then started on the host.
    const off = desired("b", { power: "stopped" });
    expect(plan({ desired: [off], held: [held("b", "stopped")], settledUnder })).toEqual([]);
    expect(plan({ desired: [off], held: [held("b", "running")], settledUnder })).toMatchObject([{ kind: "record", uuid: "b", power: "running" }]);
    // A VM that left this host is forgotten.
    plan({ desired: [want, off], held: [], settledUnder });
    expect(settledUnder.size).toBe(0);
  });

  it("adopts a shared VM desired here only once no other host shows it with a process", () => {
    expect(plan({ desired: [desired("a", { power: "running" })] })).toEqual([{ kind: "adopt", uuid: "a", name: "vm-a", datastore: "shared" }]);
    expect(plan({ desired: [desired("a")], observed: [observed("a", OTHER, "running")] })).toEqual([]);
    expect(plan({ desired: [desired("a")], observed: [observed("a", OTHER, "stopped")] })).toHaveLength(1);
    expect(plan({ desired: [desired("a", { shared: false })] })).toEqual([]);
  });

  it("stops and lets go of a VM desired elsewhere, but never touches one vmcenter is migrating", () => {
    expect(plan({ desired: [desired("a", { host: OTHER })], held: [held("a", "running", { startedAt: new Date(T0 - 5000).toISOString() })] }))
      .toEqual([{ kind: "evict", uuid: "a", name: "vm-a", toHost: OTHER, shared: true, running: true }]);
    expect(plan({ desired: [desired("a", { host: OTHER })], held: [held("a", "stopped")] })).toEqual([{ kind: "evict", uuid: "a", name: "vm-a", toHost: OTHER, shared: true, running: false }]);
    expect(plan({ desired: [desired("a", { host: OTHER })], held: [held("a", "stopped", { shared: false })] })).toEqual([]);
    expect(plan({ desired: [desired("a", { host: OTHER })], held: [held("a", "migrating")] })).toEqual([]);
    expect(plan({ desired: [desired("a", { host: OTHER, migration: { from: OTHER, to: ME, task: "t", since: "" } })], held: [held("a", "running")] })).toEqual([]);
    expect(plan({ desired: [desired("a", { power: "running", migration: { from: ME, to: OTHER, task: "t", since: "" } })] })).toEqual([]);
  });

  it("leaves a VM that just arrived here running for the grace period, then lets it go", () => {
    const conflictSince = new Map<string, number>();
    const arrived = held("a", "running", { startedAt: new Date(T0 + 500).toISOString() });
    const want = desired("a", { host: OTHER });
    expect(plan({ desired: [want], held: [arrived], now: T0 + 1000, conflictSince })).toEqual([]);
    expect(plan({ desired: [want], held: [arrived], now: T0 + 1000 + ARRIVAL_GRACE_MS, conflictSince })).toHaveLength(1);
    // The conflict forgotten once resolved.
    plan({ desired: [desired("a")], held: [arrived], conflictSince });
    expect(conflictSince.size).toBe(0);
  });
});
