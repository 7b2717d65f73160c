// Attacks on availability over real HTTPS and WSS: hostile name patterns from a ReadOnly user (the
// kind that makes a regular expression backtrack for minutes) while /healthz must keep answering,
// a batch selector with one, and a flood of WebSockets by one user, refused beyond the per-user cap
// while other users still connect.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Agent } from "node:https";
import fc from "fast-check";
import type WebSocket from "ws";
import { TestHost, guestDefinition, waitForState, GUEST_READY_LINE } from "./harness.js";
import { https, tryWs } from "./https-support.js";
import { MAX_WEBSOCKETS_PER_USER } from "../../packages/daemon/src/api/ws-connection-limit.js";
import { MAX_CONSOLE_VIEWERS } from "../../packages/daemon/src/domain/serial-console.js";
import { MAX_COMMANDS_IN_FLIGHT } from "../../packages/daemon/src/api/vm-monitor.js";

let host: TestHost;
const tokens: Record<string, string> = {};
const agent = new Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false });
let names: string[] = [];

/** Requests share a keep-alive pool of 8 connections, as a script's client would. */
const call = (method: string, path: string, options: { token?: string; body?: unknown } = {}) => https(host.port, method, path, { ...options, agent });

/** An independent model of the pattern rule: * any run, ? one character, the rest literal, whole name. */
function modelMatch(pattern: string, name: string): boolean {
  const memo = new Map<string, boolean>();
  const at = (p: number, n: number): boolean => {
    const key = `${p},${n}`;
    if (memo.has(key)) return memo.get(key)!;
    let result: boolean;
    if (p === pattern.length) result = n === name.length;
    else if (pattern[p] === "*") result = at(p + 1, n) || (n < name.length && at(p, n + 1));
    else result = n < name.length && (pattern[p] === "?" || pattern[p] === name[n]) && at(p + 1, n + 1);
    memo.set(key, result);
    return result;
  };
  return at(0, 0);
}

/** Hostile patterns: 64 characters of stars and letters, the shapes that backtrack, and near misses of real names. */
function hostilePatterns(): string[] {
  const fixed = ["*a".repeat(31) + "*b", "*a*a*a*a*a*a*a*a*a*a*a*a*b", "a*".repeat(32), "*?".repeat(32), "*".repeat(63) + "c", "?".repeat(64)];
  const random = fc.sample(fc.string({ unit: fc.constantFrom("*", "a", "b", "?"), minLength: 20, maxLength: 64 }), { numRuns: 150, seed: 4 });
  const nearMisses = fc.sample(fc.tuple(fc.constantFrom(...names), fc.array(fc.nat(62), { minLength: 1, maxLength: 20 }), fc.constantFrom("*", "?")).map(([name, spots, wildcard]) => {
    const chars = [...name];
    for (const spot of spots) if (spot < chars.length) chars[spot] = wildcard;
    return chars.join("").slice(0, 64);
  }), { numRuns: 100, seed: 7 });
  return [...fixed, ...random, ...nearMisses];
}

const openWs = (path: string, token: string) => tryWs(host.port, path, { token });

beforeAll(async () => {
  host = await TestHost.start();
  for (const [user, role] of [["rita", "ReadOnly"], ["otto", "Operator"], ["vera", "ReadOnly"]] as const) {
    await host.client.call("POST", "/api/v1/users", { username: user, password: `${user}-password-1`, role });
    tokens[user] = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: `${user}-token`, role, expires: null, user })).token;
  }
  // 50 VMs, defined only, with long names of a's and b's: what hostile patterns chew on.
  const shapes = fc.sample(fc.string({ unit: fc.constantFrom("a", "b"), minLength: 40, maxLength: 58 }), { numRuns: 50, seed: 1 });
  names = shapes.map((shape, i) => `${i % 2 ? "a".repeat(shape.length) : shape}-${String(i).padStart(2, "0")}`);
  for (const name of names) await host.client.call("POST", "/api/v1/vms", guestDefinition(name));
}, 120_000);
afterAll(async () => {
  agent.destroy();
  await host?.close();
});

