// Brute force on login is slowed and logged: each attempt for a user from one address is counted
// BEFORE its password is checked (synchronously, so a parallel burst cannot slip past the count),
// and from the 5th the pair is locked out with a back-off that doubles up to 15 minutes. An attempt
// refused while locked counts too, so hammering keeps the lock; a success clears it.
// One address also has bounds of its own, whatever names it tries, so that a spray of names cannot
// take the bounded scrypt queue (passwords.ts) from everyone else: at most 4 checks of one address
// run or queue there at once (the rest wait in the address's own line), and at most 50 failed logins
// in 10 minutes from it, whatever the names, before the address is locked out (an IPv6 client
// counts by its /64).
import { isIPv6 } from "node:net";
import { VmctlError } from "@vmctl/api-types";
import type { Db } from "../store/database.js";
import type { Prunable } from "../domain/retention.js";

export const FREE_ATTEMPTS = 5;
const MAX_LOCK_MS = 15 * 60_000;
/** Password checks of one address running or queued for scrypt at once; its others wait in its own line. */
export const MAX_CHECKS_PER_SOURCE = 4;
/** Failed logins one address may make, across all names, within SOURCE_WINDOW_MS. */
export const MAX_SOURCE_FAILURES = 50;
export const SOURCE_WINDOW_MS = 10 * 60_000;
/** A pair quiet this long and not locked is forgotten: by then the longest lock has run out four times. */
export const STALE_AFTER_MS = 60 * 60_000;

function lockFor(count: number): number {
  return count >= FREE_ATTEMPTS ? Math.min(1000 * 2 ** Math.min(count - FREE_ATTEMPTS, 20), MAX_LOCK_MS) : 0;
}

/**
 * The address the per-address bounds count by: an IPv4 address (also written IPv4-mapped, as a
 * dual-stack listener sees it), or an IPv6 address's /64, the least a single site is handed, so
 * that walking through one's own prefix does not buy fresh bounds.
 */
export function sourceGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv6(address)) return `${expandIPv6(address).slice(0, 4).join(":")}::/64`;
  return address;
}

function expandIPv6(address: string): string[] {
  const [head, tail] = address.split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.map((g) => (g.includes(".") ? g : g.toLowerCase().replace(/^0+(?=.)/, "")));
}

interface SourceLine { running: number; waiting: Array<() => void> }

export class LoginGuard {
  /** Checks running and waiting per address; an address leaves the map when its last one ends. */
  private readonly lines = new Map<string, SourceLine>();

  constructor(private readonly db: Db) {}

  /**
   * One login (or current-password) check for `user` from `address`, within every bound: refused with
   * login_locked while the address has failed too often or the pair is locked out; otherwise counted
   * (both), then `verify` runs once the address has one of its MAX_CHECKS_PER_SOURCE slots, and a
   * success clears the pair's count. Resolves with what verify found (null: wrong) and the lock-out
   * in ms this attempt started.
   */
  async check<T>(user: string, address: string, verify: () => Promise<T | null>): Promise<{ result: T | null; lockMs: number }> {
    const source = sourceGroup(address);
    const window = this.sourceWindow(source);
    const lockMs = this.attempt(user, address);
    // Only attempts that go on to a check count against the address: a refused one costs nothing.
    this.db.prepare(`INSERT INTO login_sources (source, window_start, failures) VALUES (?, ?, ?)
      ON CONFLICT(source) DO UPDATE SET window_start = excluded.window_start, failures = excluded.failures`).run(source, new Date(window.start).toISOString(), window.failures + 1);
    await this.enter(source);
    let result: T | null;
    try {
      result = await verify();
    } finally {
      this.leave(source);
    }
    if (result !== null) this.succeeded(user, address);
    return { result, lockMs };
  }

