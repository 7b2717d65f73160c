// The audit log: every change (who, from where, what, on what, with which result, when), in SQLite.
import type { AuditEntry, AuditQuery } from "@vmctl/api-types";
import type { Db } from "../store/database.js";
import { pruneLogBatch, type Prunable, type RetentionLimits } from "../domain/retention.js";

export type { AuditEntry };

export class AuditLog implements Prunable {
  constructor(private readonly db: Db) {}

  record(entry: Omit<AuditEntry, "id" | "time">): void {
    this.db.prepare("INSERT INTO audit (time, user, source, action, target, result, status) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(new Date().toISOString(), entry.user, entry.source, entry.action, entry.target, entry.result, entry.status);
  }

  list(query: AuditQuery = {}): AuditEntry[] {
    const where: string[] = [];
    const params: Array<string | number> = [];
    if (query.user) { where.push("user = ?"); params.push(query.user); }
    if (query.target) { where.push("target = ?"); params.push(query.target); }
    if (query.since !== undefined) { where.push("id > ?"); params.push(query.since); }
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${Math.min(query.limit ?? 200, 10_000)}`;
    return this.db.prepare(sql).all(...params) as AuditEntry[];
  }

  /** Retention (audit_retention_days, audit_max_rows) deletes the oldest entries first. */
  pruneBatch(limits: RetentionLimits, batch: number): number {
    return pruneLogBatch(this.db, "audit", limits, batch);
  }
}
