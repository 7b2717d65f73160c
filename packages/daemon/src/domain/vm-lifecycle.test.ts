import { describe, it, expect } from "vitest";
import {
  VmctlError, VM_ACTIONS, VM_EVENTS, VM_STATES, POWER_ACTIONS, actionRule, allowedStates, eventMoves, isActionAllowed, isMoveAllowed,
  type VmAction, type VmState,
} from "@vmctl/api-types";
import { openDatabase, type Db } from "../store/database.js";
import { EventLog } from "./event-log.js";
import { RuntimeTable } from "./vm-runtime.js";
import { IllegalTransitionError, VmLifecycle } from "./vm-lifecycle.js";
import { PowerController, type PowerDeps } from "./vm-power.js";

/** A host's lifecycle on a real store; every VM name has a uuid of its own. */
function host() {
  const db = openDatabase(":memory:");
  const events = new EventLog(db);
  const errors: unknown[] = [];
  const log = { error: (...args: unknown[]) => errors.push(args) } as unknown as ConstructorParameters<typeof VmLifecycle>[2];
  const runtimes = new RuntimeTable(db, { identity: (name) => `uuid-of-${name}`, has: () => true, assignUuid: () => undefined });
  const lifecycle = new VmLifecycle(runtimes, events, log);
  return { db, events, runtimes, lifecycle, errors };
}

let made = 0;
/** A VM in `state`, as vmctld finds it in its store (the row is read when the runtime is first asked for). */
function vmIn(db: Db, base: string, state: VmState): string {
  const name = `${base}-${++made}`;
  db.prepare("INSERT INTO vm_runtime (uuid, name, state, last_change) VALUES (?, ?, ?, ?)").run(`uuid-of-${name}`, name, state, new Date().toISOString());
  return name;
}

function refusalOf(fn: () => unknown): VmctlError | undefined {
  try { fn(); } catch (error) { if (error instanceof VmctlError) return error; throw error; }
  return undefined;
}

function expectWrongState(error: unknown, action: VmAction, name: string, state: VmState): void {
  expect(error).toBeInstanceOf(VmctlError);
  const refusal = error as VmctlError;
  expect(refusal.code).toBe("vm_wrong_state");
  expect(refusal.message).toContain(`cannot ${action} VM "${name}": it is ${state}; ${action} needs it ${allowedStates(action).join(" or ")}`);
  expect(refusal.details).toMatchObject({ action, state, allowed: [...allowedStates(action)] });
}

describe("refusals generated from the table, every action × every state", () => {
  const { db, lifecycle } = host();
  for (const action of VM_ACTIONS) {
    for (const state of VM_STATES) {
      const allowed = isActionAllowed(action, state);
      it(`${action} in ${state}: ${allowed ? "accepted" : "refused with vm_wrong_state"}`, async () => {
        const name = vmIn(db, "vm", state);
        // At once (the 409 before any task) ...
        const early = refusalOf(() => lifecycle.assertAllowed(name, action));
        // ... and again in the VM's exclusive section, before the work begins.
        let ran = false;
        const inSection = await lifecycle.run(name, action, async () => { ran = true; }).then(() => undefined, (error: unknown) => error);
        if (allowed) {
          expect(early).toBeUndefined();
          expect(inSection).toBeUndefined();
          expect(ran).toBe(true);
        } else {
          expectWrongState(early, action, name, state);
          expectWrongState(inSection, action, name, state);
          expect(ran).toBe(false);
        }
      });
    }
  }

  // The power entry point (POST /power) refuses before it makes a task, with the same error.
  for (const action of POWER_ACTIONS) {
    it(`POST /power ${action} is refused before any task in every state the table refuses`, () => {
      const { db, runtimes, lifecycle, events } = host();
      for (const state of VM_STATES) {
        const name = vmIn(db, `vm-${state}`, state);
        const made: string[] = [];
        const tasks = { run: (op: string) => { made.push(op); return { id: "task" }; } } as unknown as PowerDeps["tasks"];
        const inventory = { get: () => ({ def: { template: false } }) } as unknown as PowerDeps["inventory"];
        const power = new PowerController({ runtimes, lifecycle, inventory, tasks, events } as unknown as PowerDeps);
        const refusal = refusalOf(() => power.request(name, { action }, "tester"));
        if (isActionAllowed(action, state)) {
          expect(refusal).toBeUndefined();
          expect(made).toEqual([`vm.${action}`]);
        } else {
          expectWrongState(refusal, action, name, state);
          expect(made).toEqual([]);
        }
      }
    });
  }

  it("says what to do where there is something to do", () => {
    const { db, lifecycle } = host();
    const running = vmIn(db, "a", "running");
    expect(refusalOf(() => lifecycle.assertAllowed(running, "destroy"))?.message).toContain(`; stop it first (\`vmctl stop ${running}\`)`);
    expect(refusalOf(() => lifecycle.assertAllowed(vmIn(db, "b", "cloning"), "start"))?.message).toContain("; a clone is reading its disks");
  });
});

