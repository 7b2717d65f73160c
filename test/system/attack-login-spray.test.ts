// A login spray from one address: many parallel logins, each with another unknown user name, so no
// per-user lock-out applies. Each would cost a password check, and vmctld checks at most 34 at once
// (passwords.ts): one address could keep that queue full and everyone else's login would answer 503.
// One address gets 4 places there and 50 failures per 10 minutes; another address logs in as usual.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { TestHost } from "./harness.js";
import { https, type Answer } from "./https-support.js";

let host: TestHost;
let port: number;
const PASSWORD = "olga-password-1";

interface Audit { user: string; action: string; result: string; status: number }

beforeAll(async () => {
  host = await TestHost.start();
  port = host.port;
  await host.client.call("POST", "/api/v1/users", { username: "olga", password: PASSWORD, role: "ReadOnly" });
});
afterAll(async () => { await host?.close(); });

describe("a login spray from one address", () => {
  it("200 parallel logins with distinct unknown names from 127.0.0.1 do not stop a login from 127.0.0.2, and lock only 127.0.0.1 out", async () => {
    let firstAnswer!: () => void;
    const answered = new Promise<void>((resolve) => { firstAnswer = resolve; });
    const spray = Array.from({ length: 200 }, (_, i) => https(port, "POST", "/api/v1/login", { body: { username: `spray-${i}`, password: "guess" }, localAddress: "127.0.0.1" })
      .then((answer) => { firstAnswer(); return answer; }));
    // The spray is being answered, so its logins have reached vmctld: the one from elsewhere arrives while they are checked.
    await answered;
    const legitimate = await https(port, "POST", "/api/v1/login", { body: { username: "olga", password: PASSWORD }, localAddress: "127.0.0.2" });
    expect(legitimate.status, legitimate.body).toBe(200);
    expect(legitimate.json().user).toBe("olga");

    const answers: Answer[] = await Promise.all(spray);
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 503)).toEqual([]);
    const wrong = statuses.filter((s) => s === 401).length;
    expect(wrong).toBeGreaterThan(0);
    expect(wrong).toBeLessThanOrEqual(50);
    const locked = answers.filter((a) => a.status === 429);
    expect(locked.length).toBe(200 - wrong);
    for (const answer of locked) {
      expect(answer.json().error).toMatchObject({ code: "login_locked", details: { retryAfter: expect.any(Number) } });
      expect(answer.json().error.message).toContain("from 127.0.0.1");
    }

    // The address is locked out whatever the name, with the wait; the right password from elsewhere still works.
    const fromSprayer = await https(port, "POST", "/api/v1/login", { body: { username: "olga", password: PASSWORD }, localAddress: "127.0.0.1" });
    expect(fromSprayer.status).toBe(429);
    expect(fromSprayer.json().error.message).toMatch(/too many failed logins from 127\.0\.0\.1 .*whatever the user name.*try again in \d+ s/);
    expect(fromSprayer.json().error.details.retryAfter).toBeGreaterThan(60);
    expect((await https(port, "POST", "/api/v1/login", { body: { username: "olga", password: PASSWORD }, localAddress: "127.0.0.2" })).status).toBe(200);

    // Every refused attempt is in the audit log under the name it tried.
    const { entries } = await host.client.call<{ entries: Audit[] }>("GET", "/api/v1/audit?limit=10000");
    const refused = entries.filter((e) => e.action === "POST /api/v1/login" && e.user.startsWith("spray-") && e.result === "refused");
    expect(refused.length).toBe(200);
    expect(entries.some((e) => e.action === "POST /api/v1/login" && e.user === "olga" && e.status === 429)).toBe(true);
  });
});
