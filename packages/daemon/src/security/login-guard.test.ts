import { describe, it, expect } from "vitest";
import { VmctlError } from "@vmctl/api-types";
import { openDatabase } from "../store/database.js";
import { LoginGuard, FREE_ATTEMPTS } from "./login-guard.js";

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
