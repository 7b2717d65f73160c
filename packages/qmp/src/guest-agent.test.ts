// The guest agent's framing against a scripted peer on a unix socket (pure logic: no QEMU, no guest).
import { describe, it, expect, afterEach, vi } from "vitest";
import { createServer, type Server, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GuestAgentClient, GuestAgentError, MAX_AGENT_LINE } from "./guest-agent.js";

interface Message { execute: string; arguments?: Record<string, unknown>; id?: string }

let dir: string | undefined;
let server: Server | undefined;
const clients: GuestAgentClient[] = [];

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  server?.close();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A fake agent: `onMessage` answers each JSON line; `raw` keeps every byte the client sent. */
async function fakeAgent(onMessage: (message: Message, peer: Socket) => void, onConnect?: (peer: Socket) => void): Promise<{ path: string; raw: Buffer[]; messages: Message[] }> {
  dir = mkdtempSync(join(tmpdir(), "qga-test-"));
  const path = join(dir, "qga.sock");
  const raw: Buffer[] = [];
  const messages: Message[] = [];
  server = createServer((peer) => {
    onConnect?.(peer);
    let buffer = "";
    peer.on("data", (chunk: Buffer) => {
      raw.push(chunk);
      buffer += chunk.toString("latin1").replace(/\xff/g, "");
      let i: number;
      while ((i = buffer.indexOf("\n")) >= 0) {
        const message = JSON.parse(buffer.slice(0, i)) as Message;
        buffer = buffer.slice(i + 1);
        messages.push(message);
        onMessage(message, peer);
      }
    });
    peer.on("error", () => {});
  });
  await new Promise<void>((resolve) => server!.listen(path, resolve));
  return { path, raw, messages };
}

function client(path: string, options: ConstructorParameters<typeof GuestAgentClient>[1] = {}): GuestAgentClient {
  const c = new GuestAgentClient(path, { timeoutMs: 500, syncTimeoutMs: 300, ...options });
  clients.push(c);
  return c;
}

/** A well-behaved agent: sync answers behind 0xFF, commands echo their id. */
function answer(returns: Record<string, unknown>) {
  return (message: Message, peer: Socket) => {
    if (message.execute === "guest-sync-delimited") peer.write(Buffer.concat([Buffer.from([0xff]), Buffer.from(`${JSON.stringify({ return: message.arguments!.id })}\n`)]));
    else if (message.execute in returns) peer.write(`${JSON.stringify({ return: returns[message.execute], id: message.id })}\n`);
  };
}

