// Attacks on credentials over real HTTPS and WSS: a token or ticket trying to hand out more than it
// holds, sockets outliving their revoked credential, a parallel login burst, stealing an account
// with a session, secrets in URLs and in vmctld's log. Each is refused, audited, and changes nothing.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TestHost, guestDefinition, waitForState, ADMIN_PASSWORD, runCliWithInput } from "./harness.js";
import { https, login, openWs, wsStatus, type Credentials } from "./https-support.js";
import { launchChromium, newContext } from "./browser.js";

const ROOT = resolve(import.meta.dirname, "../..");
let host: TestHost;
let port: number;
/** Everything vmctld wrote to stdout and stderr (pino at debug level). */
let daemonLog = "";
/** Every secret this file handles: none may show up in the log. */
const secrets = new Set<string>([ADMIN_PASSWORD]);

interface Audit { user: string; action: string; target: string | null; result: string; status: number }
const audit = async (query: string) => (await host.client.call<{ entries: Audit[] }>("GET", `/api/v1/audit?${query}`)).entries;
const tokenList = async () => (await host.client.call<{ tokens: Array<{ id: string; name: string; revoked: boolean; parent: string | null }> }>("GET", "/api/v1/tokens")).tokens;
const tokenIds = async () => (await tokenList()).map((t) => t.id);

