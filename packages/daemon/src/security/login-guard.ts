// Brute force on login is slowed and logged: after 5 failures for a user from one address, that pair
// is locked out with a back-off that doubles up to 15 minutes; a success clears it.
import { VmctlError } from "@vmctl/api-types";
import type { Db } from "../store/database.js";

const FREE_ATTEMPTS = 5;
const MAX_LOCK_MS = 15 * 60_000;

export class LoginGuard {
  constructor(private readonly db: Db) {}

  /** Throws login_locked while the pair is locked out. */
  check(user: string, source: string): void {
    const row = this.db.prepare("SELECT locked_until FROM login_failures WHERE key = ?").get(`${user}|${source}`) as { locked_until: string | null } | undefined;
    if (row?.locked_until && row.locked_until > new Date().toISOString()) {
      const seconds = Math.ceil((Date.parse(row.locked_until) - Date.now()) / 1000);
      throw new VmctlError("login_locked", `too many failed logins for "${user}" from ${source}; try again in ${seconds} s`, { retryAfter: seconds });
    }
  }

  /** Records a failure; returns the lock-out in ms it caused (0 while attempts remain). */
  failed(user: string, source: string): number {
    const key = `${user}|${source}`;
    const row = this.db.prepare("SELECT count FROM login_failures WHERE key = ?").get(key) as { count: number } | undefined;
    const count = (row?.count ?? 0) + 1;
    const lockMs = count >= FREE_ATTEMPTS ? Math.min(1000 * 2 ** (count - FREE_ATTEMPTS), MAX_LOCK_MS) : 0;
    const until = lockMs ? new Date(Date.now() + lockMs).toISOString() : null;
    this.db.prepare("INSERT INTO login_failures (key, count, locked_until) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET count = excluded.count, locked_until = excluded.locked_until").run(key, count, until);
    return lockMs;
  }

  succeeded(user: string, source: string): void {
    this.db.prepare("DELETE FROM login_failures WHERE key = ?").run(`${user}|${source}`);
  }
}
