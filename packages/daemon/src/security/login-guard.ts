// Brute force on login is slowed and logged: each attempt for a user from one address is counted
// BEFORE its password is checked (synchronously, so a parallel burst cannot slip past the count),
// and from the 5th the pair is locked out with a back-off that doubles up to 15 minutes. An attempt
// refused while locked counts too, so hammering keeps the lock; a success clears it.
import { VmctlError } from "@vmctl/api-types";
import type { Db } from "../store/database.js";

export const FREE_ATTEMPTS = 5;
const MAX_LOCK_MS = 15 * 60_000;

function lockFor(count: number): number {
  return count >= FREE_ATTEMPTS ? Math.min(1000 * 2 ** Math.min(count - FREE_ATTEMPTS, 20), MAX_LOCK_MS) : 0;
}

export class LoginGuard {
  constructor(private readonly db: Db) {}

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
    this.db.prepare("INSERT INTO login_failures (key, count, locked_until) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET count = excluded.count, locked_until = excluded.locked_until").run(key, count, until);
    if (lockedUntil > now) {
      const seconds = Math.ceil((Date.parse(until!) - now) / 1000);
      throw new VmctlError("login_locked", `too many failed logins for "${user}" from ${source}; try again in ${seconds} s`, { retryAfter: seconds });
    }
    return lockMs;
  }

  succeeded(user: string, source: string): void {
    this.db.prepare("DELETE FROM login_failures WHERE key = ?").run(`${user}|${source}`);
  }
}
