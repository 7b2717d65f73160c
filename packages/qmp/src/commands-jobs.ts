// QEMU's background jobs (internal snapshots with memory are one) and the transaction that takes
// a crash-consistent internal snapshot of several disks at once.
import type { QmpClient } from "./qmp-client.js";
import type { Empty } from "./commands.js";

export type JobStatus = "undefined" | "created" | "running" | "paused" | "ready" | "standby" | "waiting" | "pending" | "aborting" | "concluded" | "null";
export type JobType = "commit" | "stream" | "mirror" | "backup" | "create" | "amend" | "snapshot-load" | "snapshot-save" | "snapshot-delete";

/** query-jobs's JobInfo. */
export interface JobInfo { id: string; type: JobType; status: JobStatus; "current-progress": number; "total-progress": number; error?: string }

/** The transaction actions vmctl uses. */
export type TransactionAction = { type: "blockdev-snapshot-internal-sync"; data: { device: string; name: string } };

export const jobCommands = {
  /** Starts a job saving RAM and device state to node `vmstate` and an internal snapshot `tag` on each of `devices`. */
  snapshotSave: (qmp: QmpClient, args: { "job-id": string; tag: string; vmstate: string; devices: string[] }) => qmp.execute<Empty>("snapshot-save", args),
  snapshotDelete: (qmp: QmpClient, args: { "job-id": string; tag: string; devices: string[] }) => qmp.execute<Empty>("snapshot-delete", args),
  queryJobs: (qmp: QmpClient) => qmp.execute<JobInfo[]>("query-jobs"),
  /** Removes a concluded job from query-jobs. */
  jobDismiss: (qmp: QmpClient, id: string) => qmp.execute<Empty>("job-dismiss", { id }),
  /** All actions or none. */
  transaction: (qmp: QmpClient, actions: TransactionAction[]) => qmp.execute<Empty>("transaction", { actions }),
};
