// Security over HTTPS: the permission matrix of every route for each role and for no credentials,
// CSRF, tickets, token revocation, login back-off, console typing rights and the audit trail.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect as tlsConnect } from "node:tls";
import { TestHost, ConsoleReader, guestDefinition, announceOversizedBody, GUEST_READY_LINE, runCliWithInput } from "./harness.js";
import { ROUTE_PRIVILEGES } from "../../packages/daemon/src/security/route-privileges.js";
import { BUILTIN_ROLES } from "../../packages/daemon/src/security/privileges.js";
import { https, openWs, wsStatus } from "./https-support.js";

let host: TestHost;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  host = await TestHost.start();
  for (const role of Object.keys(BUILTIN_ROLES)) {
    const user = role === "Admin" ? "boss" : role.toLowerCase();
    await host.client.call("POST", "/api/v1/users", { username: user, password: `${user}-password`, role });
    tokens[role] = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: `${user}-token`, role, expires: null, user })).token;
  }
});
afterAll(async () => { await host?.close(); });

describe("HTTPS and authentication", () => {
  it("serves TLS with the certificate whose fingerprint vmctld records", async () => {
    const fingerprint = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: host.port, rejectUnauthorized: false }, () => { resolve(socket.getPeerCertificate().fingerprint256); socket.end(); });
      socket.on("error", reject);
    });
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(`${host.home}/tls-fingerprint`, "utf8").trim()).toBe(fingerprint);
    const health = await https(host.port, "GET", "/healthz");
    expect(health.status).toBe(200);
    expect(health.headers["strict-transport-security"]).toContain("max-age");
    expect(health.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("permission matrix: every route for each role and for no credentials", async () => {
    const concrete = (route: string) => route.replace("::", ":").replace(":name", "ghost").replace(":id", "ffffffff").replace(":user", "nobody").replace(":vm", "ghost").replace(":ds", "ghost");
    const mismatches: string[] = [];
    for (const [key, need] of Object.entries(ROUTE_PRIVILEGES)) {
      const [method, route] = key.split(" ") as [string, string];
      const path = concrete(route);
      for (const role of [...Object.keys(BUILTIN_ROLES), "none"]) {
        const token = tokens[role];
        const privileges: readonly string[] = role === "none" ? [] : BUILTIN_ROLES[role]!;
        // PATCH /users/:user on another user needs user.admin, checked in the handler.
        const effective = key === "PATCH /api/v1/users/:user" ? "user.admin" : need;
        const allowed = effective === "public" || (role !== "none" && (effective === "authenticated" || privileges.includes(effective)));
        let status: number;
        if (route.startsWith("/ws/")) status = await wsStatus(host.port, path, token ? { token } : {});
        else status = (await https(host.port, method, path, { ...(token ? { token } : {}), ...(method === "GET" || method === "DELETE" ? {} : { body: {} }) })).status;
        const denied = status === 401 || status === 403;
        const expected = allowed ? "allow" : role === "none" ? "401" : "403";
        const got = denied ? String(status) : "allow";
        if (got !== expected) mismatches.push(`${key} as ${role}: expected ${expected}, got ${status}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe("sessions, tokens and tickets", () => {
  it("a browser session needs the CSRF token for changes, and logout ends it", async () => {
    const login = await https(host.port, "POST", "/api/v1/login", { body: { username: "operator", password: "operator-password" } });
    expect(login.status).toBe(200);
    const setCookie = String(login.headers["set-cookie"]);
    expect(setCookie).toMatch(/vmctl_session=[^;]+; HttpOnly; Secure; SameSite=Strict/);
    const cookie = setCookie.split(";")[0]!;
    const { csrfToken, privileges } = login.json();
    expect(privileges.host).toContain("vm.power");
    expect(privileges.host).not.toContain("vm.create");
    await host.client.createVm(guestDefinition("csrf"));
    expect((await https(host.port, "GET", "/api/v1/vms/csrf", { cookie })).status).toBe(200);
    const without = await https(host.port, "POST", "/api/v1/vms/csrf/power", { cookie, body: { action: "pause" } });
    expect(without.status).toBe(403);
    expect(without.json().error.code).toBe("csrf_failed");
    const wrongState = await https(host.port, "POST", "/api/v1/vms/csrf/power", { cookie, csrf: csrfToken, body: { action: "pause" } });
    expect(wrongState.status).toBe(409); // through authentication and CSRF, refused only by the VM's state
    expect((await https(host.port, "POST", "/api/v1/logout", { cookie, csrf: csrfToken })).status).toBe(200);
    expect((await https(host.port, "GET", "/api/v1/vms/csrf", { cookie })).status).toBe(401);
  });

  it("a revoked token stops working at once; an expired or made-up one never works", async () => {
    const created = await host.client.call<{ token: string; id: string }>("POST", "/api/v1/tokens", { name: "short-lived", role: "ReadOnly", expires: null, user: "admin" });
    expect((await https(host.port, "GET", "/api/v1/me", { token: created.token })).json()).toMatchObject({ user: "admin", role: "ReadOnly", kind: "token" });
    await host.client.call("DELETE", `/api/v1/tokens/${created.id}`);
    expect((await https(host.port, "GET", "/api/v1/me", { token: created.token })).status).toBe(401);
    expect((await https(host.port, "GET", "/api/v1/me", { token: created.token.slice(0, -2) + "xx" })).status).toBe(401);
    const listed = await host.client.call<{ tokens: Array<{ id: string; revoked: boolean; lastUsedAt: string | null }> }>("GET", "/api/v1/tokens");
    expect(listed.tokens.find((t) => t.id === created.id)).toMatchObject({ revoked: true, lastUsedAt: expect.any(String) });
    // The secret is base64url and may itself hold "_": everything after vmctl_<id>_ (split("_")[2] could be "").
    const secret = created.token.slice(`vmctl_${created.id}_`.length);
    expect(secret.length).toBeGreaterThanOrEqual(20);
    expect(JSON.stringify(listed)).not.toContain(secret);
  });

  it("a console ticket works once, for its VM only, and a ReadOnly viewer cannot type", async () => {
    await host.client.createVm(guestDefinition("watched"));
    expect((await host.cli(["start", "watched"])).code).toBe(0);
    const reader = await ConsoleReader.open(host.client, "watched");
    await reader.waitFor(GUEST_READY_LINE);
    reader.close();
    const ticketOf = async (token: string) => (await https(host.port, "POST", "/api/v1/vms/watched/console", { token, body: {} })).json().ticket as string;
    const ticket = await ticketOf(tokens.ReadOnly!);
    const viewer = await openWs(host.port, `/ws/vms/watched/console?ticket=${ticket}`);
    const { socket } = viewer;
    const messages = viewer.messages as Array<{ type: string; data: { code?: string; content?: string } }>;
    socket.send(JSON.stringify({ type: "console_input", data: { content: Buffer.from("echo should-not-run\n").toString("base64") } }));
    for (let i = 0; i < 50 && !messages.some((m) => m.type === "error"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(messages.find((m) => m.type === "error")?.data.code).toBe("forbidden");
    expect(messages.some((m) => m.type === "console" && Buffer.from(m.data.content ?? "", "base64").toString().includes(GUEST_READY_LINE))).toBe(true);
    socket.close();
    expect(await wsStatus(host.port, `/ws/vms/watched/console?ticket=${ticket}`)).toBe(401); // replayed
    const other = await ticketOf(tokens.Operator!);
    expect(await wsStatus(host.port, `/ws/vms/csrf/console?ticket=${other}`)).toBe(401); // another VM
    expect((await host.cli(["stop", "--force", "watched"])).code).toBe(0);
  });
});

describe("hardening", () => {
  it("brute force on login is locked out with back-off and logged in the audit", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await https(host.port, "POST", "/api/v1/login", { body: { username: "readonly", password: `guess-${i}` } })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const locked = await https(host.port, "POST", "/api/v1/login", { body: { username: "readonly", password: "readonly-password" } });
    expect(locked.status).toBe(429);
    expect(locked.json().error.message).toMatch(/try again in \d+ s/);
    const audit = await host.client.call<{ entries: Array<{ user: string; action: string; result: string; source: string }> }>("GET", "/api/v1/audit?user=readonly");
    expect(audit.entries.filter((e) => e.action === "POST /api/v1/login" && e.result === "refused").length).toBeGreaterThanOrEqual(7);
    expect(audit.entries[0]!.source).toBe("127.0.0.1");
  });

  it("path traversal and oversized bodies are refused without side effects, and every change is audited", async () => {
    const before = (await host.client.listVms()).length;
    expect((await https(host.port, "GET", "/api/v1/vms/..%2F..%2Fetc", { token: tokens.Admin! })).status).toBe(400);
    const big = await announceOversizedBody(tlsConnect({ host: "127.0.0.1", port: host.port, rejectUnauthorized: false }), "/api/v1/vms", 2 * 1024 * 1024, { authorization: `Bearer ${tokens.Admin}` });
    expect(big.status).toBe(413);
    expect((await host.client.listVms()).length).toBe(before);
    const made = await https(host.port, "POST", "/api/v1/vms", { token: tokens.Admin!, body: guestDefinition("audited") });
    expect(made.status).toBe(201);
    const audit = await host.client.call<{ entries: Array<{ user: string; action: string; target: string | null; status: number }> }>("GET", "/api/v1/audit?limit=20");
    expect(audit.entries).toContainEqual(expect.objectContaining({ user: "boss (token boss-token)", action: "POST /api/v1/vms", status: 201 }));
    expect(audit.entries).toContainEqual(expect.objectContaining({ user: "boss (token boss-token)", action: "POST /api/v1/vms", status: 413 }));
  });
});

describe("vmctl login", () => {
  it("pins the certificate, keeps a token in a 0600 file, and refuses a changed certificate loudly", async () => {
    const { mkdtempSync, statSync, rmSync, readFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const config = mkdtempSync(`${tmpdir()}/vmctl-cli-config-`);
    const url = `https://127.0.0.1:${host.port}`;
    const env = { XDG_CONFIG_HOME: config };
    const login = await runCliWithInput(["login", url, "--user", "operator", "--password-stdin"], env, "operator-password\n");
    expect(login.stderr).toContain("pinning the certificate");
    expect(login.stdout).toMatch(/logged in to https:\/\/127\.0\.0\.1:\d+ as operator \(Operator\)/);
    const file = `${config}/vmctl/credentials.json`;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).not.toContain("operator-password");
    const ls = await runCliWithInput(["--url", url, "ls", "--json"], env);
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout).map((vm: { name: string }) => vm.name)).toEqual((await host.client.listVms()).map((vm) => vm.name));
    const refused = await runCliWithInput(["--url", url, "create", "nope"], env);
    expect(refused.stderr).toContain('lacks the privilege "vm.create"');
    const wrong = await runCliWithInput(["login", url, "--user", "operator", "--password-stdin"], env, "not-the-password\n");
    expect(wrong.code).toBe(1);
    // A different certificate at the same address: refused, with the warning.
    const saved = JSON.parse(readFileSync(file, "utf8"));
    saved.logins[url].fingerprint = "00:11";
    const { writeFileSync } = await import("node:fs");
    writeFileSync(file, JSON.stringify(saved));
    const changed = await runCliWithInput(["login", url, "--user", "operator", "--password-stdin"], env, "operator-password\n");
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain("THE CERTIFICATE OF");
    expect(changed.stderr).toContain("--accept-new-certificate");
    rmSync(config, { recursive: true, force: true });
  });
});
