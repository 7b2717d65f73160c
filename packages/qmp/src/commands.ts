// Typed wrappers, one per QMP command vmctl uses (Incus's habit: the wire names live in this package
// only). Argument and reply shapes follow QEMU 7.2's QMP reference, reduced to the members we send or read.
import type { QmpClient } from "./qmp-client.js";
import { blockCommands } from "./commands-block.js";
import { jobCommands } from "./commands-jobs.js";
import { migrationCommands } from "./commands-migration.js";
import { guestCommands } from "./commands-guest.js";
import { netCommands } from "./commands-net.js";

export type RunState = "running" | "paused" | "shutdown" | "prelaunch" | "inmigrate" | "postmigrate" | "finish-migrate" | "suspended" | "guest-panicked" | "internal-error" | "io-error" | "watchdog" | "debug" | "restore-vm" | "save-vm" | "colo";

/** query-status's StatusInfo. */
export interface StatusInfo { running: boolean; status: RunState }

/** The reply of a command that returns nothing. */
export type Empty = Record<string, never>;

const powerCommands = {
  queryStatus: (qmp: QmpClient) => qmp.execute<StatusInfo>("query-status"),
  /** ACPI power button: the guest decides. */
  systemPowerdown: (qmp: QmpClient) => qmp.execute<Empty>("system_powerdown"),
  systemReset: (qmp: QmpClient) => qmp.execute<Empty>("system_reset"),
  /** Pauses every vCPU. */
  stop: (qmp: QmpClient) => qmp.execute<Empty>("stop"),
  cont: (qmp: QmpClient) => qmp.execute<Empty>("cont"),
  quit: (qmp: QmpClient) => qmp.execute<Empty>("quit"),
};

export const qmpCommands = {
  ...powerCommands,
  ...guestCommands,
  ...blockCommands,
  ...jobCommands,
  ...migrationCommands,
  ...netCommands,
};
export type QmpCommands = typeof qmpCommands;