/** vmctld again on the same home, at debug level, with its output kept (the harness discards stdout, where pino writes). */
async function restartWithLog(): Promise<void> {
  await host.killDaemon();
  const config = join(host.home, "vmctld.toml");
  writeFileSync(config, readFileSync(config, "utf8").replace(/log_level = "\w+"/, 'log_level = "debug"'));
  rmSync(join(host.home, "vmctld.port"), { force: true }); // written anew once HTTPS listens
  const daemon = spawn(process.execPath, [join(ROOT, "packages/daemon/dist/main.js"), "--home", host.home], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, VMCTL_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  daemon.stdout.on("data", (chunk: Buffer) => { daemonLog += chunk.toString(); });
  daemon.stderr.on("data", (chunk: Buffer) => { daemonLog += chunk.toString(); });
  host.daemon = daemon;
  for (const deadline = Date.now() + 20_000; ;) {
    try {
      await host.client.host();
      if (existsSync(join(host.home, "vmctld.port")) && host.port > 0) break;
    } catch (error) {
      if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`vmctld did not come back: ${(error as Error).message}\n${daemonLog}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  port = host.port;
}

async function user(name: string, role: string): Promise<string> {
  const password = `${name}-password-1`;
  secrets.add(password);
  await host.client.call("POST", "/api/v1/users", { username: name, password, role });
  return password;
}

/** A token made through the unix socket (root), as an admin would hand one out. */
async function token(owner: string, role: string, name = `${owner}-${role}`.toLowerCase()): Promise<{ token: string; id: string }> {
  const made = await host.client.call<{ token: string; id: string }>("POST", "/api/v1/tokens", { name, role, expires: null, user: owner });
  secrets.add(made.token);
  return made;
}

async function ticket(credentials: Credentials, vm: string, purpose: "console" | "monitor"): Promise<string> {
  const answer = await https(port, "POST", `/api/v1/vms/${vm}/console`, { ...credentials, body: { purpose } });
  expect(answer.status).toBe(200);
  const value = answer.json().ticket as string;
  secrets.add(value);
  return value;
}

async function sessionOf(name: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const session = await login(port, name, password);
  secrets.add(session.cookie.split("=")[1]!);
  secrets.add(session.csrf);
  return session;
}

beforeAll(async () => {
  host = await TestHost.start();
  await restartWithLog();
  await host.client.createVm(guestDefinition("box"));
});
afterAll(async () => { await host?.close(); });

describe("a credential never hands out more than it holds", () => {
  it("a ReadOnly token cannot make an Admin token, or one for another user; nothing is added and the refusal is audited", async () => {
    const readOnly = await token("admin", "ReadOnly", "ro");
    const before = await tokenIds();
    const escalate = await https(port, "POST", "/api/v1/tokens", { token: readOnly.token, body: { name: "escalate", role: "Admin", expires: null } });
    expect(escalate.status).toBe(403);
    expect(escalate.json().error).toMatchObject({ code: "forbidden" });
    expect(escalate.json().error.message).toMatch(/cannot make a token with more rights than it holds: role "Admin" for admin would gain .*user\.admin/);
    expect(escalate.json().error.details.privileges).toEqual(expect.arrayContaining(["user.admin", "vm.create", "vm.power"]));
    await user("otto", "Operator");
    const forOther = await https(port, "POST", "/api/v1/tokens", { token: readOnly.token, body: { name: "otto-op", role: "Operator", expires: null, user: "otto" } });
    expect(forOther.status).toBe(403);
    expect(forOther.json().error.message).toContain('needs the privilege "user.admin"');
    expect(await tokenIds()).toEqual(before);
    expect(await audit("user=admin%20(token%20ro)")).toEqual(expect.arrayContaining([
      expect.objectContaining({ action: "POST /api/v1/tokens", result: "refused", status: 403 }),
    ]));
    expect((await audit("user=admin%20(token%20ro)")).filter((e) => e.action === "POST /api/v1/tokens").length).toBe(2);
  });

  it("a token limited by a per-VM grant cannot make one with more on that VM; a token it makes is capped by it at every use and dies with it", async () => {
    // vera: ReadOnly on the host, Operator on "box"; her ReadOnly token sees box read-only.
    await user("vera", "ReadOnly");
    await host.client.call("PUT", "/api/v1/users/vera/grants/box", { role: "Operator" });
    const limited = await token("vera", "ReadOnly");
    expect((await https(port, "GET", "/api/v1/me", { token: limited.token })).json().privileges.vms.box).toEqual(["vm.console.view", "vm.read"]);
    const before = await tokenIds();
    const more = await https(port, "POST", "/api/v1/tokens", { token: limited.token, body: { name: "more", role: "Operator", expires: null } });
    expect(more.status).toBe(403);
    expect(more.json().error.message).toContain('vm.power on VM "box"');
    expect(more.json().error.details.privileges).toEqual(['vm.console.input on VM "box"', 'vm.power on VM "box"', 'vm.snapshot on VM "box"']);
    expect(await tokenIds()).toEqual(before);

    // What it may make, it makes, as its child; revoking the parent ends the child at once.
    const child = await https(port, "POST", "/api/v1/tokens", { token: limited.token, body: { name: "child", role: "ReadOnly", expires: null } });
    expect(child.status).toBe(201);
    expect(child.json().parent).toBe(limited.id);
    secrets.add(child.json().token);
    expect((await https(port, "GET", "/api/v1/me", { token: child.json().token })).status).toBe(200);
    await host.client.call("DELETE", `/api/v1/tokens/${limited.id}`);
    expect((await https(port, "GET", "/api/v1/me", { token: child.json().token })).status).toBe(401);
    expect((await tokenList()).find((t) => t.id === child.json().id)).toMatchObject({ revoked: true, parent: limited.id });

    // The cap is re-read at use: when the parent's role loses vm.power, so does its child, whose own role keeps it.
    await host.client.call("POST", "/api/v1/roles", { name: "BoxOps", privileges: ["host.read", "vm.read", "vm.power", "token.own"] });
    await host.client.call("POST", "/api/v1/roles", { name: "PowerOnly", privileges: ["host.read", "vm.read", "vm.power"] });
    const ops = await token("vera", "BoxOps");
    const opsChild = await https(port, "POST", "/api/v1/tokens", { token: ops.token, body: { name: "ops-child", role: "PowerOnly", expires: null } });
    expect(opsChild.status).toBe(201);
    secrets.add(opsChild.json().token);
    const me = async () => (await https(port, "GET", "/api/v1/me", { token: opsChild.json().token })).json().privileges as { host: string[]; vms: Record<string, string[]> };
    expect(await me()).toEqual({ host: ["host.read", "vm.read"], vms: { box: ["vm.power", "vm.read"] } });
    await host.client.call("POST", "/api/v1/roles", { name: "BoxOps", privileges: ["host.read", "vm.read", "token.own"] });
    expect(await me()).toEqual({ host: ["host.read", "vm.read"], vms: { box: ["vm.read"] } });
    const power = await https(port, "POST", "/api/v1/vms/box/power", { token: opsChild.json().token, body: { action: "start" } });
    expect(power.status).toBe(403);
    expect((await host.client.getVm("box")).state).toBe("stopped");
  });

  it("a user.admin-only help desk cannot hand out rights it lacks: no Admin user, role, grant, or takeover of the admin", async () => {
    await host.client.call("POST", "/api/v1/roles", { name: "UserAdmin", privileges: ["host.read", "user.admin", "token.own"] });
    await host.client.call("POST", "/api/v1/roles", { name: "Viewer", privileges: ["host.read"] });
    await user("hank", "UserAdmin"); // a help desk: may manage users, nothing else
    const userAdmin = await token("hank", "UserAdmin");
    // What it holds, it may hand out.
    const viewer = await https(port, "POST", "/api/v1/users", { token: userAdmin.token, body: { username: "viv", password: "viv-password-1", role: "Viewer" } });
    expect(viewer.status).toBe(201);
    secrets.add("viv-password-1");
    const usersBefore = (await host.client.call<{ users: unknown[] }>("GET", "/api/v1/users")).users;
    const rolesBefore = (await host.client.call<{ roles: unknown[] }>("GET", "/api/v1/roles")).roles;
    const attempts: Array<[string, string, unknown, string]> = [
      ["POST", "/api/v1/users", { username: "mallory", password: "mallory-password-1", role: "Admin" }, 'cannot create a user with the role "Admin"'],
      ["PATCH", "/api/v1/users/admin", { password: "taken-over-admin" }, 'cannot change user "admin", who holds more'],
      ["PATCH", "/api/v1/users/otto", { password: "taken-over-otto" }, 'cannot change user "otto", who holds more'],
      ["PATCH", "/api/v1/users/viv", { role: "Admin" }, 'cannot give the role "Admin"'],
      ["PUT", "/api/v1/users/viv/grants/box", { role: "Operator" }, 'cannot grant the role "Operator" on VM "box"'],
      ["POST", "/api/v1/roles", { name: "Viewer", privileges: ["host.read", "vm.create"] }, 'cannot define the role "Viewer"'],
    ];
    for (const [method, path, body, message] of attempts) {
      const answer = await https(port, method, path, { token: userAdmin.token, body });
      expect({ path, status: answer.status, code: answer.json().error.code }).toEqual({ path, status: 403, code: "forbidden" });
      expect(answer.json().error.message).toContain(message);
    }
    expect((await host.client.call<{ users: unknown[] }>("GET", "/api/v1/users")).users).toEqual(usersBefore);
    expect((await host.client.call<{ roles: unknown[] }>("GET", "/api/v1/roles")).roles).toEqual(rolesBefore);
    expect((await https(port, "POST", "/api/v1/login", { body: { username: "admin", password: ADMIN_PASSWORD } })).status).toBe(200);
    expect((await audit("user=hank%20(token%20hank-useradmin)")).filter((e) => e.result === "refused" && e.status === 403).length).toBe(attempts.length);
  });

  it("a monitor ticket made with an Operator's ReadOnly token cannot power the VM, nor its console ticket type; the Operator's own token can", async () => {
    // otto is an Operator; the tickets used to redeem as otto, whatever the token that made them.
    await user("rita", "ReadOnly");
    const limited = await token("otto", "ReadOnly", "otto-ro");
    const monitor = await openWs(port, `/ws/vms/box?ticket=${await ticket({ token: limited.token }, "box", "monitor")}`);
    await monitor.next((m) => m.type === "status");
    monitor.socket.send(JSON.stringify({ type: "command", data: { action: "start", requestId: "r1" } }));
    const refused = await monitor.next((m) => m.type === "response" && m.data.requestId === "r1");
    expect(refused.data).toMatchObject({ success: false });
    expect(String(refused.data.message)).toContain('needs "vm.power"');
    expect((await host.client.getVm("box")).state).toBe("stopped");
    expect((await host.client.call<{ tasks: unknown[] }>("GET", "/api/v1/tasks?target=box")).tasks).toEqual([]);
    monitor.socket.close();

    const otto = await token("otto", "Operator");
    const operator = await openWs(port, `/ws/vms/box?ticket=${await ticket({ token: otto.token }, "box", "monitor")}`);
    operator.socket.send(JSON.stringify({ type: "command", data: { action: "start", requestId: "r2" } }));
    expect((await operator.next((m) => m.type === "response" && m.data.requestId === "r2", 60_000)).data).toMatchObject({ success: true });
    await waitForState(host.client, "box", "running");
    operator.socket.close();

    const viewer = await openWs(port, `/ws/vms/box/console?ticket=${await ticket({ token: limited.token }, "box", "console")}`);
    viewer.socket.send(JSON.stringify({ type: "console_input", data: { content: Buffer.from("echo typed\n").toString("base64") } }));
    expect((await viewer.next((m) => m.type === "error")).data).toMatchObject({ code: "forbidden" });
    viewer.socket.close();
  });
});

describe("revocation closes open WebSockets within a second", () => {
  const SOON = 2000;

  it("revoking a token closes its events, monitor and console sockets and those of tickets it made", async () => {
    await user("tara", "Operator");
    const tara = await token("tara", "Operator");
    const sockets = [
      await openWs(port, "/ws/events", { token: tara.token }),
      await openWs(port, "/ws/vms/box", { token: tara.token }),
      await openWs(port, "/ws/vms/box/console", { token: tara.token }),
      await openWs(port, `/ws/vms/box/console?ticket=${await ticket({ token: tara.token }, "box", "console")}`),
    ];
    const bystander = await openWs(port, "/ws/events", { token: (await token("otto", "ReadOnly", "otto-watch")).token });
    await host.client.call("DELETE", `/api/v1/tokens/${tara.id}`);
    for (const s of sockets) expect(await s.closedWithin(SOON)).toMatchObject({ code: 4401, reason: "credential revoked or expired" });
    expect(bystander.socket.readyState).toBe(bystander.socket.OPEN);
    bystander.socket.close();
  });

  it("disabling a user closes the sockets of their sessions, tickets and tokens", async () => {
    const password = await user("dora", "Operator");
    const session = await sessionOf("dora", password);
    const dora = await token("dora", "Operator");
    const sockets = [
      await openWs(port, "/ws/events", { cookie: session.cookie }),
      await openWs(port, `/ws/vms/box?ticket=${await ticket(session, "box", "monitor")}`),
      await openWs(port, "/ws/vms/box/console", { token: dora.token }),
    ];
    await host.client.call("PATCH", "/api/v1/users/dora", { disabled: true });
    for (const s of sockets) expect((await s.closedWithin(SOON)).code).toBe(4401);
  });

  it("a new password closes the sockets of the user's sessions (their tokens stay valid)", async () => {
    const password = await user("pete", "Operator");
    const session = await sessionOf("pete", password);
    const pete = await token("pete", "ReadOnly");
    const bySession = await openWs(port, "/ws/events", { cookie: session.cookie });
    const byTicket = await openWs(port, `/ws/vms/box/console?ticket=${await ticket(session, "box", "console")}`);
    const byToken = await openWs(port, "/ws/events", { token: pete.token });
    secrets.add("pete-new-password-2");
    await host.client.call("PATCH", "/api/v1/users/pete", { password: "pete-new-password-2" });
    expect((await bySession.closedWithin(SOON)).code).toBe(4401);
    expect((await byTicket.closedWithin(SOON)).code).toBe(4401);
    expect(byToken.socket.readyState).toBe(byToken.socket.OPEN);
    byToken.socket.close();
  });

  it("redefining a role, changing a user's role and removing a grant close the sockets that lost rights", async () => {
    await user("gina", "ReadOnly");
    await host.client.call("POST", "/api/v1/roles", { name: "BoxHand", privileges: ["vm.read", "vm.console.view", "vm.console.input", "vm.power"] });
    await host.client.call("PUT", "/api/v1/users/gina/grants/box", { role: "BoxHand" });
    const gina = await token("gina", "Operator");
    const events = await openWs(port, "/ws/events", { token: gina.token });
    let console = await openWs(port, "/ws/vms/box/console", { token: gina.token });
    await host.client.call("POST", "/api/v1/roles", { name: "BoxHand", privileges: ["vm.read", "vm.console.view", "vm.power"] });
    expect(await console.closedWithin(SOON)).toEqual({ code: 4403, reason: "privileges changed (lost vm.console.input)" });
    console = await openWs(port, "/ws/vms/box/console", { token: gina.token });
    await host.client.call("DELETE", "/api/v1/users/gina/grants/box");
    expect(await console.closedWithin(SOON)).toEqual({ code: 4403, reason: "privileges changed (lost vm.power)" });
    expect(events.socket.readyState).toBe(events.socket.OPEN); // its rights did not change
    events.socket.close();

    await user("rolf", "Operator");
    const monitor = await openWs(port, "/ws/vms/box", { token: (await token("rolf", "Operator")).token });
    await host.client.call("PATCH", "/api/v1/users/rolf", { role: "ReadOnly" });
    expect((await monitor.closedWithin(SOON)).code).toBe(4403);
  });

  it("logging out closes the sockets of that session", async () => {
    const session = await sessionOf("rita", "rita-password-1");
    const events = await openWs(port, "/ws/events", { cookie: session.cookie });
    expect((await https(port, "POST", "/api/v1/logout", session)).status).toBe(200);
    expect((await events.closedWithin(SOON)).code).toBe(4401);
  });
});

describe("logins", () => {
  async function passwordChecks(): Promise<number> {
    const file = join(host.home, "vmctld-memory.json");
    const before = (() => { try { return statSync(file).mtimeMs; } catch { return 0; } })();
    process.kill(host.pid, "SIGUSR2");
    for (let i = 0; i < 200; i++) {
      try {
        if (statSync(file).mtimeMs !== before) return (JSON.parse(readFileSync(file, "utf8")) as { passwords: { checks: number } }).passwords.checks;
      } catch { /* not written yet */ }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error("vmctld wrote no diagnostics on SIGUSR2");
  }

  it("300 parallel logins with wrong passwords get 5 password checks; the rest and then the right password are locked out", async () => {
    const password = await user("lena", "ReadOnly");
    const checksBefore = await passwordChecks();
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => https(port, "POST", "/api/v1/login", { body: { username: "lena", password: `guess-${i}` } })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401).length).toBe(5);
    expect(statuses.filter((s) => s === 429).length).toBe(295);
    expect(await passwordChecks() - checksBefore).toBe(5);
    const right = await https(port, "POST", "/api/v1/login", { body: { username: "lena", password } });
    expect(right.status).toBe(429);
    expect(right.json().error).toMatchObject({ code: "login_locked" });
    expect(await passwordChecks() - checksBefore).toBe(5);
    expect((await audit("user=lena&limit=1000")).filter((e) => e.action === "POST /api/v1/login" && e.result === "refused").length).toBe(301);
  });

  it("changing your own password needs the current one, checked and counted like a login", async () => {
    const password = await user("pia", "ReadOnly");
    const session = await sessionOf("pia", password);
    secrets.add("pia-new-password-2");
    const without = await https(port, "PATCH", "/api/v1/users/pia", { ...session, body: { password: "pia-new-password-2" } });
    expect(without.status).toBe(403);
    expect(without.json().error.message).toContain("currentPassword");
    const wrong = await https(port, "PATCH", "/api/v1/users/pia", { ...session, body: { password: "pia-new-password-2", currentPassword: "not-it" } });
    expect(wrong.status).toBe(403);
    expect(wrong.json().error.message).toContain("currentPassword is not your password now");
    expect((await https(port, "POST", "/api/v1/login", { body: { username: "pia", password } })).status).toBe(200); // unchanged
    const right = await https(port, "PATCH", "/api/v1/users/pia", { ...session, body: { password: "pia-new-password-2", currentPassword: password } });
    expect(right.status).toBe(200);
    expect((await https(port, "POST", "/api/v1/login", { body: { username: "pia", password } })).status).toBe(401);
    expect((await https(port, "POST", "/api/v1/login", { body: { username: "pia", password: "pia-new-password-2" } })).status).toBe(200);
    expect((await audit("target=pia")).filter((e) => e.action === "PATCH /api/v1/users/:user").map((e) => e.status)).toEqual([200, 403, 403]);

    // A stolen token cannot guess its way to the account: wrong current passwords lock out like logins.
    const paxPassword = await user("pax", "ReadOnly");
    const stolen = await token("pax", "ReadOnly");
    const guesses = [];
    for (let i = 0; i < 6; i++) guesses.push((await https(port, "PATCH", "/api/v1/users/pax", { token: stolen.token, body: { password: "taken-over-1", currentPassword: `guess-${i}` } })).status);
    expect(guesses).toEqual([403, 403, 403, 403, 403, 429]);
    // The lock-out is for this address; from another one the password is still the old one.
    expect((await https(port, "POST", "/api/v1/login", { body: { username: "pax", password: "taken-over-1" }, localAddress: "127.0.0.2" })).status).toBe(401);
    expect((await https(port, "POST", "/api/v1/login", { body: { username: "pax", password: paxPassword }, localAddress: "127.0.0.2" })).status).toBe(200);
  });

  it("vmctl user passwd sends the current password for your own", async () => {
    const password = await user("cleo", "ReadOnly");
    const config = mkdtempSync(join(tmpdir(), "vmctl-cli-config-"));
    try {
      const env = { XDG_CONFIG_HOME: config };
      const url = `https://127.0.0.1:${port}`;
      expect((await runCliWithInput(["login", url, "--user", "cleo", "--password-stdin"], env, `${password}\n`)).code).toBe(0);
      for (const saved of Object.values((JSON.parse(readFileSync(join(config, "vmctl/credentials.json"), "utf8")) as { logins: Record<string, { token: string }> }).logins)) secrets.add(saved.token);
      const wrong = await runCliWithInput(["--url", url, "user", "passwd", "cleo", "--password-stdin"], env, "not-it\ncleo-new-password-2\n");
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toContain("currentPassword is not your password now");
      secrets.add("cleo-new-password-2");
      const right = await runCliWithInput(["--url", url, "user", "passwd", "cleo", "--password-stdin"], env, `${password}\ncleo-new-password-2\n`);
      expect(right.code).toBe(0);
      expect((await https(port, "POST", "/api/v1/login", { body: { username: "cleo", password: "cleo-new-password-2" } })).status).toBe(200);
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
  });
});

