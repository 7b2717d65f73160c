// VM states and the one table that says which action each state allows (Firecracker's habit:
// a closed set of actions, checked in one place).

export const VM_STATES = [
  "stopped", "starting", "running", "paused", "stopping", "crashed", "suspended",
  "snapshotting", "migrating", "cloning",
] as const;
export type VmState = (typeof VM_STATES)[number];

export const POWER_ACTIONS = ["start", "stop", "shutdown", "restart", "reset", "pause", "resume", "suspend"] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

export type VmAction = PowerAction | "edit" | "edit-hardware" | "destroy";

const ALLOWED: Record<VmAction, readonly VmState[]> = {
  // A suspended VM starts by resuming from its saved state; stopping it discards that state.
  start: ["stopped", "crashed", "suspended"],
  stop: ["running", "paused", "stopping", "starting", "suspended"],
  shutdown: ["running"],
  restart: ["running"],
  reset: ["running", "paused"],
  pause: ["running"],
  resume: ["paused", "suspended"],
  suspend: ["running", "paused"],
  // Policy and description may change at any time; hardware only while QEMU is not running.
  edit: VM_STATES,
  "edit-hardware": ["stopped", "crashed"],
  destroy: ["stopped", "crashed"],
};

export function allowedStates(action: VmAction): readonly VmState[] {
  return ALLOWED[action];
}

export function isActionAllowed(action: VmAction, state: VmState): boolean {
  return ALLOWED[action].includes(state);
}

/** States in which a QEMU process exists for the VM. */
export function hasProcess(state: VmState): boolean {
  return state === "starting" || state === "running" || state === "paused" || state === "stopping" || state === "snapshotting" || state === "migrating";
}

/** Why a VM's QEMU ended, from QMP events (or their absence). */
export const EXIT_REASONS = ["guest-shutdown", "host-stop", "guest-panic", "crash", "killed"] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];
