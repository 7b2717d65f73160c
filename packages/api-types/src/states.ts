// VM states, the closed set of actions on a VM, and the one table that says which states each
// action accepts and which state changes (from → to) it may make, failure paths included
// (Firecracker's habit: one closed set of actions, checked in one place). The daemon's lifecycle
// module refuses any other change; the Host Client and the CLI read the same table. No runtime
// dependencies: the Host Client imports it through "@vmctl/api-types/states".

export const VM_STATES = [
  "stopped", "starting", "running", "paused", "stopping", "crashed", "suspended",
  "snapshotting", "migrating", "cloning", "exporting",
] as const;
export type VmState = (typeof VM_STATES)[number];

export const POWER_ACTIONS = ["start", "stop", "shutdown", "restart", "reset", "pause", "resume", "suspend"] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

/** Every action a user or a script can ask of one VM. */
export const VM_ACTIONS = [
  ...POWER_ACTIONS,
  "edit", "edit-hardware", "destroy", "snapshot", "snapshot-delete", "revert", "clone", "export", "template", "storage",
] as const;
export type VmAction = (typeof VM_ACTIONS)[number];

/** What moves a VM without an action of its own: QEMU's events, and vmctld finding its VMs after a restart. */
export const VM_EVENTS = ["qemu-exit", "guest-pause", "guest-resume", "reconcile"] as const;
export type VmEvent = (typeof VM_EVENTS)[number];

/** One legal state change, with when it happens (the lifecycle's event carries the reason). */
export interface StateMove { readonly from: readonly VmState[]; readonly to: VmState; readonly when: string }

export interface ActionRule {
  /** The states the action is accepted in: checked when it is asked for, and again in the VM's exclusive section. */
  readonly from: readonly VmState[];
  /** Every change the action itself makes, failures included; QEMU's exit during it is a qemu-exit move. */
  readonly moves: readonly StateMove[];
  readonly note: string;
}

const PROCESS: readonly VmState[] = ["starting", "running", "paused", "stopping", "snapshotting", "migrating"];
const LIVE: readonly VmState[] = ["running", "paused"];
const DOWN: readonly VmState[] = ["stopped", "crashed"];

const startMoves = (from: readonly VmState[]): StateMove[] => [
  { from, to: "starting", when: "QEMU is launched, paused, and its console attached" },
  { from: ["starting"], to: "running", when: "the guest runs" },
  { from: ["starting"], to: "stopped", when: "QEMU could not be launched (or its run dir not taken back)" },
];

