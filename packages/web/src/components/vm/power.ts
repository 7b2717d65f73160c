// Power actions the state machine allows in each state, as the Host Client offers them, and the one
// way a view runs one: a failure goes to the notifier, success shows its task at once.
import { useCallback } from "react";
import type { VmState } from "@vmctl/api-types";
import { api } from "../../api/http";
import { useHostData } from "../../state/host-data";
import { useNotify } from "../../state/notify";

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

/** Runs a power action on one VM, or on several through the batch endpoint. */
export function usePower(): (names: string[], action: string) => Promise<boolean> {
  const { refresh } = useHostData();
  const notify = useNotify();
  return useCallback(async (names: string[], action: string) => {
    try {
      if (names.length === 1) await api("POST", `/api/v1/vms/${encodeURIComponent(names[0]!)}/power`, { action });
      else await api("POST", "/api/v1/vms:batch", { action, names });
      return true;
    } catch (error) {
      notify(`Could not ${action} ${names.length === 1 ? names[0] : `${names.length} VMs`}`, (error as Error).message);
      return false;
    } finally {
      refresh();
    }
  }, [refresh, notify]);
}
