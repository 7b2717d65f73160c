import { describe, it, expect } from "vitest";
import {
  isActionAllowed, isMoveAllowed, actionRule, desiredStep, eventMoves, MIGRATION_MOVES, VM_ACTIONS, VM_EVENTS, VM_STATES, POWER_ACTIONS, DESIRED_STATES,
  type VmState,
} from "./states.js";

describe("state machine", () => {
  it("allows starting only what is not running, and stopping only what is", () => {
    expect(VM_STATES.filter((s) => isActionAllowed("start", s))).toEqual(["stopped", "crashed", "suspended"]);
    expect(VM_STATES.filter((s) => isActionAllowed("stop", s))).toEqual(["starting", "running", "paused", "stopping", "suspended"]);
    expect(VM_STATES.filter((s) => isActionAllowed("pause", s))).toEqual(["running"]);
    expect(VM_STATES.filter((s) => isActionAllowed("resume", s))).toEqual(["paused", "suspended"]);
    expect(VM_STATES.filter((s) => isActionAllowed("suspend", s))).toEqual(["running", "paused"]);
    expect(VM_STATES.filter((s) => isActionAllowed("destroy", s))).toEqual(["stopped", "crashed"]);
    expect(VM_STATES.filter((s) => isActionAllowed("edit-hardware", s))).toEqual(["stopped", "crashed"]);
    expect(VM_STATES.filter((s) => isActionAllowed("export", s))).toEqual(["stopped", "crashed"]);
  });

  it("has no power action that a state-held task state (snapshotting, cloning, exporting) allows", () => {
    for (const action of POWER_ACTIONS) {
      for (const held of ["snapshotting", "cloning", "exporting", "migrating"] as const) expect(isActionAllowed(action, held)).toBe(false);
    }
  });

  it("starts every move of an action from a state the action accepts or one of its own moves reaches", () => {
    for (const action of VM_ACTIONS) {
      const { from, moves } = actionRule(action);
      const reached = new Set<VmState>([...from, ...moves.map((m) => m.to)]);
      // Exits during an action land where the action goes on (a restart's stop ends stopped by QEMU's exit).
      for (const move of eventMoves("qemu-exit")) if (move.from.some((s) => reached.has(s))) reached.add(move.to);
      for (const move of moves) expect(move.from.filter((s) => !reached.has(s)), `${action} → ${move.to}`).toEqual([]);
    }
  });

  it("lets nothing enter migrating: its moves are reserved for live migration", () => {
    for (const from of VM_STATES) {
      if (from === "migrating") continue;
      for (const cause of [...VM_ACTIONS, ...VM_EVENTS]) expect(isMoveAllowed(cause, from, "migrating")).toBe(false);
    }
    expect(MIGRATION_MOVES.some((m) => m.to === "migrating")).toBe(true);
  });

  it("says how PUT /state gets a VM where it is asked, from every state", () => {
    const table = Object.fromEntries(DESIRED_STATES.map((desired) => [desired, Object.fromEntries(VM_STATES.map((s) => {
      const step = desiredStep(desired, s);
      return [s, step.kind === "action" ? step.action : step.kind];
    }))]));
    expect(table).toEqual({
      running: {
        stopped: "start", crashed: "start", suspended: "resume", paused: "resume", running: "there",
        starting: "wait", stopping: "wait", snapshotting: "wait", cloning: "refused", exporting: "refused", migrating: "refused",
      },
      stopped: {
        stopped: "there", crashed: "there", running: "stop", paused: "stop", starting: "stop", stopping: "stop", suspended: "stop",
        snapshotting: "wait", cloning: "refused", exporting: "refused", migrating: "refused",
      },
    });
    // Every action it names is one the state accepts.
    for (const desired of DESIRED_STATES) for (const s of VM_STATES) {
      const step = desiredStep(desired, s);
      if (step.kind === "action") expect(isActionAllowed(step.action, s)).toBe(true);
    }
  });
});
