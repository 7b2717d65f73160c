// VM states and the one table that says which action each state allows (Firecracker's habit:
// a closed set of actions, checked in one place).

export const VM_STATES = [
  "stopped", "starting", "running", "paused", "stopping", "crashed", "suspended",
  "snapshotting", "migrating", "cloning",
] as const;
export type VmState = (typeof VM_STATES)[number];

export const POWER_ACTIONS = ["start", "stop", "shutdown", "restart", "reset", "pause", "resume", "suspend"] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

export type VmAction = PowerAction | "edit" | "edit-hardware" | "destroy" | "snapshot" | "revert" | "clone" | "template" | "storage";

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
  // Snapshots: with memory while QEMU runs, of the disks alone otherwise.
  snapshot: ["running", "paused", "stopped", "crashed"],
  // A revert to a snapshot without memory powers the VM off first, as ESXi does.
  revert: ["running", "paused", "stopped", "crashed", "suspended"],
  clone: ["stopped", "crashed"],
  template: ["stopped", "crashed"],
  // Disks and CD-ROM media: hot-plugged while running, written to the definition otherwise.
  storage: ["running", "paused", "stopped", "crashed"],
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