describe("headers, URLs and logs", () => {
  it("sends a Content-Security-Policy on the Host Client and the API", async () => {
    for (const path of ["/ui/", "/api/v1/me", "/healthz"]) {
      const answer = await https(port, "GET", path);
      expect(answer.headers["content-security-policy"]).toBe("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'");
    }
  });

  it("the Host Client works under its policy: no violation on its pages, consoles included, and an injected inline script is blocked", async () => {
    const browser = await launchChromium();
    try {
      const context = await newContext(browser);
      await context.addInitScript({ content: "window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));" });
      const page = await context.newPage();
      const violations = async () => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
      await page.goto(`https://127.0.0.1:${port}/`);
      await page.getByLabel("User name").fill("admin");
      await page.getByLabel("Password").fill(ADMIN_PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.getByRole("heading", { name: "Virtual machines" }).waitFor();
      expect(await violations()).toEqual([]);
      for (const path of ["/ui/host", "/ui/admin", "/ui/vms/box/console", "/api/docs/"]) {
        await page.goto(`https://127.0.0.1:${port}${path}`);
        await page.waitForLoadState("networkidle");
        expect({ path, violations: await violations() }).toEqual({ path, violations: [] });
      }
      // What an injected script would do: refused by the policy, and seen as a violation.
      await page.goto(`https://127.0.0.1:${port}/ui/host`);
      const ran = await page.evaluate(async () => {
        const script = document.createElement("script");
        script.textContent = "window.__injected = true";
        document.body.append(script);
        await new Promise((r) => setTimeout(r, 100));
        return (window as unknown as { __injected?: boolean }).__injected ?? false;
      });
      expect(ran).toBe(false);
      expect(await violations()).toEqual([expect.stringMatching(/^script-src-elem inline/)]);
    } finally {
      await browser.close();
    }
  });

  it("refuses a token in a URL, on a WebSocket or a request, while the header works", async () => {
    const { token: secret } = await token("admin", "ReadOnly", "url");
    expect(await wsStatus(port, `/ws/events?token=${secret}`)).toBe(401);
    expect(await wsStatus(port, "/ws/events", { token: secret })).toBe(101);
    const inUrl = await https(port, "GET", `/api/v1/me?token=${secret}`);
    expect(inUrl.status).toBe(401);
    expect(inUrl.json().error.message).toContain("Authorization: Bearer");
    expect((await https(port, "GET", "/api/v1/me", { token: secret })).status).toBe(200);
  });

  it("vmctld's log holds no password, token, cookie, CSRF token or ticket", async () => {
    // A malformed login body with a password in it, and failed logins, are logged: without the secrets.
    secrets.add("in-a-broken-body");
    expect((await https(port, "POST", "/api/v1/login", { rawBody: '{"username":"admin","password":"in-a-broken-body"' })).status).toBe(400);
    expect((await https(port, "POST", "/api/v1/login", { body: { username: "nobody", password: "in-a-broken-body" } })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(daemonLog).toContain("failed login"); // the log is really captured
    expect(daemonLog).toContain('"level":20'); // at debug level
    const leaked = [...secrets].filter((secret) => daemonLog.includes(secret));
    expect(leaked).toEqual([]);
  });
});