const RULES: Record<VmAction, ActionRule> = {
  start: {
    from: ["stopped", "crashed", "suspended"],
    moves: [...startMoves(["stopped", "crashed", "suspended"]), { from: ["starting"], to: "suspended", when: "a suspended VM's QEMU could not be launched: the saved state is kept" }],
    note: "A suspended VM starts by resuming from its saved state. QEMU exiting during the start (a saved state that does not load, a crash) is a qemu-exit move.",
  },
  stop: {
    from: ["running", "paused", "starting", "stopping", "suspended"],
    moves: [
      { from: LIVE, to: "stopping", when: "the guest is asked to power off, then QEMU to quit, then SIGKILL; QEMU's exit ends it stopped" },
      { from: ["suspended"], to: "stopped", when: "the saved state is discarded" },
    ],
    note: "Accepted while starting or stopping: it waits for the operation under way, then stops what it finds (a VM found stopped is done).",
  },
  shutdown: { from: ["running"], moves: [], note: "The guest is asked to power off and never forced: its exit moves it to stopped; one that does not fails the task and keeps running." },
  restart: {
    from: ["running"],
    moves: [{ from: ["running"], to: "stopping", when: "a stop, as stop does" }, ...startMoves(["stopped"])],
    note: "A stop with escalation, then a start.",
  },
  reset: { from: LIVE, moves: [], note: "A hardware reset: the state does not change." },
  pause: { from: ["running"], moves: [{ from: ["running"], to: "paused", when: "QEMU stops the vCPUs" }], note: "" },
  resume: {
    from: ["paused", "suspended"],
    moves: [
      { from: ["paused"], to: "running", when: "QEMU runs the vCPUs again" },
      ...startMoves(["suspended"]).filter((m) => m.to !== "stopped"),
      { from: ["starting"], to: "suspended", when: "QEMU could not be launched: the saved state is kept" },
    ],
    note: "Resuming a suspended VM is a start from its saved state.",
  },
  suspend: { from: LIVE, moves: [], note: "Memory and devices are saved to <vm>.vmstate, then QEMU ends: its exit moves the VM to suspended. A save that fails resumes the guest." },
  // Policy and description may change at any time; hardware only while QEMU is not running.
  edit: { from: VM_STATES, moves: [], note: "[policy], description and notes; cpus, memory, firmware and [boot] too, kept for the next start while QEMU runs (pendingChanges), but not while suspended; other fields need edit-hardware." },
  "edit-hardware": { from: DOWN, moves: [], note: "QEMU was started with the hardware it has: it changes only while no QEMU runs." },
  destroy: { from: DOWN, moves: [], note: "The runtime row goes with the VM; a VM made later under the same name is a new identity." },
  snapshot: {
    from: [...LIVE, ...DOWN],
    moves: [
      { from: LIVE, to: "snapshotting", when: "a live snapshot (with memory unless asked otherwise) is saved" },
      { from: ["snapshotting"], to: "running", when: "the snapshot is taken or failed and the guest runs" },
      { from: ["snapshotting"], to: "paused", when: "the snapshot is taken or failed and the guest was paused" },
    ],
    note: "Of a stopped VM: the disks alone, by qemu-img, without a state change.",
  },
  "snapshot-delete": { from: [...LIVE, ...DOWN, "suspended"], moves: [], note: "Live through QMP while QEMU runs, by qemu-img otherwise." },
  revert: {
    from: [...LIVE, ...DOWN, "suspended"],
    moves: [
      { from: LIVE, to: "stopping", when: "the running QEMU is ended (its exit moves it to stopped)" },
      { from: ["suspended"], to: "stopped", when: "the saved state is discarded" },
      ...startMoves(DOWN),
      { from: ["starting"], to: "paused", when: "the snapshot was taken paused" },
    ],
    note: "A snapshot without memory leaves the VM stopped, as ESXi does; one with memory starts QEMU from it.",
  },
  clone: {
    from: [...DOWN, "cloning"],
    moves: [
      { from: DOWN, to: "cloning", when: "a full clone starts reading the present disks" },
      { from: ["cloning"], to: "stopped", when: "the last clone reading it ended, and it was stopped" },
      { from: ["cloning"], to: "crashed", when: "the last clone reading it ended, and it was crashed" },
    ],
    note: "Several full clones may read a VM at once. A clone of a snapshot or of a template reads what does not change: any state, and no move.",
  },
  export: {
    from: DOWN,
    moves: [
      { from: DOWN, to: "exporting", when: "its disks are converted to VMDK for the OVA" },
      { from: ["exporting"], to: "stopped", when: "the conversion ended, and it was stopped" },
      { from: ["exporting"], to: "crashed", when: "the conversion ended, and it was crashed" },
    ],
    note: "The download that follows reads the converted copies, not the VM's disks.",
  },
  template: { from: DOWN, moves: [], note: "Marking or unmarking a template: a template never starts." },
  // Disks and CD-ROM media: hot-plugged while running, written to the definition otherwise.
  storage: { from: [...LIVE, ...DOWN], moves: [], note: "Hot-plugged while QEMU runs, written to the definition otherwise." },
};

const EVENT_MOVES: Record<VmEvent, readonly StateMove[]> = {
  "qemu-exit": [
    { from: PROCESS, to: "stopped", when: "QEMU ended: the guest powered off, vmctld stopped it, or it was killed" },
    { from: PROCESS.filter((s) => s !== "stopping"), to: "crashed", when: "QEMU crashed or the guest panicked while nothing was stopping it" },
    { from: ["starting", "running", "paused"], to: "suspended", when: "QEMU ended after saving the state, or a saved state failed to load (it is kept)" },
  ],
  "guest-pause": [{ from: ["running"], to: "paused", when: "QEMU paused the guest (an I/O error, a panic action, the monitor)" }],
  "guest-resume": [{ from: ["paused"], to: "running", when: "QEMU runs the guest again" }],
  reconcile: [
    { from: VM_STATES, to: "running", when: "vmctld restarted and re-attached the VM's live QEMU: what QEMU reports wins over the stored row" },
    { from: VM_STATES, to: "paused", when: "the same, with the guest paused" },
    { from: ["cloning", "exporting"], to: "stopped", when: "vmctld restarted during a clone or an export of the VM: that task failed" },
    { from: ["stopping"], to: "stopped", when: "vmctld restarted while it stopped the VM, and its QEMU had ended: the stop happened, no crash" },
    { from: ["starting"], to: "suspended", when: "vmctld restarted during a resume from the saved state, before the guest ran: the state file is kept for the next resume" },
    { from: PROCESS.filter((s) => s !== "stopping"), to: "crashed", when: "vmctld restarted and the VM's QEMU was gone" },
  ],
};