  /**
   * Counts one attempt for the pair and lets it go on to the password check, or throws login_locked
   * while the pair is locked out. Returns the lock-out in ms this attempt started (0 while attempts remain).
   */
  attempt(user: string, source: string): number {
    const key = `${user}|${source}`;
    const row = this.db.prepare("SELECT count, locked_until FROM login_failures WHERE key = ?").get(key) as { count: number; locked_until: string | null } | undefined;
    const count = (row?.count ?? 0) + 1;
    const now = Date.now();
    const lockedUntil = row?.locked_until ? Date.parse(row.locked_until) : 0;
    const lockMs = lockFor(count);
    const until = lockMs ? new Date(Math.max(now + lockMs, lockedUntil)).toISOString() : null;
    this.db.prepare(`INSERT INTO login_failures (key, count, locked_until, last_at) VALUES (?, ?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET count = excluded.count, locked_until = excluded.locked_until, last_at = excluded.last_at`).run(key, count, until, new Date(now).toISOString());
    if (lockedUntil > now) {
      const seconds = Math.ceil((Date.parse(until!) - now) / 1000);
      throw new VmctlError("login_locked", `too many failed logins for "${user}" from ${source}; try again in ${seconds} s`, { retryAfter: seconds });
    }
    return lockMs;
  }

  succeeded(user: string, source: string): void {
    this.db.prepare("DELETE FROM login_failures WHERE key = ?").run(`${user}|${source}`);
    // The attempt was counted against the address as a failure before its check: it was not one.
    this.db.prepare("UPDATE login_sources SET failures = max(failures - 1, 0) WHERE source = ?").run(sourceGroup(source));
  }

  /** The address's current window of failures, or login_locked when it is full. */
  private sourceWindow(source: string): { start: number; failures: number } {
    const now = Date.now();
    const row = this.db.prepare("SELECT window_start, failures FROM login_sources WHERE source = ?").get(source) as { window_start: string; failures: number } | undefined;
    const current = row !== undefined && Date.parse(row.window_start) > now - SOURCE_WINDOW_MS;
    const window = current ? { start: Date.parse(row.window_start), failures: row.failures } : { start: now, failures: 0 };
    if (window.failures >= MAX_SOURCE_FAILURES) {
      const seconds = Math.ceil((window.start + SOURCE_WINDOW_MS - now) / 1000);
      throw new VmctlError("login_locked", `too many failed logins from ${source} (${window.failures} in ${SOURCE_WINDOW_MS / 60_000} minutes, whatever the user name); try again in ${seconds} s`, { retryAfter: seconds });
    }
    return window;
  }

  /** Waits for one of the address's slots: its other checks wait here, not in the shared scrypt queue. */
  private async enter(source: string): Promise<void> {
    const line = this.lines.get(source) ?? { running: 0, waiting: [] };
    this.lines.set(source, line);
    if (line.running < MAX_CHECKS_PER_SOURCE) {
      line.running++;
      return;
    }
    // The window caps how many can wait (MAX_SOURCE_FAILURES, less successes): bounded too.
    await new Promise<void>((resolve) => line.waiting.push(resolve));
  }

  private leave(source: string): void {
    const line = this.lines.get(source)!;
    const next = line.waiting.shift();
    if (next) next();
    else if (--line.running === 0) this.lines.delete(source);
  }
}

/**
 * Retention of the counts (host-retention.ts): any name an unauthenticated client tries adds a row,
 * so a pair quiet for STALE_AFTER_MS and not locked, and an address whose window has ended, are dropped.
 */
export function staleLoginCounts(db: Db): Prunable {
  return {
    pruneBatch: (_limits, batch) => {
      const now = Date.now();
      const stale = new Date(now - STALE_AFTER_MS).toISOString();
      const pairs = db.prepare(`DELETE FROM login_failures WHERE rowid IN (SELECT rowid FROM login_failures
        WHERE (last_at IS NULL OR last_at < ?) AND (locked_until IS NULL OR locked_until < ?) LIMIT ?)`).run(stale, new Date(now).toISOString(), batch).changes;
      const sources = db.prepare("DELETE FROM login_sources WHERE rowid IN (SELECT rowid FROM login_sources WHERE window_start < ? LIMIT ?)")
        .run(new Date(now - SOURCE_WINDOW_MS).toISOString(), batch).changes;
      return pairs + sources;
    },
  };
}
