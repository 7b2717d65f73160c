// Power actions the state machine allows in each state, as the Host Client offers them.
import type { VmState } from "@vmctl/api-types";
import { api } from "../../api/http";

export const ACTIONS: Array<{ action: string; label: string; from: VmState[] }> = [
  { action: "start", label: "Start", from: ["stopped", "crashed", "suspended"] },
  { action: "shutdown", label: "Shut down", from: ["running"] },
  { action: "stop", label: "Stop", from: ["running", "paused", "suspended"] },
  { action: "restart", label: "Restart", from: ["running"] },
  { action: "pause", label: "Pause", from: ["running"] },
  { action: "resume", label: "Resume", from: ["paused", "suspended"] },
  { action: "suspend", label: "Suspend", from: ["running", "paused"] },
];

export async function power(name: string, action: string): Promise<void> {
  await api("POST", `/api/v1/vms/${encodeURIComponent(name)}/power`, { action });
}

export const STATE_COLOR: Record<string, "green" | "grey" | "orange" | "red" | "blue" | "purple"> = {
  running: "green", stopped: "grey", paused: "orange", crashed: "red", starting: "blue", stopping: "blue", suspended: "purple",
};
