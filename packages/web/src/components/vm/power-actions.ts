// The VM page's power actions, as pure data: which one the primary button offers in each state and
// which the menu holds, from vmctld's own state table (api-types states.ts). No React here, so a
// unit test reads it as it is.
import type { PowerAction, VmState } from "@vmctl/api-types";
import { allowedStates } from "@vmctl/api-types/states";

/**
 * A VM page's power: the one action its state suggests (the primary button), and the rest in a
 * menu, each allowed only in the states vmctld accepts it in. "Stop (power off)" is the forced stop
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
