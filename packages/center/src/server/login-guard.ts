// Brute force on vmcenter's login is slowed: each attempt for a user from one address is counted
// before its password is checked (so a parallel burst gets no extra checks), and from the 5th failure
// the pair is locked out with a back-off doubling up to 15 minutes; one address may fail at most 50
// times in 10 minutes whatever the names. Per replica, in memory: a client that spreads its guesses
// over replicas gets each replica's allowance, no more.
import { VmctlError } from "@vmctl/api-types";

export const FREE_ATTEMPTS = 5;
const MAX_LOCK_MS = 15 * 60_000;
export const MAX_SOURCE_FAILURES = 50;
const SOURCE_WINDOW_MS = 10 * 60_000;

/** How long a pair with `failures` failed attempts stays locked. */
export function lockFor(failures: number): number {
  return failures >= FREE_ATTEMPTS ? Math.min(1000 * 2 ** Math.min(failures - FREE_ATTEMPTS, 20), MAX_LOCK_MS) : 0;
}

interface Pair { failures: number; lockedUntil: number; at: number }

export class LoginGuard {
  private readonly pairs = new Map<string, Pair>();
  private readonly sources = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Runs `verify` for user+address unless locked out; counts a failure (a null result). */
  async check<T>(user: string, address: string, verify: () => Promise<T | null>): Promise<T | null> {
    const now = this.now();
    this.prune(now);
    const key = `${user}\u0000${address}`;
    const pair = this.pairs.get(key) ?? { failures: 0, lockedUntil: 0, at: now };
    const recent = (this.sources.get(address) ?? []).filter((t) => t > now - SOURCE_WINDOW_MS);
    this.sources.set(address, recent);
    if (recent.length >= MAX_SOURCE_FAILURES) {
      const retryAfter = Math.ceil((recent[0]! + SOURCE_WINDOW_MS - now) / 1000);
      throw new VmctlError("login_locked", `too many failed logins from this address; retry in ${retryAfter} s`, { retryAfter });
    }
    if (pair.lockedUntil > now) {
      pair.failures++;
      pair.lockedUntil = Math.max(pair.lockedUntil, now + lockFor(pair.failures));
      this.pairs.set(key, pair);
      const retryAfter = Math.ceil((pair.lockedUntil - now) / 1000);
      throw new VmctlError("login_locked", `too many failed logins for "${user}" from this address; retry in ${retryAfter} s`, { retryAfter });
    }
    // Counted as a failure first; a success clears it.
    pair.failures++;
    pair.at = now;
    this.pairs.set(key, pair);
    const result = await verify();
    if (result === null) {
      pair.lockedUntil = this.now() + lockFor(pair.failures);
      recent.push(this.now());
    } else {
      this.pairs.delete(key);
    }
    return result;
  }

  private prune(now: number): void {
    if (this.pairs.size < 10_000) return;
    for (const [key, pair] of this.pairs) if (pair.lockedUntil < now && pair.at < now - 3600_000) this.pairs.delete(key);
    for (const [address, times] of this.sources) if (!times.some((t) => t > now - SOURCE_WINDOW_MS)) this.sources.delete(address);
  }
}
