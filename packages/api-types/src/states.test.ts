import { describe, it, expect } from "vitest";
import { isActionAllowed, VM_STATES, POWER_ACTIONS } from "./states.js";

describe("state machine", () => {
  it("allows starting only what is not running, and stopping only what is", () => {
    expect(VM_STATES.filter((s) => isActionAllowed("start", s))).toEqual(["stopped", "crashed", "suspended"]);
    expect(VM_STATES.filter((s) => isActionAllowed("pause", s))).toEqual(["running"]);
    expect(VM_STATES.filter((s) => isActionAllowed("resume", s))).toEqual(["paused", "suspended"]);
    expect(VM_STATES.filter((s) => isActionAllowed("suspend", s))).toEqual(["running", "paused"]);
    expect(VM_STATES.filter((s) => isActionAllowed("destroy", s))).toEqual(["stopped", "crashed"]);
    expect(VM_STATES.filter((s) => isActionAllowed("edit-hardware", s))).toEqual(["stopped", "crashed"]);
  });
  it("has no power action that a state-held task state (snapshotting, cloning) allows", () => {
    for (const action of POWER_ACTIONS) {
      expect(isActionAllowed(action, "snapshotting")).toBe(false);
      expect(isActionAllowed(action, "cloning")).toBe(false);
    }
  });
});
