// The WebSocket contract of shared/WS-PROTOCOL.md, against a real guest.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import WebSocket from "ws";
import { request } from "node:http";
import { TestHost, ConsoleReader, guestDefinition, waitForState, GUEST_READY_LINE } from "./harness.js";

let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$/;

interface Message { type: string; timestamp: string; data: Record<string, unknown> }

function monitor(name: string) {
  const socket = new WebSocket(`ws+unix://${host.home}/vmctld.sock:/ws/vms/${name}`);
  const messages: Message[] = [];
  const waiters: Array<() => void> = [];
  socket.on("message", (raw) => { messages.push(JSON.parse(raw.toString()) as Message); waiters.forEach((w) => w()); });
  const next = (match: (m: Message) => boolean, timeoutMs = 60_000) => new Promise<Message>((resolve, reject) => {
    const check = () => {
      const found = messages.find(match);
      if (found) { clearTimeout(timer); resolve(found); }
    };
    const timer = setTimeout(() => reject(new Error(`no matching message; got ${JSON.stringify(messages.slice(-5))}`)), timeoutMs);
    waiters.push(check);
    check();
  });
  const opened = new Promise((resolve) => socket.once("open", resolve));
  return { socket, messages, next, opened };
}

describe("/ws/vms/:name", () => {
  it("sends status on connect and on change, answers a start command with its requestId, then streams measured metrics", async () => {
    await host.client.createVm(guestDefinition("mon", { disks: { disk0: { file: "mon/disk0.qcow2", size: "16MiB" } } }));
    const ws = monitor("mon");
    await ws.opened;
    const first = await ws.next((m) => m.type === "status");
    expect(first.timestamp).toMatch(TIMESTAMP);
    expect(first.data).toMatchObject({ status: "stopped", state: "stopped", uptime: 0 });
    expect(first.data.lastStateChange).toMatch(TIMESTAMP);

    // A malformed message gets an error and the connection stays usable.
    ws.socket.send("{nope");
    expect((await ws.next((m) => m.type === "error")).data).toMatchObject({ code: "bad_request", message: "message is not JSON" });
    ws.socket.send(JSON.stringify({ type: "command", data: { action: "explode", requestId: "r0" } }));
    expect((await ws.next((m) => m.type === "response" && m.data.requestId === "r0")).data).toMatchObject({ success: false });

    ws.socket.send(JSON.stringify({ type: "command", data: { action: "start", requestId: "req-42" } }));
    const response = await ws.next((m) => m.type === "response" && m.data.requestId === "req-42");
    expect(response.data).toMatchObject({ requestId: "req-42", success: true });
    expect(ws.messages.filter((m) => m.type === "status").map((m) => m.data.state)).toEqual(["stopped", "starting", "running"]);

    const console = await ConsoleReader.open(host.client, "mon");
    await console.waitFor(GUEST_READY_LINE);
    await console.run("dd if=/dev/vda of=/dev/null bs=64k count=64 2>/dev/null");
    console.close();
    // Two samples are needed for a CPU figure; the disk counters show the guest's reads.
    const metrics = await ws.next((m) => m.type === "metrics" && m.data.cpu !== undefined && ((m.data.disk as { readBytes: number } | undefined)?.readBytes ?? 0) >= 4 * 1024 * 1024, 20_000);
    const cpu = metrics.data.cpu as { utilization: number };
    expect(cpu.utilization).toBeGreaterThanOrEqual(0);
    expect(cpu.utilization).toBeLessThanOrEqual(100);
    const memory = metrics.data.memory as { used: number; total: number };
    expect(memory.total).toBeGreaterThan(100 * 1024 ** 2);
    expect(memory.used).toBeGreaterThan(0);
    expect(memory.used).toBeLessThanOrEqual(memory.total);
    expect(metrics.data.disk).toMatchObject({ readOps: expect.any(Number), writeBytes: expect.any(Number) });
    expect(metrics.data).not.toHaveProperty("network"); // user-mode NAT has no counters: left out, not zeroed

    ws.socket.send(JSON.stringify({ type: "command", data: { action: "stop", requestId: "req-43" } }));
    expect((await ws.next((m) => m.type === "response" && m.data.requestId === "req-43")).data).toMatchObject({ success: true });
    expect((await ws.next((m) => m.type === "status" && m.data.state === "stopped" && ws.messages.indexOf(m) > ws.messages.indexOf(response))).data.status).toBe("stopped");
    ws.socket.close();
  });
});

