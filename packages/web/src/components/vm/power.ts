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

export { menuPower, primaryPower, type VmPowerItem } from "./power-actions";

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
