// Attacks a review of security round two found on the finished work, over real HTTPS: a request
// whose TCP connection is reset before vmctld reads its peer address (it passed for root's unix
// socket), a token made for a disabled user, an Upgrade header sent to skip the CSRF check or to
// use a console ticket on a plain route, and hostile headers that answered 500.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import WebSocket from "ws";
import { TestHost } from "./harness.js";
import { https, login } from "./https-support.js";

let host: TestHost;
const call = (method: string, path: string, options: Parameters<typeof https>[3] = {}) => https(host.port, method, path, options);

interface AuditEntry { user: string; action: string; target: string | null; result: string; status: number; source: string }
const audit = async () => (await host.client.call<{ entries: AuditEntry[] }>("GET", "/api/v1/audit?limit=1000")).entries;

beforeAll(async () => {
  host = await TestHost.start();
  await host.client.createVm({ name: "web", memory: "64MiB" });
  await host.client.call("POST", "/api/v1/roles", { name: "HelpDesk", privileges: ["user.admin", "token.own", "host.read"] });
  await host.client.call("POST", "/api/v1/users", { username: "hd", password: "hd-password", role: "HelpDesk" });
  await host.client.call("POST", "/api/v1/users", { username: "bob", password: "bob-password", role: "Admin" });
  await host.client.call("POST", "/api/v1/users", { username: "rob", password: "rob-password", role: "ReadOnly" });
});
afterAll(async () => { await host?.close(); });

/** Sends `text` over TLS and resets the TCP connection (RST) as soon as the bytes are out. */
function sendThenReset(text: string): Promise<void> {
  return new Promise((resolve) => {
    const raw = netConnect(host.port, "127.0.0.1", () => {
      const secure = tlsConnect({ socket: raw, rejectUnauthorized: false }, () => {
        secure.write(text, () => { raw.resetAndDestroy(); resolve(); });
      });
      secure.on("error", () => resolve());
    });
    raw.on("error", () => resolve());
  });
}

describe("a network client is never root", () => {
  it("requests whose connection is reset right after they are sent are refused, not run as the unix socket's root", async () => {
    const names: string[] = [];
    for (let i = 0; i < 60; i++) {
      const name = `pwn${i}`;
      names.push(name);
      const body = JSON.stringify({ username: name, password: "pwnpwnpwn", role: "Admin" });
      await sendThenReset(`POST /api/v1/users HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    }
    // Give vmctld the moment it needs to handle what arrived before each reset.
    await new Promise((r) => setTimeout(r, 1000));
    const users = (await host.client.call<{ users: Array<{ name: string }> }>("GET", "/api/v1/users")).users.map((u) => u.name);
    expect(users.filter((name) => names.includes(name))).toEqual([]);
    // What vmctld did handle is audited as refused, from a network client, never from "unix socket".
    const attempts = (await audit()).filter((e) => e.action === "POST /api/v1/users" && e.user === "anonymous");
    for (const attempt of attempts) {
      expect(attempt.result).toBe("refused");
      expect(attempt.source).not.toBe("unix socket");
    }
  });
});

describe("credentials", () => {
  it("a help desk cannot make a token for a disabled Admin, to be used once it is enabled again", async () => {
    await host.client.call("PATCH", "/api/v1/users/bob", { disabled: true });
    const session = await login(host.port, "hd", "hd-password");
    const answer = await call("POST", "/api/v1/tokens", { ...session, body: { name: "sleeper", role: "Admin", expires: null, user: "bob" } });
    expect(answer.status).toBe(403);
    expect(answer.json().error.message).toContain('user "bob" is disabled');
    const tokens = (await host.client.call<{ tokens: Array<{ user: string }> }>("GET", "/api/v1/tokens")).tokens;
    expect(tokens.filter((t) => t.user === "bob")).toEqual([]);
    expect((await audit()).find((e) => e.action === "POST /api/v1/tokens" && e.user === "hd")?.result).toBe("refused");
    await host.client.call("PATCH", "/api/v1/users/bob", { disabled: false });
  });

  it("an Upgrade header on a plain request neither skips the CSRF check nor lets a console ticket act as a credential", async () => {
    const session = await login(host.port, "rob", "rob-password");
    const noCsrf = await call("POST", "/api/v1/vms/web/console", { cookie: session.cookie, headers: { upgrade: "websocket" }, body: { purpose: "monitor" } });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.json().error.code).toBe("csrf_failed");
    const minted = await call("POST", "/api/v1/vms/web/console", { ...session, body: { purpose: "monitor" } });
    expect(minted.status).toBe(200);
    const ticket = minted.json().ticket as string;
    const plain = await call("GET", `/api/v1/vms/web/definition?ticket=${ticket}`, { headers: { upgrade: "websocket" } });
    expect(plain.status).toBe(401);
    const again = await call("POST", `/api/v1/vms/web/console?ticket=${ticket}`, { headers: { upgrade: "websocket" }, body: { purpose: "monitor" } });
    expect(again.status).toBe(401);
  });
});

describe("hostile headers get a clear answer, never a 500", () => {
  it("a session cookie that is not percent-encoding is no session (401)", async () => {
    const answer = await call("GET", "/api/v1/vms", { cookie: "vmctl_session=%E0%A4%A" });
    expect(answer.status).toBe(401);
  });

  it("a WebSocket with a valid session and Origin: null is refused (403)", async () => {
    const session = await login(host.port, "rob", "rob-password");
    const status = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`wss://127.0.0.1:${host.port}/ws/events`, { rejectUnauthorized: false, headers: { cookie: session.cookie, origin: "null" } });
      socket.once("upgrade", () => { resolve(101); socket.close(); });
      socket.once("unexpected-response", (_req, res) => { resolve(res.statusCode ?? 0); socket.terminate(); });
      socket.once("error", () => resolve(0));
    });
    expect(status).toBe(403);
  });
});
