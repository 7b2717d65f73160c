// A live migration through the lifecycle: accepted only running or paused, it may make the moves
// of MIGRATION_MOVES (states.ts) and no other, one at a time in the VM's exclusive section.
import { describe, it, expect } from "vitest";
import { MIGRATION_MOVES, VM_STATES, VmctlError, type VmState } from "@vmctl/api-types";
import { openDatabase } from "../store/database.js";
import { EventLog } from "./event-log.js";
import { RuntimeTable } from "./vm-runtime.js";
import { IllegalTransitionError, VmLifecycle } from "./vm-lifecycle.js";

function host() {
  const db = openDatabase(":memory:");
  const events = new EventLog(db);
  const runtimes = new RuntimeTable(db, { identity: (name) => `uuid-of-${name}`, has: () => true, assignUuid: () => undefined });
  const lifecycle = new VmLifecycle(runtimes, events, { error: () => {} } as unknown as ConstructorParameters<typeof VmLifecycle>[2]);
  let made = 0;
  const vmIn = (state: VmState) => {
    const name = `vm-${++made}`;
    db.prepare("INSERT INTO vm_runtime (uuid, name, state, last_change) VALUES (?, ?, ?, ?)").run(`uuid-of-${name}`, name, state, new Date().toISOString());
    return name;
  };
  return { events, lifecycle, vmIn };
}

describe("live migration in the lifecycle", () => {
  it("is refused in every state but running and paused, with vm_wrong_state naming them (a stopped VM: cold)", () => {
    const { lifecycle, vmIn } = host();
    for (const state of VM_STATES) {
      const name = vmIn(state);
      if (state === "running" || state === "paused") { expect(lifecycle.assertMigratable(name)).toBe(state); continue; }
      let refusal: unknown;
      try { lifecycle.assertMigratable(name); } catch (error) { refusal = error; }
      expect(refusal, state).toBeInstanceOf(VmctlError);
      expect((refusal as VmctlError).code).toBe("vm_wrong_state");
      expect((refusal as VmctlError).message).toContain("running or paused");
      expect((refusal as VmctlError).details).toMatchObject({ action: "migrate", state });
      if (state === "stopped") expect((refusal as VmctlError).message).toContain("cold");
    }
  });

  it("moves running → migrating → stopped (taken over) or back, recorded as vm.state events, and nothing else", async () => {
    const { lifecycle, vmIn, events } = host();
    const moved = vmIn("running");
    await lifecycle.migrate(moved, async () => {
      lifecycle.transition(moved, "migrating");
      lifecycle.transition(moved, "stopped", { reason: "migrated to host h2" });
    });
    expect(lifecycle.state(moved)).toBe("stopped");
    expect(events.list({ vm: moved, type: "vm.state" }).map((e) => [e.data.from, e.data.to])).toEqual([["running", "migrating"], ["migrating", "stopped"]]);

    const stayed = vmIn("paused");
    await lifecycle.migrate(stayed, async () => {
      lifecycle.transition(stayed, "migrating");
      lifecycle.transition(stayed, "paused");
    });
    expect(lifecycle.state(stayed)).toBe("paused");

    const odd = vmIn("running");
    await expect(lifecycle.migrate(odd, async () => { lifecycle.transition(odd, "suspended"); })).rejects.toBeInstanceOf(IllegalTransitionError);
    expect(MIGRATION_MOVES.some((m) => m.to === "suspended")).toBe(false);
    // Outside the migration the same moves are no action's.
    expect(() => lifecycle.transition(odd, "migrating")).toThrow(IllegalTransitionError);
  });

  it("waits for the operation under way, and refuses once it finds the VM stopped", async () => {
    const { lifecycle, vmIn } = host();
    const name = vmIn("running");
    let release!: () => void;
    const stop = lifecycle.run(name, "stop", () => new Promise<void>((resolve) => { lifecycle.transition(name, "stopping"); release = () => { lifecycle.observe(name, "qemu-exit", "stopped"); resolve(); }; }));
    const migration = lifecycle.migrate(name, async () => "ran");
    await new Promise((resolve) => setImmediate(resolve)); // the stop has entered the section
    release();
    await stop;
    await expect(migration).rejects.toMatchObject({ code: "vm_wrong_state" });
  });
});