/** Every path an action's moves make from a state it accepts (each state at most once on a path). */
function paths(action: VmAction): VmState[][] {
  const { from, moves } = actionRule(action);
  const found: VmState[][] = [];
  const walk = (path: VmState[]) => {
    found.push(path);
    const at = path[path.length - 1]!;
    for (const move of moves) if (move.from.includes(at) && !path.includes(move.to)) walk([...path, move.to]);
  };
  for (const state of from) walk([state]);
  return found;
}

describe("moves: the lifecycle makes exactly those the table lists", () => {
  for (const action of VM_ACTIONS) {
    it(`${action}: every listed path is taken, each move written as an event`, async () => {
      const { db, lifecycle, events } = host();
      for (const path of paths(action)) {
        const name = vmIn(db, "vm", path[0]!);
        await lifecycle.run(name, action, async () => { for (const to of path.slice(1)) lifecycle.transition(name, to, { reason: `step to ${to}` }); });
        expect(lifecycle.state(name)).toBe(path[path.length - 1]);
        const written = events.list({ vm: name }).filter((e) => e.type === "vm.state").map((e) => [e.data.from, e.data.to]);
        expect(written).toEqual(path.slice(1).map((to, i) => [path[i], to]));
      }
    });

    it(`${action}: any move the table does not list is refused as a programming error, logged, state unchanged`, async () => {
      const { db, lifecycle, errors } = host();
      for (const from of allowedStates(action)) {
        for (const to of VM_STATES) {
          if (isMoveAllowed(action, from, to)) continue;
          const name = vmIn(db, "vm", from);
          const logged = errors.length;
          const outcome = await lifecycle.run(name, action, async () => lifecycle.transition(name, to)).then(() => undefined, (error: unknown) => error);
          expect(outcome).toBeInstanceOf(IllegalTransitionError);
          expect(lifecycle.state(name)).toBe(from);
          expect(errors).toHaveLength(logged + 1);
        }
      }
    });
  }

  it("QEMU's events and the restart's reconcile move only as listed", () => {
    const { db, lifecycle } = host();
    for (const event of VM_EVENTS) {
      for (const from of VM_STATES) {
        for (const to of VM_STATES) {
          const name = vmIn(db, "vm", from);
          const listed = from === to || eventMoves(event).some((m) => m.to === to && m.from.includes(from));
          if (listed) expect(() => lifecycle.observe(name, event, to)).not.toThrow();
          else expect(() => lifecycle.observe(name, event, to)).toThrow(IllegalTransitionError);
          expect(lifecycle.state(name)).toBe(listed ? to : from);
        }
      }
    }
  });

  it("refuses a move made outside any action", () => {
    const { db, lifecycle } = host();
    const name = vmIn(db, "vm", "running");
    expect(() => lifecycle.transition(name, "paused")).toThrow(`no action holds VM "${name}"`);
    expect(lifecycle.state(name)).toBe("running");
  });

  it("never enters migrating: no action or event lists a move into it", () => {
    for (const action of VM_ACTIONS) for (const from of VM_STATES) expect(isMoveAllowed(action, from, "migrating") && from !== "migrating").toBe(false);
    for (const event of VM_EVENTS) for (const from of VM_STATES) expect(isMoveAllowed(event, from, "migrating") && from !== "migrating").toBe(false);
  });
});

describe("the exclusive section", () => {
  it("runs one operation at a time per VM, in order, and others VMs meanwhile", async () => {
    const { lifecycle } = host();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const first = lifecycle.run("a", "edit", async () => { order.push("a1 begins"); await gate; order.push("a1 ends"); });
    const second = lifecycle.run("a", "edit", async () => { order.push("a2"); });
    await lifecycle.run("b", "edit", async () => { order.push("b"); });
    expect(order).toEqual(["a1 begins", "b"]);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["a1 begins", "b", "a1 ends", "a2"]);
  });

  it("holds a VM cloning while clones read it, several at once, and gives its state back after the last", async () => {
    const { db, lifecycle } = host();
    const name = vmIn(db, "src", "crashed");
    const one = await lifecycle.hold(name, "clone");
    const two = await lifecycle.hold(name, "clone");
    expect(lifecycle.state(name)).toBe("cloning");
    expectWrongState(refusalOf(() => lifecycle.assertAllowed(name, "start")), "start", name, "cloning");
    await expect(lifecycle.hold(name, "export")).rejects.toThrow(`cannot export VM "${name}": it is cloning`);
    one();
    one(); // a release counts once
    expect(lifecycle.state(name)).toBe("cloning");
    two();
    expect(lifecycle.state(name)).toBe("crashed");
  });

  it("holds a VM exporting while its disks are converted", async () => {
    const { db, lifecycle } = host();
    const name = vmIn(db, "src", "stopped");
    const release = await lifecycle.hold(name, "export");
    expect(lifecycle.state(name)).toBe("exporting");
    await expect(lifecycle.hold(name, "clone")).rejects.toThrow(`cannot clone VM "${name}": it is exporting`);
    release();
    expect(lifecycle.state(name)).toBe("stopped");
  });
});
