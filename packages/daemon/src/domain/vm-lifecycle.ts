// The one place a VM's state changes: every move is checked against the table in @vmctl/api-types
// (states.ts), persisted and written as an event; the wrong-state error every refusal uses; and
// the per-VM exclusive section in which one operation at a time works on a VM.
import type { Logger } from "pino";
import {
  MIGRATION_MOVES, VmctlError, allowedStates, isActionAllowed, isMoveAllowed, type DesiredState, type VmAction, type VmEvent, type VmState, type VmStateChange,
} from "@vmctl/api-types";
import type { EventLog } from "./event-log.js";
import type { Runtime, RuntimeTable } from "./vm-runtime.js";

/** A state change the table does not list: a bug in vmctld, never the user's doing. */
export class IllegalTransitionError extends Error {
  override readonly name = "IllegalTransitionError";
}

/** What to do about a refusal, beyond the states the action needs. */
const HINTS: Partial<Record<VmAction, (name: string) => string>> = {
  destroy: (name) => `stop it first (\`vmctl stop ${name}\`)`,
  "edit-hardware": () => "only [policy], description, notes, cpus, memory, firmware and [boot] can change while it runs (the last four apply at the next start); stop it to change the rest",
  clone: () => "a full clone copies the disks of a stopped VM: stop it, or clone from a snapshot (--snapshot)",
  export: () => "an export reads the disks of a stopped VM: stop it first",
  template: () => "stop it before making it a template",
  snapshot: () => "a snapshot is taken of a running, paused or stopped VM",
};

const HELD: Partial<Record<VmState, string>> = {
  cloning: "a clone is reading its disks: wait for that task to end (GET /api/v1/tasks)",
  exporting: "an export is reading its disks: wait for that task to end (GET /api/v1/tasks)",
};

/** The wrong-state error, in the one format: the action, the state, the states it needs, and what to do. */
export function wrongStateError(action: VmAction, name: string, state: VmState, hint?: string): VmctlError {
  const allowed = allowedStates(action);
  const advice = hint ?? HELD[state] ?? HINTS[action]?.(name);
  return new VmctlError(
    "vm_wrong_state",
    `cannot ${action} VM "${name}": it is ${state}; ${action} needs it ${allowed.join(" or ")}${advice ? `; ${advice}` : ""}`,
    { action, state, allowed: [...allowed] },
  );
}

/** The refusal of PUT /vms/{name}/state, in the same format: where it was asked to go, the state, and what to do. */
export function desiredStateError(desired: DesiredState, name: string, state: VmState, hint: string): VmctlError {
  return new VmctlError("vm_wrong_state", `cannot get VM "${name}" ${desired}: it is ${state}; ${hint}`, { desired, state });
}

/** The states a live migration starts from (MIGRATION_MOVES of states.ts): a QEMU whose guest runs or is paused. */
const MIGRATE_FROM: readonly VmState[] = [...new Set(MIGRATION_MOVES.filter((m) => m.to === "migrating").flatMap((m) => m.from))];

/** The refusal of a live migration, in the wrong-state format. */
export function migrateStateError(name: string, state: VmState): VmctlError {
  const advice = state === "stopped" || state === "crashed"
    ? "a stopped VM moves by a cold migration (its files re-registered or copied), not a live one"
    : HELD[state] ?? "wait for the operation under way to end, then ask again";
  return new VmctlError("vm_wrong_state", `cannot migrate VM "${name}" live: it is ${state}; a live migration needs it ${MIGRATE_FROM.join(" or ")}; ${advice}`, { action: "migrate", state, allowed: [...MIGRATE_FROM] });
}

/** What moves a VM in its section: an action of the table, or a live migration (MIGRATION_MOVES). */
type Cause = VmAction | "migrate";

type HoldAction = "clone" | "export";
const HOLD_STATE: Record<HoldAction, VmState> = { clone: "cloning", export: "exporting" };

export class VmLifecycle {
  /** The action each VM's exclusive section runs now: the moves it may make. */
  private readonly acting = new Map<Runtime, Cause>();
  /** Reads of a VM's disks outside the section (full clones, exports): how many, and the state to go back to. */
  private readonly holds = new Map<Runtime, { action: HoldAction; count: number; back: VmState }>();

  constructor(private readonly runtimes: RuntimeTable, private readonly events: EventLog, private readonly log?: Logger) {}

  state(name: string): VmState {
    return this.runtimes.get(name).state;
  }

  /** Refuses (409 vm_wrong_state) an action the VM's state does not accept; answers the state. */
  assertAllowed(name: string, action: VmAction, hint?: string): VmState {
    const { state } = this.runtimes.get(name);
    if (!isActionAllowed(action, state)) throw wrongStateError(action, name, state, hint);
    return state;
  }

  /**
   * Runs `work` as `action` in the VM's exclusive section, after every earlier operation on it:
   * refused there unless the state then accepts the action. `work` may move the VM as the table
   * lists for the action (transition).
   */
  run<T>(name: string, action: VmAction, work: () => Promise<T>, hint?: string): Promise<T> {
    return this.exclusive(name, () => {
      this.assertAllowed(name, action, hint);
      return this.actingAs(name, action, work);
    });
  }

