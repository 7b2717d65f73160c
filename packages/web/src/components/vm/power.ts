// Power actions the state machine allows in each state, as the Host Client offers them, and the one
// way a view runs one: through useAction, so a refusal or a failed task goes to the notifier.
import { useCallback } from "react";
import type { PowerRequest, VmState } from "@vmctl/api-types";
import { client } from "../../api/http";
import { useAction } from "../../state/use-action";

export const ACTIONS: Array<{ action: string; label: string; from: VmState[] }> = [
  { action: "start", label: "Start", from: ["stopped", "crashed", "suspended"] },
  { action: "shutdown", label: "Shut down", from: ["running"] },
  { action: "stop", label: "Stop", from: ["running", "paused", "suspended"] },
  { action: "restart", label: "Restart", from: ["running"] },
  { action: "pause", label: "Pause", from: ["running"] },
  { action: "resume", label: "Resume", from: ["paused", "suspended"] },
  { action: "suspend", label: "Suspend", from: ["running", "paused"] },
];

export const STATE_COLOR: Record<string, "green" | "grey" | "orange" | "red" | "blue" | "purple"> = {
  running: "green", stopped: "grey", paused: "orange", crashed: "red", starting: "blue", stopping: "blue", suspended: "purple",
};

/**
 * Runs a power action on one VM, or on several through the batch endpoint; answers whether vmctld
 * took it. Both answer with a task, which useAction watches, so a power action that fails after
 * being accepted is reported too.
 */
export function usePower(): (names: string[], action: string) => Promise<boolean> {
  const run = useAction();
  return useCallback(async (names: string[], action: string) => {
    const what = `${action} ${names.length === 1 ? names[0] : `${names.length} VMs`}`;
    const task = await run(what, () => (names.length === 1
      ? client.power(names[0]!, { action: action as PowerRequest["action"] })
      : client.batch({ action: action as PowerRequest["action"], names })));
    return task !== undefined;
  }, [run]);
}
