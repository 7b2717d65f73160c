import { describe, it, expect } from "vitest";
import { VM_STATES } from "@vmctl/api-types/states";
import { menuPower, primaryPower } from "./power-actions";

describe("the VM page's power actions", () => {
  it("suggest one primary action by state: Start when down, Shut down when running, Resume when paused, none while busy", () => {
    expect(Object.fromEntries(VM_STATES.map((s) => [s, primaryPower(s)?.label ?? null]))).toEqual({
      stopped: "Start", crashed: "Start", suspended: "Start", running: "Shut down", paused: "Resume",
      starting: null, stopping: null, snapshotting: null, migrating: null, cloning: null, exporting: null,
    });
  });

  it("list every other action in the menu, allowed only where vmctld's state table accepts it; Stop powers off at once, Reset asks", () => {
    const allowed = (state: (typeof VM_STATES)[number]) => menuPower(state).filter((m) => m.allowed).map((m) => m.label);
    expect(allowed("stopped")).toEqual([]);
    expect(allowed("running")).toEqual(["Restart", "Reset", "Pause", "Suspend", "Stop (power off)"]);
    expect(allowed("paused")).toEqual(["Reset", "Suspend", "Stop (power off)"]);
    expect(allowed("suspended")).toEqual(["Resume", "Stop (power off)"]);
    expect(allowed("starting")).toEqual(["Stop (power off)"]);
    for (const state of VM_STATES) {
      const menu = menuPower(state);
      expect(menu.map((m) => m.label)).not.toContain(primaryPower(state)?.label);
      expect(menu).toHaveLength(primaryPower(state) ? 7 : 8);
    }
    const running = menuPower("running");
    expect(running.find((m) => m.action === "stop")).toMatchObject({ label: "Stop (power off)", force: true });
    expect(running.find((m) => m.action === "reset")).toMatchObject({ confirm: true });
  });
});
