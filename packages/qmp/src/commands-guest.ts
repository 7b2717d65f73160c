// What vmctl reads from and sends to the guest's hardware: the screen, keys, vCPU threads, the
// balloon's memory statistics (QOM properties) and block I/O counters.
import type { QmpClient } from "./qmp-client.js";
import type { Empty } from "./commands.js";

export type ScreendumpFormat = "ppm" | "png";

/** A key for send-key: a QEMU qcode ("ctrl", "alt", "delete", "a") or a raw scancode number. */
export type KeyValue = { type: "qcode"; data: string } | { type: "number"; data: number };

/** query-cpus-fast's CpuInfoFast (members vmctl reads). */
export interface CpuInfoFast { "cpu-index": number; "qom-path": string; "thread-id": number; target: string }

/** query-blockstats's BlockDeviceStats (members vmctl reads). */
export interface BlockDeviceStats { rd_bytes: number; wr_bytes: number; rd_operations: number; wr_operations: number }
export interface BlockStats { device?: string; qdev?: string; "node-name"?: string; stats: BlockDeviceStats }

/** query-chardev's ChardevInfo (members vmctl reads): frontend-open says the guest has its end open. */
export interface ChardevInfo { label: string; filename?: string; "frontend-open"?: boolean }

/** The virtio balloon's guest-stats QOM property. */
export interface BalloonGuestStats { stats: Record<string, number>; "last-update": number }

export const guestCommands = {
  /** Writes the screen to `filename` (a path QEMU opens); format png needs QEMU 7.1 or later. */
  screendump: (qmp: QmpClient, filename: string, format: ScreendumpFormat = "png") =>
    qmp.execute<Empty>("screendump", { filename, format }),
  /** Presses the keys together and releases them (hold-time in ms, QEMU's default 100). */
  sendKey: (qmp: QmpClient, keys: KeyValue[], holdTimeMs?: number) =>
    qmp.execute<Empty>("send-key", holdTimeMs === undefined ? { keys } : { keys, "hold-time": holdTimeMs }),
  queryCpusFast: (qmp: QmpClient) => qmp.execute<CpuInfoFast[]>("query-cpus-fast"),
  queryChardev: (qmp: QmpClient, timeoutMs?: number) =>
    qmp.execute<ChardevInfo[]>("query-chardev", undefined, timeoutMs === undefined ? {} : { timeoutMs }),
  queryBlockstats: (qmp: QmpClient) => qmp.execute<BlockStats[]>("query-blockstats"),
  /** qom-get: the reply is the property's value, whose type the caller names. */
  qomGet: <T>(qmp: QmpClient, path: string, property: string) => qmp.execute<T>("qom-get", { path, property }),
  qomSet: (qmp: QmpClient, path: string, property: string, value: unknown) => qmp.execute<Empty>("qom-set", { path, property, value }),
};