/**
 * `migrating` is reserved for live migration (the cluster's next step); nothing enters it yet, so
 * no action or event lists these moves and the lifecycle refuses them. They say where it will sit.
 */
export const MIGRATION_MOVES: readonly StateMove[] = [
  { from: LIVE, to: "migrating", when: "a live migration to another host begins" },
  { from: ["migrating"], to: "running", when: "the migration failed or was cancelled: the VM stays here" },
  { from: ["migrating"], to: "paused", when: "the same, for a paused guest" },
  { from: ["migrating"], to: "stopped", when: "the target host took the VM over" },
];

export function actionRule(action: VmAction): ActionRule {
  return RULES[action];
}

export function allowedStates(action: VmAction): readonly VmState[] {
  return RULES[action].from;
}

export function isActionAllowed(action: VmAction, state: VmState): boolean {
  return RULES[action].from.includes(state);
}

export function eventMoves(event: VmEvent): readonly StateMove[] {
  return EVENT_MOVES[event];
}

/** Whether an action (or an event) may move a VM from `from` to `to`; staying in a state is no move. */
export function isMoveAllowed(cause: VmAction | VmEvent, from: VmState, to: VmState): boolean {
  if (from === to) return true;
  const moves = (VM_EVENTS as readonly string[]).includes(cause) ? EVENT_MOVES[cause as VmEvent] : RULES[cause as VmAction].moves;
  return moves.some((move) => move.to === to && move.from.includes(from));
}

/** The actions a state accepts (the Host Client's buttons). */
export function actionsAllowedIn(state: VmState): VmAction[] {
  return VM_ACTIONS.filter((action) => isActionAllowed(action, state));
}

/** States in which a QEMU process exists for the VM. */
export function hasProcess(state: VmState): boolean {
  return PROCESS.includes(state);
}

/** Why a VM's QEMU ended, from QMP events (or their absence). */
export const EXIT_REASONS = ["guest-shutdown", "host-stop", "guest-panic", "crash", "killed"] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];

/** Desired state (PUT /vms/{name}/state): what a script wants, whatever the VM is now. */
export const DESIRED_STATES = ["running", "stopped"] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

/**
 * How a VM gets to a desired state from the one it is in: nothing to do; a power action; wait for
 * the operation under way in the VM's exclusive section and decide again; or refused, with what to do.
 */
export type DesiredStep = { readonly kind: "there" } | { readonly kind: "action"; readonly action: PowerAction } | { readonly kind: "wait" } | { readonly kind: "refused"; readonly hint: string };

export function desiredStep(desired: DesiredState, state: VmState): DesiredStep {
  const held = state === "cloning" || state === "exporting";
  if (held) return { kind: "refused", hint: `wait for the ${state === "cloning" ? "clone" : "export"} task reading its disks to end (GET /api/v1/tasks), then ask again` };
  if (state === "migrating") return { kind: "refused", hint: "wait for the migration to end, then ask again" };
  if (desired === "running") {
    switch (state) {
      case "running": return { kind: "there" };
      case "stopped": case "crashed": return { kind: "action", action: "start" };
      case "paused": case "suspended": return { kind: "action", action: "resume" };
      default: return { kind: "wait" }; // starting, stopping, snapshotting
    }
  }
  switch (state) {
    // A crashed VM has no QEMU either: it is as stopped as it gets (its summary says it crashed).
    case "stopped": case "crashed": return { kind: "there" };
    case "snapshotting": return { kind: "wait" };
    default: return { kind: "action", action: "stop" }; // running, paused, starting, stopping; suspended: its saved state is discarded
  }
}