describe("GuestAgentClient", () => {
  it("syncs first with 0xFF and a random id, and discards what the channel held from before", async () => {
    const agent = await fakeAgent((message, peer) => {
      if (message.execute === "guest-sync-delimited") {
        // Answers to an earlier vmctld's sync and command reach this one first.
        peer.write(Buffer.concat([Buffer.from('{"return": {"stale": 1}, "id": "vmctl-1"}\n'), Buffer.from([0xff]), Buffer.from('{"return": 42}\n'),
          Buffer.from([0xff]), Buffer.from(`{"return": ${message.arguments!.id as number}}\n`)]));
      } else {
        peer.write(`{"return": {"stale": 2}, "id": "vmctl-99"}\n${JSON.stringify({ return: { "host-name": "web1" }, id: message.id })}\n`);
      }
    }, (peer) => peer.write("half a line from before {\"ret"));
    const c = client(agent.path);
    expect(await c.hostName()).toEqual({ "host-name": "web1" });
    expect(agent.raw[0]![0]).toBe(0xff);
    expect(agent.messages[0]!.execute).toBe("guest-sync-delimited");
    expect(typeof agent.messages[0]!.arguments!.id).toBe("number");
    // A second command needs no new sync.
    await c.hostName();
    expect(agent.messages.map((m) => m.execute)).toEqual(["guest-sync-delimited", "guest-get-host-name", "guest-get-host-name"]);
  });

  it("a channel with no agent behind it is 'not connected' within the sync timeout, never a hang, and connects once one answers", async () => {
    let alive = false;
    const agent = await fakeAgent((message, peer) => { if (alive) answer({ "guest-ping": {} })(message, peer); });
    const c = client(agent.path);
    const error = await c.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuestAgentError);
    expect((error as GuestAgentError).kind).toBe("not-connected");
    expect(await c.connected()).toBe(false);
    alive = true;
    expect(await c.connected()).toBe(true);
  });

  it("writes nothing while the guest has the channel closed (it would wait there for a later agent)", async () => {
    const agent = await fakeAgent(answer({ "guest-ping": {} }));
    let open = false;
    const c = client(agent.path, { isOpen: async () => open });
    expect(await c.ping().catch((e: GuestAgentError) => e.kind)).toBe("not-connected");
    expect(agent.raw).toEqual([]);
    open = true;
    expect(await c.ping()).toEqual({});
  });

  it("after a timed-out command the next one syncs again and a late answer is not taken for its own", async () => {
    let slow = true;
    const agent = await fakeAgent((message, peer) => {
      if (message.execute === "guest-get-osinfo" && slow) {
        slow = false;
        setTimeout(() => peer.write(`${JSON.stringify({ return: { id: "late" }, id: message.id })}\n`), 700);
        return;
      }
      answer({ "guest-get-osinfo": { id: "debian", name: "Debian GNU/Linux" } })(message, peer);
    });
    const c = client(agent.path);
    expect(await c.osInfo().catch((e: GuestAgentError) => e.kind)).toBe("timeout");
    await new Promise((r) => setTimeout(r, 300));
    expect(await c.osInfo()).toEqual({ id: "debian", name: "Debian GNU/Linux" });
    expect(agent.messages.filter((m) => m.execute === "guest-sync-delimited")).toHaveLength(2);
  });

  it("an agent error is a command error with its description", async () => {
    const agent = await fakeAgent((message, peer) => {
      if (message.execute === "guest-sync-delimited") return answer({})(message, peer);
      peer.write(`${JSON.stringify({ error: { class: "GenericError", desc: "fsfreeze is disabled" }, id: message.id })}\n`);
    });
    const error = await client(agent.path).fsfreezeFreeze().catch((e: unknown) => e as GuestAgentError);
    expect([error.kind, error.agentClass, error.message]).toEqual(["command", "GenericError", 'guest agent: "guest-fsfreeze-freeze" failed: fsfreeze is disabled']);
  });

  it("a hostile agent's error carries no control character (terminal escapes, line breaks) to whoever prints it", async () => {
    // vmctl guest password prints this error; an OSC 52 would write the admin's clipboard, CSI 2J clear the screen.
    const agent = await fakeAgent((message, peer) => {
      if (message.execute === "guest-sync-delimited") return answer({})(message, peer);
      peer.write(`${JSON.stringify({ error: { class: "Generic\u001b[31mError", desc: "\u001b]52;c;cm0gLXJmIH4=\u0007\u001b[2Jno such user\r\nvmctl: password set\u009b1m" }, id: message.id })}\n`);
    });
    const error = await client(agent.path).setUserPassword("root", "pw").catch((e: unknown) => e as GuestAgentError);
    expect(error.kind).toBe("command");
    expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(error.message).toContain("no such user");
    expect(error.agentClass).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it("a freeze or thaw count that is no count (a string of escapes, a huge text) is a protocol error, never text for the task log", async () => {
    const agent = await fakeAgent(answer({ "guest-fsfreeze-freeze": "\u001b[2J\u001b]52;c;eA==\u0007frozen", "guest-fsfreeze-thaw": "x".repeat(100_000) }));
    const c = client(agent.path);
    expect(await c.fsfreezeFreeze().catch((e: GuestAgentError) => [e.kind, e.message])).toEqual(["protocol", 'guest agent: "guest-fsfreeze-freeze" answered no count of filesystems']);
    expect(await c.fsfreezeThaw().catch((e: GuestAgentError) => e.kind)).toBe("protocol");
  });

  it("guest-shutdown's success is no answer; its failure is an error", async () => {
    let refuse = false;
    const agent = await fakeAgent((message, peer) => {
      if (message.execute === "guest-sync-delimited") return answer({})(message, peer);
      if (refuse) peer.write(`${JSON.stringify({ error: { class: "GenericError", desc: "shutdown refused" }, id: message.id })}\n`);
    });
    const c = client(agent.path);
    await expect(c.shutdown("powerdown", 200)).resolves.toBeUndefined();
    expect(agent.messages.at(-1)).toMatchObject({ execute: "guest-shutdown", arguments: { mode: "powerdown" } });
    refuse = true;
    await expect(c.shutdown("powerdown", 1000)).rejects.toThrow("shutdown refused");
  });

  it("sends guest-set-time's nanoseconds as an exact integer and the password base64, never in clear", async () => {
    const agent = await fakeAgent(answer({ "guest-set-time": {}, "guest-set-user-password": {} }));
    const c = client(agent.path);
    await c.setTime(new Date(1764770000123));
    await c.setUserPassword("root", "s3cret,pässword");
    const sent = Buffer.concat(agent.raw).toString("latin1");
    expect(sent).toContain('"time":1764770000123000000');
    expect(sent).not.toContain("s3cret");
    expect(agent.messages.at(-1)!.arguments).toEqual({ username: "root", password: Buffer.from("s3cret,pässword").toString("base64"), crypted: false });
  });

  it("a hostile guest's endless line drops the channel instead of filling vmctld's memory", async () => {
    const agent = await fakeAgent((message, peer) => {
      if (message.execute === "guest-sync-delimited") return answer({})(message, peer);
      peer.write(Buffer.alloc(MAX_AGENT_LINE + 4096, 0x61));
    });
    const error = await client(agent.path).ping().catch((e: unknown) => e as GuestAgentError);
    expect(error.kind).toBe("protocol");
  });

  it("between commands a flooding guest's lines are dropped unread (never parsed), and the next command still gets its answer", async () => {
    const junk = Buffer.from(`${JSON.stringify({ return: "j".repeat(10_000) })}\n`.repeat(200));
    let flooder: Socket | undefined;
    const agent = await fakeAgent((message, peer) => {
      answer({ "guest-ping": {}, "guest-get-host-name": { "host-name": "after" } })(message, peer);
      if (message.execute === "guest-ping") setImmediate(() => { peer.write(junk, () => { flooder = peer; }); });
    });
    const c = client(agent.path);
    await c.ping();
    const socket = (c as unknown as { socket: { bytesRead: number } }).socket;
    const parse = vi.spyOn(JSON, "parse");
    try {
      // Every byte the guest wrote has been read by the client.
      await expect.poll(() => flooder !== undefined && flooder.bytesWritten === socket.bytesRead).toBe(true);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    expect(await c.hostName()).toEqual({ "host-name": "after" });
  });

  it("queues commands: one exchange at a time, answers to the right caller", async () => {
    const agent = await fakeAgent(answer({ "guest-get-host-name": { "host-name": "a" }, "guest-fsfreeze-status": "thawed" }));
    const c = client(agent.path);
    const [host, status] = await Promise.all([c.hostName(), c.fsfreezeStatus()]);
    expect([host, status]).toEqual([{ "host-name": "a" }, "thawed"]);
  });

  it("a socket nobody serves (QEMU gone) is not connected", async () => {
    const c = client(join(tmpdir(), `no-such-qga-${process.pid}.sock`));
    expect(await c.ping().catch((e: GuestAgentError) => e.kind)).toBe("not-connected");
  });
});
