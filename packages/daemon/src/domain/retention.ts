// What grows is bounded: the events, audit and tasks tables keep rows for a set age and up to a row
// cap, pruned at start and hourly in small batches, each its own short transaction with a turn of
// the event loop between, so pruning a year of rows never holds up a request for long.
import type { Db } from "../store/database.js";

/** Rows deleted per statement: a few milliseconds of work. */
export const PRUNE_BATCH = 2000;

export interface RetentionLimits { maxAgeMs: number; maxRows: number }

/** A table that prunes itself in batches: each call deletes at most `batch` rows, and says how many. */
export interface Prunable { pruneBatch(limits: RetentionLimits, batch: number): number }

/**
 * One batch on a log table whose rowid `id` grows with `time` (events, audit): first rows older
 * than the age, looked for only among the oldest `batch` rows so the statement stays bounded even
 * with nothing to delete; then, if the table still holds more than the cap, its oldest rows.
 */
export function pruneLogBatch(db: Db, table: "events" | "audit", limits: RetentionLimits, batch: number): number {
  const cutoff = new Date(Date.now() - limits.maxAgeMs).toISOString();
  const aged = db.prepare(`DELETE FROM ${table} WHERE id IN (SELECT id FROM (SELECT id, time FROM ${table} ORDER BY id LIMIT ?) WHERE time < ?)`).run(batch, cutoff).changes;
  if (aged > 0) return aged;
  const range = db.prepare(`SELECT min(id) AS oldest, max(id) AS newest FROM ${table}`).get() as { oldest: number | null; newest: number | null };
  // Ids only ever leave from the old end, so max − min + 1 bounds the count without a full scan;
  // count(*) settles it only when the bound says the cap may be passed.
  if (range.oldest === null || range.newest! - range.oldest + 1 <= limits.maxRows) return 0;
  const { rows } = db.prepare(`SELECT count(*) AS rows FROM ${table}`).get() as { rows: number };
  const excess = rows - limits.maxRows;
  if (excess <= 0) return 0;
  return db.prepare(`DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} ORDER BY id LIMIT ?)`).run(Math.min(excess, batch)).changes;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Prunes every table to its limits, batch by batch; resolves with the rows deleted per table. */
export async function pruneAll(tables: Record<string, { table: Prunable; limits: RetentionLimits }>, batch = PRUNE_BATCH, stopped = () => false): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  for (const [name, { table, limits }] of Object.entries(tables)) {
    deleted[name] = 0;
    while (!stopped()) {
      const n = table.pruneBatch(limits, batch);
      deleted[name] += n;
      if (n === 0) break;
      await yieldToLoop();
    }
  }
  return deleted;
}

/** Runs pruneAll at once and then every `intervalMs`; one run at a time. */
export class RetentionPruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  constructor(
    private readonly tables: () => Record<string, { table: Prunable; limits: RetentionLimits }>,
    private readonly onDone: (deleted: Record<string, number>) => void,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 3600_000,
  ) {}

  start(): void {
    this.run();
    this.timer = setInterval(() => this.run(), this.intervalMs).unref();
  }

  /** One pass now (unless one is under way); resolves when it has ended. */
  run(): Promise<unknown> {
    if (this.stopped) return Promise.resolve();
    this.running ??= pruneAll(this.tables(), PRUNE_BATCH, () => this.stopped).then(this.onDone, this.onError).finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Ends the timer; a pass under way stops before its next batch (the database may be closing). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}
