// Power actions the state machine allows in each state, as the Host Client offers them, and the one
// way a view runs one: through useAction, so a refusal or a failed task goes to the notifier.
import { useCallback } from "react";
import type { PowerAction, PowerRequest, VmState } from "@vmctl/api-types";
import { allowedStates } from "@vmctl/api-types/states";
import { client } from "../../api/http";
import { useAction } from "../../state/use-action";

// The states each action accepts come from vmctld's own table (api-types states.ts): a copy here
// had drifted (no Stop for a VM stuck starting or stopping).
export const ACTIONS: Array<{ action: PowerAction; label: string; from: VmState[] }> = ([
  ["start", "Start"], ["shutdown", "Shut down"], ["stop", "Stop"], ["restart", "Restart"], ["pause", "Pause"], ["resume", "Resume"], ["suspend", "Suspend"],
] as const).map(([action, label]) => ({ action, label, from: [...allowedStates(action)] }));

/**
 * A VM page's power: the one action its state suggests (the primary button), and the rest in a
 * menu, each offered only in the states vmctld accepts it in. "Stop (power off)" is the forced stop
 * (the guest is not asked); "Shut down" asks the guest and never forces.
 */
export interface VmPowerItem { action: PowerAction; label: string; description: string; force?: boolean; confirm?: boolean }

const MENU: VmPowerItem[] = [
  { action: "start", label: "Start", description: "Boot the VM (a suspended one resumes where it was)" },
  { action: "shutdown", label: "Shut down", description: "Ask the guest to power off; never forced" },
  { action: "restart", label: "Restart", description: "Shut down (forcing if the guest does not), then start" },
  { action: "reset", label: "Reset", description: "Press the reset button: for a hung guest", confirm: true },
  { action: "pause", label: "Pause", description: "Stop the vCPUs; memory stays" },
  { action: "resume", label: "Resume", description: "Run the vCPUs again" },
  { action: "suspend", label: "Suspend", description: "Save memory to disk and end QEMU" },
  { action: "stop", label: "Stop (power off)", description: "Power off at once, without asking the guest", force: true },
];

const allows = (item: VmPowerItem, state: VmState) => (allowedStates(item.action) as readonly VmState[]).includes(state);

/** The primary button's action for the state: Start when down, Shut down when running, Resume when paused. */
export function primaryPower(state: VmState): VmPowerItem | undefined {
  const action = state === "running" ? "shutdown" : state === "paused" ? "resume" : ["stopped", "crashed", "suspended"].includes(state) ? "start" : undefined;
  return MENU.find((m) => m.action === action);
}

/** The menu's items for the state: every action but the primary one, each saying whether vmctld accepts it now. */
export function menuPower(state: VmState): Array<VmPowerItem & { allowed: boolean }> {
  const primary = primaryPower(state);
  return MENU.filter((m) => m !== primary).map((m) => ({ ...m, allowed: allows(m, state) }));
}

export const STATE_COLOR: Record<string, "green" | "grey" | "orange" | "red" | "blue" | "purple"> = {
  running: "green", stopped: "grey", paused: "orange", crashed: "red", starting: "blue", stopping: "blue", suspended: "purple",
  snapshotting: "blue", cloning: "blue", exporting: "blue", migrating: "blue",
};

/**
 * Runs a power action on one VM, or on several through the batch endpoint; answers whether vmctld
 * took it. Both answer with a task, which useAction watches, so a power action that fails after
 * being accepted is reported too.
 */
export function usePower(): (names: string[], action: string, options?: { force?: boolean }) => Promise<boolean> {
  const run = useAction();
  return useCallback(async (names: string[], action: string, options: { force?: boolean } = {}) => {
    const what = `${action} ${names.length === 1 ? names[0] : `${names.length} VMs`}`;
    const task = await run(what, () => (names.length === 1
      ? client.power(names[0]!, { action: action as PowerRequest["action"], ...(options.force ? { force: true } : {}) })
      : client.batch({ action: action as PowerRequest["action"], names })));
    return task !== undefined;
  }, [run]);
}
