// Migration, used today to save a VM's state to a file and load it back (suspend/resume); the same
// commands carry a live migration to another host later.
import type { QmpClient } from "./qmp-client.js";
import type { Empty } from "./commands.js";

export type MigrationStatus = "none" | "setup" | "cancelling" | "cancelled" | "active" | "postcopy-active" | "postcopy-paused" | "postcopy-recover" | "completed" | "failed" | "colo" | "pre-switchover" | "device" | "wait-unplug";

/** query-migrate's MigrationInfo (members vmctl reads). */
export interface MigrationInfo {
  status?: MigrationStatus;
  "error-desc"?: string;
  ram?: { transferred: number; remaining: number; total: number };
}

export const migrationCommands = {
  /** Sends the VM's state to `uri` (vmctl uses unix:<socket>). */
  migrate: (qmp: QmpClient, uri: string) => qmp.execute<Empty>("migrate", { uri }),
  /** A QEMU started with -incoming defer listens on `uri` for a state to load. */
  migrateIncoming: (qmp: QmpClient, uri: string) => qmp.execute<Empty>("migrate-incoming", { uri }),
  queryMigrate: (qmp: QmpClient) => qmp.execute<MigrationInfo>("query-migrate"),
};
