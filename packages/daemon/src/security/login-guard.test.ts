import { describe, it, expect, vi, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VmctlError } from "@vmctl/api-types";
import { openDatabase } from "../store/database.js";
import { LoginGuard, FREE_ATTEMPTS, MAX_CHECKS_PER_SOURCE, MAX_SOURCE_FAILURES, SOURCE_WINDOW_MS, STALE_AFTER_MS, staleLoginCounts, sourceGroup } from "./login-guard.js";

const MAX_LOCK_FOR_TEST = 15 * 60_000;

function attempts(guard: LoginGuard, n: number, user = "carol", source = "10.0.0.1"): Array<"checked" | string> {
  return Array.from({ length: n }, () => {
    try {
      guard.attempt(user, source);
      return "checked";
    } catch (error) {
      return (error as VmctlError).code;
    }
  });
}

describe("login guard", () => {
  it("counts attempts before their check: a burst gets only the free attempts through", () => {
    const guard = new LoginGuard(openDatabase(":memory:"));
    const results = attempts(guard, 300);
    expect(results.filter((r) => r === "checked").length).toBe(FREE_ATTEMPTS);
    expect(results.slice(FREE_ATTEMPTS).every((r) => r === "login_locked")).toBe(true);
    // Another address, or another user, is not locked by it.
    expect(attempts(guard, 1, "carol", "10.0.0.2")).toEqual(["checked"]);
    expect(attempts(guard, 1, "dave")).toEqual(["checked"]);
  });

  it("a refused attempt lengthens the lock; a success clears it", () => {
    const guard = new LoginGuard(openDatabase(":memory:"));
    attempts(guard, FREE_ATTEMPTS);
    const wait = () => {
      try { guard.attempt("carol", "10.0.0.1"); } catch (error) { return ((error as VmctlError).details as { retryAfter: number }).retryAfter; }
      return 0;
    };
    const first = wait();
    const later = [wait(), wait(), wait()];
    expect(first).toBeGreaterThan(0);
    expect(later[2]).toBeGreaterThan(first);
    guard.succeeded("carol", "10.0.0.1");
    expect(attempts(guard, 1)).toEqual(["checked"]);
  });
});

describe("login guard per address", () => {
  const wrong = () => new Promise<null>((resolve) => setTimeout(() => resolve(null), 5));

  it("runs at most MAX_CHECKS_PER_SOURCE checks of one address at once, whatever the names; the rest wait their turn, another address does not", async () => {
    const guard = new LoginGuard(openDatabase(":memory:"));
    const held: Array<() => void> = [];
    const verify = () => new Promise<null>((resolve) => held.push(() => resolve(null)));
    const spray = Array.from({ length: 20 }, (_, i) => guard.check(`guess-${i}`, "10.0.0.1", verify));
    await new Promise((resolve) => setImmediate(resolve));
    expect(held).toHaveLength(MAX_CHECKS_PER_SOURCE);
    await expect(guard.check("carol", "10.0.0.2", async () => "carol")).resolves.toEqual({ result: "carol", lockMs: 0 });
    for (let done = 0; done < 20; done++) {
      held.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
      expect(held.length).toBeLessThanOrEqual(MAX_CHECKS_PER_SOURCE);
    }
    expect((await Promise.all(spray)).every((r) => r.result === null)).toBe(true);
  });

  it("locks an address out after MAX_SOURCE_FAILURES failures across names, with the wait; a success does not count", async () => {
    const guard = new LoginGuard(openDatabase(":memory:"));
    await guard.check("carol", "10.0.0.1", async () => "carol");
    for (let i = 0; i < MAX_SOURCE_FAILURES; i++) await guard.check(`guess-${i}`, "10.0.0.1", wrong);
    const refused = await guard.check("carol", "10.0.0.1", async () => "carol").catch((error: VmctlError) => error);
    expect(refused).toBeInstanceOf(VmctlError);
    expect((refused as VmctlError).code).toBe("login_locked");
    expect((refused as VmctlError).message).toContain("from 10.0.0.1");
    expect(((refused as VmctlError).details as { retryAfter: number }).retryAfter).toBeGreaterThan(SOURCE_WINDOW_MS / 1000 - 60);
    await expect(guard.check("carol", "10.0.0.2", async () => "carol")).resolves.toEqual({ result: "carol", lockMs: 0 });
  });
});

describe("login sources", () => {
  it("counts IPv4 as it is (also IPv4-mapped) and IPv6 by its /64", () => {
    expect(sourceGroup("10.0.0.1")).toBe("10.0.0.1");
    expect(sourceGroup("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(sourceGroup("2001:db8:1:2::17")).toBe("2001:db8:1:2::/64");
    expect(sourceGroup("2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(sourceGroup("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(sourceGroup("::1")).toBe("0:0:0:0::/64");
    expect(sourceGroup("unix socket")).toBe("unix socket");
  });

  it("walking through the addresses of one IPv6 /64 does not buy a fresh address bound", async () => {
    const guard = new LoginGuard(openDatabase(":memory:"));
    for (let i = 0; i < MAX_SOURCE_FAILURES; i++) await guard.check(`guess-${i}`, `2001:db8:1:2::${(i + 1).toString(16)}`, async () => null);
    await expect(guard.check("carol", "2001:db8:1:2:ffff::1", async () => "carol")).rejects.toMatchObject({ code: "login_locked", message: expect.stringContaining("2001:db8:1:2::/64") });
    await expect(guard.check("carol", "2001:db8:1:3::1", async () => "carol")).resolves.toEqual({ result: "carol", lockMs: 0 });
  });
});

describe("login count retention (real SQLite)", () => {
  afterEach(() => vi.useRealTimers());

  it("keeps no row per sprayed name past pruning, but keeps a lock in force and the address's window while it runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmctl-login-guard-"));
    try {
      const db = openDatabase(join(dir, "vmctld.db"));
      const guard = new LoginGuard(db);
      vi.useFakeTimers({ toFake: ["Date"] });
      for (let i = 0; i < 40; i++) await guard.check(`guess-${i}`, "10.0.0.1", async () => null);
      const hammer = async (n: number) => { for (let i = 0; i < n; i++) await guard.check("rita", "10.0.0.9", async () => null).catch(() => undefined); };
      await hammer(FREE_ATTEMPTS + 12); // locked for 15 minutes from now
      const rows = () => (db.prepare("SELECT count(*) AS n FROM login_failures").get() as { n: number }).n;
      const sources = () => (db.prepare("SELECT source FROM login_sources ORDER BY source").all() as Array<{ source: string }>).map((r) => r.source);
      const prune = () => { while (staleLoginCounts(db).pruneBatch({ maxAgeMs: 0, maxRows: 0 }, 7) > 0); };
      expect(rows()).toBe(41);
      prune();
      expect(rows()).toBe(41); // all fresh: a guesser's count is not reset by an hourly pass
      vi.setSystemTime(Date.now() + STALE_AFTER_MS + 1000);
      await hammer(1); // still hammering: the lock is renewed
      prune();
      expect((db.prepare("SELECT key FROM login_failures").all() as Array<{ key: string }>).map((r) => r.key)).toEqual(["rita|10.0.0.9"]);
      expect(sources()).toEqual(["10.0.0.9"]);
      vi.setSystemTime(Date.now() + STALE_AFTER_MS + MAX_LOCK_FOR_TEST);
      prune();
      expect(rows()).toBe(0);
      expect(sources()).toEqual([]);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