describe("the shared serial console", () => {
  it("two viewers see the same output, a late one gets the scroll-back, and input from either reaches the guest", async () => {
    await host.client.createVm(guestDefinition("shared"));
    expect((await host.cli(["start", "shared"])).code).toBe(0);
    const early = await ConsoleReader.open(host.client, "shared");
    await early.waitFor(GUEST_READY_LINE);
    expect(await early.run("echo from-early-$((1+1))")).toContain("from-early-2");

    const late = await ConsoleReader.open(host.client, "shared");
    await late.waitFor("from-early-2", 5_000); // scroll-back
    expect(late.text).toContain(GUEST_READY_LINE);
    const from = early.text.length;
    expect(await late.run("echo from-late-$((2+2))")).toContain("from-late-4");
    await early.waitFor("from-late-4", 5_000, from);

    // Bad input is refused with an error and the console stays usable.
    late.type("");
    const socket = host.client.openConsole("shared");
    const errors: string[] = [];
    socket.on("message", (raw) => { const m = JSON.parse(raw.toString()); if (m.type === "error") errors.push(m.data.code); });
    await new Promise((r) => socket.once("open", r));
    socket.send(Buffer.from([1, 2, 3]));
    socket.send(JSON.stringify({ type: "console_input", data: { content: 42 } }));
    socket.send("x".repeat(70_000));
    await new Promise((r) => setTimeout(r, 300));
    expect(errors).toEqual(["bad_request", "bad_request", "payload_too_large"]);
    expect(await late.run("echo still-$((3+3))")).toContain("still-6");
    // A flood is refused with rate_limited, and the console goes on for everyone.
    for (let i = 0; i < 600; i++) socket.send(JSON.stringify({ type: "console_input", data: { content: "" } }));
    for (let i = 0; i < 50 && !errors.includes("rate_limited"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(errors).toContain("rate_limited");
    expect(await late.run("echo after-flood-$((4+4))")).toContain("after-flood-8");
    socket.close();
    early.close();
    late.close();
    expect((await host.cli(["stop", "--force", "shared"])).code).toBe(0);
  });

  it("the binary subprotocol carries raw console bytes both ways", async () => {
    await host.client.createVm(guestDefinition("binary"));
    expect((await host.cli(["start", "binary"])).code).toBe(0);
    const socket = new WebSocket(`ws+unix://${host.home}/vmctld.sock:/ws/vms/binary/console`, ["vmctl.console.binary.v1"]);
    let text = "";
    const frames: boolean[] = [];
    socket.on("message", (raw, isBinary) => { frames.push(isBinary); if (isBinary) text += Buffer.from(raw as Buffer).toString("latin1"); });
    await new Promise((r) => socket.once("open", r));
    expect(socket.protocol).toBe("vmctl.console.binary.v1");
    const waitFor = async (needle: string) => {
      for (let i = 0; i < 600 && !text.includes(needle); i++) await new Promise((r) => setTimeout(r, 100));
      expect(text).toContain(needle);
    };
    await waitFor(GUEST_READY_LINE);
    socket.send(Buffer.from("echo bin-$((6*7))\n"), { binary: true });
    await waitFor("bin-42");
    expect(frames.every(Boolean)).toBe(true);
    const closed = new Promise<number>((r) => socket.once("close", (code) => r(code)));
    expect((await host.cli(["stop", "--force", "binary"])).code).toBe(0);
    expect(await closed).toBe(1000);
  });

});

describe("/ws/events", () => {
  it("resumed after a disconnect from the last id seen, misses no event and repeats none", async () => {
    const open = (since?: number) => {
      const socket = host.client.openEvents(since === undefined ? {} : { since });
      const ids: number[] = [];
      socket.on("message", (raw) => { const m = JSON.parse(raw.toString()); if (m.type === "event") ids.push(m.data.id); });
      return { socket, ids, opened: new Promise((r) => socket.once("open", r)) };
    };
    const first = open();
    await first.opened;
    await host.client.createVm(guestDefinition("ev-1"));
    for (let i = 0; i < 50 && first.ids.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    first.socket.close();
    const lastSeen = first.ids.at(-1)!;
    // Events happen while nobody listens.
    for (const name of ["ev-2", "ev-3", "ev-4"]) await host.client.createVm(guestDefinition(name));
    const second = open(lastSeen);
    await second.opened;
    await host.client.createVm(guestDefinition("ev-5"));
    const expected = (await host.client.listEvents({ since: lastSeen })).map((e) => e.id);
    for (let i = 0; i < 50 && second.ids.length < expected.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(expected.length).toBeGreaterThanOrEqual(4);
    expect(second.ids).toEqual(expected);
    second.socket.close();
  });
});

describe("screen and keyboard", () => {
  it("a screenshot is a PNG of the VM's display, and Ctrl-Alt-Del sent as keys powers the guest off", async () => {
    await host.client.createVm(guestDefinition("screen"));
    const stopped = await host.client.raw("GET", "/api/v1/vms/screen/screenshot");
    expect(stopped.status).toBe(409);
    expect((await host.cli(["start", "screen"])).code).toBe(0);
    const console = await ConsoleReader.open(host.client, "screen");
    await console.waitFor(GUEST_READY_LINE);
    const png = await new Promise<Buffer>((resolve, reject) => {
      const req = request({ socketPath: `${host.home}/vmctld.sock`, path: "/api/v1/vms/screen/screenshot" }, (res) => {
        expect(res.headers["content-type"]).toBe("image/png");
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks)));
      });
      req.on("error", reject);
      req.end();
    });
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(640); // width from IHDR
    expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(200); // height

    const bad = await host.client.call("POST", "/api/v1/vms/screen/sendkey", { text: "naïve" }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400, message: expect.stringContaining('cannot type "ï"') });
    expect(await host.client.call("POST", "/api/v1/vms/screen/sendkey", { keys: ["ctrl", "alt", "delete"] })).toEqual({ sent: 1 });
    await waitForState(host.client, "screen", "stopped", 30_000);
    expect((await host.client.getVm("screen")).lastExitReason).toBe("guest-shutdown");
    console.close();
  });
});