describe("no request can stall the daemon", () => {
  it("hostile ?name= patterns from a ReadOnly user answer with the right VMs while /healthz keeps answering", async () => {
    const patterns = hostilePatterns();
    let done = false;
    const healthLatencies: number[] = [];
    const probe = (async () => {
      while (!done) {
        const started = performance.now();
        const answer = await call("GET", "/healthz");
        healthLatencies.push(performance.now() - started);
        expect(answer.status).toBe(200);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const wrong: string[] = [];
    try {
      // Four at a time: the daemon sees concurrent hostile requests, as from a script.
      for (let i = 0; i < patterns.length; i += 4) {
        await Promise.all(patterns.slice(i, i + 4).map(async (pattern) => {
          const answer = await call("GET", `/api/v1/vms?name=${encodeURIComponent(pattern)}`, { token: tokens.rita! });
          const expected = names.filter((name) => modelMatch(pattern, name)).sort();
          const got = answer.status === 200 ? (answer.json().vms as Array<{ name: string }>).map((vm) => vm.name).sort() : [`HTTP ${answer.status}`];
          if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`${pattern}: got ${got.join(",")} expected ${expected.join(",")}`);
        }));
      }
    } finally {
      done = true;
      await probe;
    }
    expect(wrong).toEqual([]);
    // The near misses must have matched something, or the comparison above proves little.
    expect(patterns.filter((p) => names.some((n) => modelMatch(p, n))).length).toBeGreaterThan(20);
    expect(healthLatencies.length).toBeGreaterThan(10);
    // The one timed check, generous for a busy 2-core machine: a backtracking regex held the loop for minutes.
    expect(Math.max(...healthLatencies)).toBeLessThan(1000);
  }, 120_000);

  it("a pattern longer than a name can be is refused naming the field", async () => {
    const answer = await call("GET", `/api/v1/vms?name=${"*a".repeat(40)}`, { token: tokens.rita! });
    expect(answer.status).toBe(400);
    expect(answer.json().error.message).toMatch(/name/);
  });

  it("a batch selector with a hostile pattern is answered at once: no match, nothing started, the attempt audited", async () => {
    const pattern = "*a".repeat(31) + "*c";
    const answer = await call("POST", "/api/v1/vms:batch", { token: tokens.otto!, body: { action: "start", pattern } });
    expect(answer.status).toBe(404);
    expect(answer.json().error).toMatchObject({ code: "vm_not_found", message: `no VM matches "${pattern}"` });
    const tooLong = await call("POST", "/api/v1/vms:batch", { token: tokens.otto!, body: { action: "start", pattern: "*".repeat(65) } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json().error.message).toMatch(/pattern/);
    const audit = await host.client.call<{ entries: Array<{ user: string; action: string; result: string; status: number }> }>("GET", "/api/v1/audit?limit=20");
    expect(audit.entries).toEqual(expect.arrayContaining([expect.objectContaining({ user: expect.stringContaining("otto"), action: "POST /api/v1/vms::batch", result: "refused", status: 404 })]));
    const vms = await host.client.call<{ vms: Array<{ state: string }> }>("GET", "/api/v1/vms");
    expect(vms.vms.every((vm) => vm.state === "stopped")).toBe(true);
    const tasks = await host.client.call<{ tasks: Array<{ op: string }> }>("GET", "/api/v1/tasks");
    expect(tasks.tasks.filter((task) => task.op === "vms.batch")).toEqual([]);
  });

  it("a batch naming one VM ten thousand times acts on it once", async () => {
    const answer = await call("POST", "/api/v1/vms:batch", { token: tokens.otto!, body: { action: "stop", names: Array.from({ length: 10_000 }, () => names[0]!) } });
    expect(answer.status).toBe(202);
    const ended = await host.client.call<{ state: string; error: { message: string } | null; log: string[] }>("GET", `/api/v1/tasks/${answer.json().id as string}?wait=30`);
    // Stopping a stopped VM fails: once, not ten thousand times.
    expect(ended.state).toBe("error");
    expect(ended.error!.message).toMatch(/^1 of 1 failed/);
  });
});

describe("what grows is bounded", () => {
  it(`one user's flood of WebSockets is refused beyond ${MAX_WEBSOCKETS_PER_USER} while other users still connect`, async () => {
    const held: WebSocket[] = [];
    try {
      const first = await Promise.all(Array.from({ length: MAX_WEBSOCKETS_PER_USER + 16 }, () => openWs("/ws/events", tokens.rita!)));
      for (const answer of first) if (answer.socket) held.push(answer.socket);
      // A burst of parallel upgrades cannot slip past the count.
      expect(first.filter((a) => a.status === 101)).toHaveLength(MAX_WEBSOCKETS_PER_USER);
      const refused = first.filter((a) => a.status !== 101);
      expect(refused.every((a) => a.status === 429)).toBe(true);
      expect(JSON.parse(refused[0]!.body!).error).toMatchObject({ code: "rate_limited", message: expect.stringContaining(`rita already has ${MAX_WEBSOCKETS_PER_USER} WebSockets open`) });
      // Another user, and another of rita's own routes' peers, are unaffected; the events sockets still work.
      const vera = await openWs("/ws/events", tokens.vera!);
      expect(vera.status).toBe(101);
      held.push(vera.socket!);
      const heard = new Promise<unknown>((resolve) => held[0]!.once("message", (raw: Buffer) => resolve(JSON.parse(raw.toString()))));
      await host.client.call("POST", "/api/v1/vms", guestDefinition("after-flood"));
      expect(await heard).toMatchObject({ type: "event", data: { vm: "after-flood" } });
      // A closed socket frees its slot.
      await new Promise<void>((resolve) => { held[1]!.once("close", () => resolve()); held[1]!.close(); });
      await new Promise((r) => setTimeout(r, 200));
      const again = await openWs("/ws/events", tokens.rita!);
      expect(again.status).toBe(101);
      held.push(again.socket!);
      expect((await openWs("/ws/events", tokens.rita!)).status).toBe(429);
    } finally {
      for (const socket of held) socket.terminate();
    }
  });
});

describe("what grows is bounded, on a running guest", () => {
  it(`a flood of monitor commands keeps ${MAX_COMMANDS_IN_FLIGHT} under way; a crowd of console viewers stops at ${MAX_CONSOLE_VIEWERS}, and the console still works`, async () => {
    await host.client.call("POST", "/api/v1/vms", guestDefinition("crowded"));
    const held: WebSocket[] = [];
    try {
      const monitor = await openWs("/ws/vms/crowded", tokens.otto!);
      expect(monitor.status).toBe(101);
      held.push(monitor.socket!);
      const replies: Array<{ type: string; data: { requestId?: string; code?: string; message?: string } }> = [];
      monitor.socket!.on("message", (raw: Buffer) => replies.push(JSON.parse(raw.toString())));
      // 30 starts at once: the first boots the guest, the next ones wait for its lock; beyond the cap they are refused at once.
      for (let i = 0; i < 30; i++) monitor.socket!.send(JSON.stringify({ type: "command", data: { action: "start", requestId: `flood-${i}` } }));
      await waitForState(host.client, "crowded", "running");
      const refused = () => replies.filter((r) => r.type === "error" && r.data.code === "rate_limited");
      await expect.poll(() => replies.filter((r) => r.type === "response").length + refused().length, { timeout: 60_000 }).toBe(30);
      expect(refused()).toHaveLength(30 - MAX_COMMANDS_IN_FLIGHT);
      expect(refused()[0]!.data.message).toMatch(`${MAX_COMMANDS_IN_FLIGHT} commands are still under way`);
      const tasks = await host.client.call<{ tasks: Array<{ op: string; target: string }> }>("GET", "/api/v1/tasks?target=vm/crowded");
      expect(tasks.tasks.filter((t) => t.op === "vm.start")).toHaveLength(MAX_COMMANDS_IN_FLIGHT);

      const viewers = await Promise.all(Array.from({ length: MAX_CONSOLE_VIEWERS }, () => openWs("/ws/vms/crowded/console", tokens.otto!)));
      expect(viewers.every((v) => v.status === 101)).toBe(true);
      held.push(...viewers.map((v) => v.socket!));
      const late = await openWs("/ws/vms/crowded/console", tokens.otto!);
      expect(late.status).toBe(101);
      held.push(late.socket!);
      const [message, code] = await Promise.all([
        new Promise<{ type: string; data: { code: string; message: string } }>((resolve) => late.socket!.once("message", (raw: Buffer) => resolve(JSON.parse(raw.toString())))),
        new Promise<number>((resolve) => late.socket!.once("close", (c: number) => resolve(c))),
      ]);
      expect(message).toMatchObject({ type: "error", data: { code: "rate_limited", message: expect.stringContaining(`${MAX_CONSOLE_VIEWERS} console viewers`) } });
      expect(code).toBe(1013);
      // The viewers that got in see the guest and can type into it.
      const first = viewers[0]!.socket!;
      let text = "";
      first.on("message", (raw: Buffer) => {
        const m = JSON.parse(raw.toString()) as { type: string; data: { content?: string } };
        if (m.type === "console" && m.data.content) text += Buffer.from(m.data.content, "base64").toString("latin1");
      });
      await expect.poll(() => text.includes(GUEST_READY_LINE), { timeout: 60_000 }).toBe(true);
      first.send(JSON.stringify({ type: "console_input", data: { content: Buffer.from("echo crowd-$((40+2))\n").toString("base64") } }));
      await expect.poll(() => text.includes("crowd-42"), { timeout: 20_000 }).toBe(true);
    } finally {
      for (const socket of held) socket.terminate();
      await host.client.call("POST", "/api/v1/vms/crowded/power", { action: "stop", force: true }).catch(() => undefined);
    }
  }, 180_000);
});
