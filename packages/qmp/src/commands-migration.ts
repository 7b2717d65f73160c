// Migration: saving a VM's state to a file and loading it back (suspend/resume, over a unix socket),
// and live migration to another host's QEMU over TCP (migrate-out on the source, -incoming defer
// and migrate-incoming on the target). Shapes follow QEMU 7.2's QMP reference, reduced to what vmctl reads.
import type { QmpClient } from "./qmp-client.js";
import type { Empty } from "./commands.js";

export type MigrationStatus = "none" | "setup" | "cancelling" | "cancelled" | "active" | "postcopy-active" | "postcopy-paused" | "postcopy-recover" | "completed" | "failed" | "colo" | "pre-switchover" | "device" | "wait-unplug";

/** query-migrate's MigrationStats (RAM), in bytes. */
export interface MigrationRamStats { transferred: number; remaining: number; total: number; mbps?: number; "dirty-sync-count"?: number }

/** A SocketAddress of type inet as QEMU reports it (the port is a string). */
export interface InetSocketAddress { type: "inet"; host: string; port: string }

/** query-migrate's MigrationInfo (members vmctl reads). */
export interface MigrationInfo {
  status?: MigrationStatus;
  "error-desc"?: string;
  ram?: MigrationRamStats;
  /** Milliseconds since the migration started (the whole of it once completed). */
  "total-time"?: number;
  /** Milliseconds the guest was stopped at switch-over (once completed). */
  downtime?: number;
  /** QEMU's estimate while the migration runs. */
  "expected-downtime"?: number;
  "setup-time"?: number;
  /** On the target of a tcp migrate-incoming: the address it listens on, with the real port (port 0 asked). */
  "socket-address"?: Array<InetSocketAddress | { type: string }>;
}

/** The capabilities vmctl sets (migrate-set-capabilities). */
export type MigrationCapability = "events" | "pause-before-switchover" | "auto-converge" | "xbzrle" | "postcopy-ram" | "multifd";

/** migrate-set-parameters: bandwidth in bytes per second, downtime limit in milliseconds. */
export interface MigrationParameters { "max-bandwidth"?: number; "downtime-limit"?: number }

export const migrationCommands = {
  /** Sends the VM's state to `uri` (unix:<socket> for a save, tcp:<host>:<port> to another host). */
  migrate: (qmp: QmpClient, uri: string) => qmp.execute<Empty>("migrate", { uri }),
  /** A QEMU started with -incoming defer listens on `uri` for a state to load. */
  migrateIncoming: (qmp: QmpClient, uri: string) => qmp.execute<Empty>("migrate-incoming", { uri }),
  queryMigrate: (qmp: QmpClient) => qmp.execute<MigrationInfo>("query-migrate"),
  migrateSetCapabilities: (qmp: QmpClient, capabilities: Partial<Record<MigrationCapability, boolean>>) =>
    qmp.execute<Empty>("migrate-set-capabilities", { capabilities: Object.entries(capabilities).map(([capability, state]) => ({ capability, state })) }),
  migrateSetParameters: (qmp: QmpClient, parameters: MigrationParameters) => qmp.execute<Empty>("migrate-set-parameters", { ...parameters }),
  /** Stops an outgoing migration; the source's guest keeps (or goes back to) running. */
  migrateCancel: (qmp: QmpClient) => qmp.execute<Empty>("migrate_cancel"),
};
