// Typed wrappers, one per QMP command vmctl uses (Incus's habit: the wire names live here only).
import type { QmpClient } from "./qmp-client.js";

export type RunState = "running" | "paused" | "shutdown" | "prelaunch" | "inmigrate" | "postmigrate" | "finish-migrate" | "suspended" | "guest-panicked" | "internal-error" | "io-error" | "watchdog" | "debug" | "restore-vm" | "save-vm" | "colo";

export interface StatusInfo { running: boolean; status: RunState }

export const qmpCommands = {
  queryStatus: (qmp: QmpClient) => qmp.execute<StatusInfo>("query-status"),
  systemPowerdown: (qmp: QmpClient) => qmp.execute<Record<string, never>>("system_powerdown"),
  systemReset: (qmp: QmpClient) => qmp.execute<Record<string, never>>("system_reset"),
  stop: (qmp: QmpClient) => qmp.execute<Record<string, never>>("stop"),
  cont: (qmp: QmpClient) => qmp.execute<Record<string, never>>("cont"),
  quit: (qmp: QmpClient) => qmp.execute<Record<string, never>>("quit"),
  screendump: (qmp: QmpClient, filename: string) => qmp.execute<Record<string, never>>("screendump", { filename, format: "png" }),
};
