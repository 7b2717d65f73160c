// The API token format and the password hash: what is stored never lets the secret back out.
import { describe, expect, it } from "vitest";
import { hashPassword, makeApiToken, parseApiToken, sha256, verifyPassword } from "./secrets.js";
import { lockFor, LoginGuard } from "./login-guard.js";

describe("API tokens", () => {
  it("are vmcenter_<16 hex id>_<43 base64url>, stored as the secret's SHA-256", () => {
    const made = makeApiToken();
    expect(made.token).toMatch(/^vmcenter_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseApiToken(made.token)!;
    expect(parsed.id).toBe(made.id);
    expect(sha256(parsed.secret)).toBe(made.secretHash);
    expect(made.secretHash).not.toContain(parsed.secret);
  });
  it("refuses anything else: a host token, a JWT, a truncated or padded one", () => {
    const { token } = makeApiToken();
    for (const bad of ["vmctl_abc", "eyJhbGciOi.eyJzdWIi.sig", token.slice(0, -1), `${token}x`, token.replace("vmcenter_", "vmcenter-"), ` ${token}`, `${token.slice(0, 25)}/${token.slice(26)}`]) {
      expect(parseApiToken(bad)).toBeNull();
    }
  });
});

describe("passwords", () => {
  it("verify only the right one, and never a malformed hash", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword("correct horse", hash)).toBe(true);
    expect(await verifyPassword("wrong", hash)).toBe(false);
    expect(await verifyPassword("x", "plain")).toBe(false);
    expect(await verifyPassword("x", "scrypt$99999999$8$1$AA==$AA==")).toBe(false);
  });
});

describe("the login guard", () => {
  it("locks a user+address out after 5 failures, doubling", () => {
    expect([4, 5, 6, 7].map(lockFor)).toEqual([0, 1000, 2000, 4000]);
    expect(lockFor(100)).toBe(15 * 60_000);
  });
  it("counts before checking, refuses while locked, and a success clears the count", async () => {
    let now = 0;
    const guard = new LoginGuard(() => now);
    for (let i = 0; i < 5; i++) expect(await guard.check("admin", "1.2.3.4", async () => null)).toBeNull();
    let checked = 0;
    await expect(guard.check("admin", "1.2.3.4", async () => { checked++; return "ok"; })).rejects.toMatchObject({ code: "login_locked" });
    expect(checked).toBe(0);
    // Another address is not locked by this one's failures.
    expect(await guard.check("admin", "5.6.7.8", async () => "ok")).toBe("ok");
    now += 60 * 60_000;
    expect(await guard.check("admin", "1.2.3.4", async () => "ok")).toBe("ok");
  });
});