  /** The same, with the action chosen from the state found in the section; undefined: nothing to do. */
  runChosen<A extends VmAction, T>(name: string, choose: (state: VmState) => A | undefined, work: (action: A | undefined) => Promise<T>): Promise<T> {
    return this.exclusive(name, () => {
      const action = choose(this.state(name));
      if (action === undefined) return work(undefined);
      this.assertAllowed(name, action);
      return this.actingAs(name, action, () => work(action));
    });
  }

  /** The exclusive section alone, for what is no action: re-attaching after a vmctld restart. */
  exclusive<T>(name: string, work: () => Promise<T>): Promise<T> {
    const rt = this.runtimes.get(name);
    const result = rt.lock.then(work, work);
    rt.lock = result.catch(() => undefined);
    return result;
  }

  /** Refuses (409 vm_wrong_state) a live migration of a VM that is not running or paused; answers the state. */
  assertMigratable(name: string): VmState {
    const { state } = this.runtimes.get(name);
    if (!MIGRATE_FROM.includes(state)) throw migrateStateError(name, state);
    return state;
  }

  /**
   * Runs a live migration of the VM in its exclusive section, after every earlier operation on it:
   * refused there unless it is running or paused. `work` may make the moves of MIGRATION_MOVES
   * (into migrating, and back, or to stopped once the target took the VM over).
   */
  migrate<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.exclusive(name, () => {
      this.assertMigratable(name);
      return this.actingAs(name, "migrate", work);
    });
  }

  private async actingAs<T>(name: string, action: Cause, work: () => Promise<T>): Promise<T> {
    const rt = this.runtimes.get(name);
    this.acting.set(rt, action);
    try {
      return await work();
    } finally {
      this.acting.delete(rt);
    }
  }

  /** A move made by the action running in the VM's section; any other is an IllegalTransitionError. */
  transition(name: string, to: VmState, data: VmStateChange = {}): void {
    const rt = this.runtimes.get(name);
    const action = this.acting.get(rt);
    if (action === undefined) throw this.illegal(name, rt.state, to, "no action", `no action holds VM "${name}"`);
    this.move(name, rt, action, to, data);
  }

  /** A move QEMU or vmctld's restart reports (its exit, a pause by QEMU, a re-attach). */
  observe(name: string, event: VmEvent, to: VmState, data: VmStateChange = {}): void {
    this.move(name, this.runtimes.get(name), event, to, data);
  }

  /**
   * Keeps the VM in the action's state (cloning, exporting) while its disks are read outside the
   * section, so nothing starts or changes it meanwhile; several clones may read at once. Entered
   * in the section, after what runs there; answers the release.
   */
  async hold(name: string, action: HoldAction): Promise<() => void> {
    await this.exclusive(name, async () => {
      const rt = this.runtimes.get(name);
      const held = this.holds.get(rt);
      this.assertAllowed(name, action);
      if (held && held.action === action && rt.state === HOLD_STATE[action]) { held.count++; return; }
      this.holds.set(rt, { action, count: 1, back: rt.state });
      this.move(name, rt, action, HOLD_STATE[action], {});
    });
    const rt = this.runtimes.get(name);
    let released = false;
    return () => {
      const held = this.holds.get(rt);
      if (released || !held) return;
      released = true;
      if (--held.count > 0) return;
      this.holds.delete(rt);
      if (rt.state === HOLD_STATE[action]) this.move(name, rt, action, held.back, { reason: `${action} ended` });
    };
  }

  /** A VM just made (created, cloned, imported): its runtime starts stopped, and is stored. */
  created(name: string): void {
    const rt = this.runtimes.get(name);
    if (rt.state !== "stopped") throw this.illegal(name, rt.state, "stopped", "create", `the new VM "${name}" already has a runtime in state ${rt.state}`);
    rt.lastChange = new Date().toISOString();
    this.runtimes.persist(name);
  }

  private move(name: string, rt: Runtime, cause: Cause | VmEvent, to: VmState, data: VmStateChange): void {
    const from = rt.state;
    const allowed = cause === "migrate"
      ? from === to || MIGRATION_MOVES.some((m) => m.to === to && m.from.includes(from))
      : isMoveAllowed(cause, from, to);
    if (!allowed) throw this.illegal(name, from, to, cause);
    rt.state = to;
    rt.lastChange = new Date().toISOString();
    if (to === "stopped" || to === "crashed" || to === "suspended") { rt.pid = undefined; rt.startedAt = undefined; }
    this.runtimes.persist(name);
    if (from !== to) this.events.record("vm.state", name, { from, to, ...data });
  }

  private illegal(name: string, from: VmState, to: VmState, cause: string, why?: string): IllegalTransitionError {
    const message = why ?? `${cause} may not move VM "${name}" from ${from} to ${to}: the lifecycle table (api-types states.ts) does not list it`;
    this.log?.error({ vm: name, from, to, cause }, message);
    return new IllegalTransitionError(message);
  }
}
