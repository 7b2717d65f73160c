// Protocol logic against a scripted QMP peer on a unix socket (pure logic: no QEMU involved).
import { describe, it, expect, afterEach } from "vitest";
import { createServer, type Server, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QmpClient, QmpError } from "./qmp-client.js";

const GREETING = JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 }, package: "" }, capabilities: [] } });
let dir: string;
let server: Server | undefined;

afterEach(() => {
  server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function fakeQemu(onCommand: (message: { execute: string; id?: string; arguments?: unknown }, peer: Socket) => void): Promise<string> {
  dir = mkdtempSync(join(tmpdir(), "qmp-test-"));
  const path = join(dir, "qmp.sock");
  server = createServer((peer) => {
    peer.write(`${GREETING}\r\n`);
    let buffer = "";
    peer.on("data", (chunk) => {
      buffer += chunk.toString();
      let i: number;
      while ((i = buffer.indexOf("\n")) >= 0) {
        const message = JSON.parse(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
        if (message.execute === "qmp_capabilities") peer.write(`${JSON.stringify({ return: {}, id: message.id })}\r\n`);
        else onCommand(message, peer);
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(path, resolve));
  return path;
}

describe("QmpClient", () => {
  it("negotiates, matches out-of-order replies by id and delivers events", async () => {
    const held: Array<{ id?: string; execute: string }> = [];
    const path = await fakeQemu((message, peer) => {
      held.push(message);
      if (held.length === 2) {
        peer.write(`${JSON.stringify({ event: "STOP", data: {}, timestamp: { seconds: 1, microseconds: 2 } })}\r\n`);
        for (const m of held.reverse()) peer.write(`${JSON.stringify({ return: { echo: m.execute }, id: m.id })}\r\n`);
      }
    });
    const qmp = await QmpClient.connect(path);
    expect(qmp.version.qemu.major).toBe(7);
    const events: string[] = [];
    qmp.on("event", (event) => events.push(event.event));
    const [a, b] = await Promise.all([qmp.execute("query-status"), qmp.execute("stop")]);
    expect(a).toEqual({ echo: "query-status" });
    expect(b).toEqual({ echo: "stop" });
    expect(events).toEqual(["STOP"]);
    qmp.close();
  });

  it("turns a QMP error into a QmpError with the class", async () => {
    const path = await fakeQemu((message, peer) => peer.write(`${JSON.stringify({ error: { class: "CommandNotFound", desc: "The command nope has not been found" }, id: message.id })}\n`));
    const qmp = await QmpClient.connect(path);
    const error = await qmp.execute("nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpError);
    expect(error).toMatchObject({ kind: "command", qmpClass: "CommandNotFound" });
    qmp.close();
  });

  it("times out a command that gets no answer, and fails pending commands when QEMU goes away", async () => {
    let peerSocket: Socket | undefined;
    const path = await fakeQemu((_message, peer) => { peerSocket = peer; });
    const qmp = await QmpClient.connect(path);
    await expect(qmp.execute("query-status", undefined, { timeoutMs: 50 })).rejects.toMatchObject({ kind: "timeout" });
    const pending = qmp.execute("query-status");
    const closed = new Promise((resolve) => qmp.once("close", resolve));
    await new Promise((r) => setTimeout(r, 20));
    peerSocket!.destroy();
    await expect(pending).rejects.toMatchObject({ kind: "closed" });
    await closed;
    await expect(qmp.execute("cont")).rejects.toMatchObject({ kind: "closed" });
  });

  it("fails to connect with a clear error when nothing listens", async () => {
    await expect(QmpClient.connect("/nonexistent/qmp.sock")).rejects.toMatchObject({ kind: "connect" });
  });
});
