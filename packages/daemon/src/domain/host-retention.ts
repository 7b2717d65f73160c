// vmctld's retention: events and audit by vmctld.toml's ages and row caps, ended tasks by
// task_retention_hours and a fixed cap, expired login sessions and stale login-failure counts; at
// start and then hourly.
import type { Logger } from "pino";
import type { HostConfig } from "../config/host-config.js";
import type { Db } from "../store/database.js";
import { RetentionPruner, type Prunable } from "./retention.js";
import { staleLoginCounts } from "../security/login-guard.js";

/** Ended tasks kept at most, whatever their age: each holds its log. */
export const TASK_MAX_ROWS = 100_000;

/** Sessions past their expiry are dead already (auth-store refuses them); only their rows remain. */
function expiredSessions(db: Db): Prunable {
  return {
    pruneBatch: (_limits, batch) => db.prepare("DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_at < ? LIMIT ?)").run(new Date().toISOString(), batch).changes,
  };
}

export function startRetention(host: { config: HostConfig; db: Db; events: Prunable; audit: Prunable; tasks: Prunable; log: Logger }): RetentionPruner {
  const { config } = host;
  const pruner = new RetentionPruner(
    () => ({
      events: { table: host.events, limits: config.retention.events },
      audit: { table: host.audit, limits: config.retention.audit },
      tasks: { table: host.tasks, limits: { maxAgeMs: config.taskRetentionMs, maxRows: TASK_MAX_ROWS } },
      sessions: { table: expiredSessions(host.db), limits: { maxAgeMs: 0, maxRows: 0 } },
      loginFailures: { table: staleLoginCounts(host.db), limits: { maxAgeMs: 0, maxRows: 0 } },
    }),
    (deleted) => { if (Object.values(deleted).some((n) => n > 0)) host.log.info({ deleted }, "retention: pruned old rows"); },
    (error) => host.log.error({ err: error }, "retention: pruning failed; it is retried within the hour"),
  );
  pruner.start();
  return pruner;
}
