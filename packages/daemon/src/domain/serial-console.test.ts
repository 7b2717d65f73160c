import { describe, it, expect, afterEach } from "vitest";
import { createServer, type Server, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialConsole, MAX_CONSOLE_VIEWERS, MAX_INPUT_BACKLOG, MAX_VIEWER_IN_FLIGHT, MAX_VIEWER_MESSAGES_IN_FLIGHT, VIEWER_CHUNK_BYTES, SCROLLBACK_BYTES, skippedMarker, type ConsoleViewer } from "./serial-console.js";

const cleanups: Array<() => void> = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); });

/** A stand-in for QEMU's serial socket whose guest reads nothing until told to. */
async function stuckGuest(): Promise<{ path: string; peer: Promise<Socket>; server: Server }> {
  const dir = mkdtempSync(join(tmpdir(), "serial-test-"));
  const path = join(dir, "serial.sock");
  let accept!: (s: Socket) => void;
  const peer = new Promise<Socket>((resolve) => { accept = resolve; });
  const server = createServer((socket) => { socket.pause(); accept(socket); });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(() => { server.close(); rmSync(dir, { recursive: true, force: true }); });
  return { path, peer, server };
}

describe("serial console bounds", () => {
  it("stops queueing input a guest does not read, and takes it again once the guest catches up", async () => {
    const guest = await stuckGuest();
    const serial = new SerialConsole(guest.path, join(guest.path, "..", "console.log"));
    await serial.connect();
    cleanups.push(() => serial.close());
    const peer = await guest.peer;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let accepted = 0;
    for (let i = 0; i < 1000 && serial.write(chunk); i++) accepted += chunk.length;
    expect(serial.inputBacklogged).toBe(true);
    // What vmctld holds is bounded: the kernel's socket buffers plus the backlog cap, not the 64 MiB offered.
    expect(accepted).toBeLessThan(16 * 1024 * 1024);
    expect(accepted).toBeGreaterThan(MAX_INPUT_BACKLOG);
    peer.resume();
    await expect.poll(() => serial.inputBacklogged, { timeout: 10_000 }).toBe(false);
    expect(serial.write(Buffer.from("more"))).toBe(true);
  });

  it(`takes ${MAX_CONSOLE_VIEWERS} viewers and then says it is full`, async () => {
    const guest = await stuckGuest();
    const serial = new SerialConsole(guest.path, join(guest.path, "..", "console.log"));
    await serial.connect();
    cleanups.push(() => serial.close());
    const detach = Array.from({ length: MAX_CONSOLE_VIEWERS }, () => serial.attach({ output: (_chunk, sent) => sent(), end: () => {} }));
    expect(serial.full).toBe(true);
    detach[0]!();
    expect(serial.full).toBe(false);
  });
});

/** Output a guest prints: position i holds a byte derived from i, so a gap or a reordering shows. */
function guestOutput(from: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = 0x20 + (((from + i) * 13 + ((from + i) >> 10)) % 90);
  return out;
}

/** Writes `total` bytes to the console's QEMU end in pieces of `piece`, waiting for the socket to drain. */
async function print(peer: Socket, total: number, piece: number, from = 0): Promise<void> {
  for (let at = from; at < from + total; at += piece) {
    if (!peer.write(guestOutput(at, Math.min(piece, from + total - at)))) await new Promise((r) => peer.once("drain", r));
  }
}

/** A viewer that records what it got; `sent` calls are kept back while `stalled`, as a connection that does not drain. */
function recorder(): ConsoleViewer & { got: Buffer[]; buffers: Set<ArrayBufferLike>; text: () => Buffer; ended: boolean; stalled: boolean; pending: Array<() => void>; release: () => void } {
  const v = {
    got: [] as Buffer[], buffers: new Set<ArrayBufferLike>(), ended: false, stalled: false, pending: [] as Array<() => void>,
    text: () => Buffer.concat(v.got),
    output(chunk: Buffer, sent: () => void) { v.got.push(Buffer.from(chunk)); v.buffers.add(chunk.buffer); if (v.stalled) v.pending.push(sent); else sent(); },
    end() { v.ended = true; },
    release() { v.stalled = false; for (const sent of v.pending.splice(0)) sent(); },
  };
  return v;
}

async function consoleWithGuest(): Promise<{ serial: SerialConsole; peer: Socket }> {
  const guest = await stuckGuest();
  const serial = new SerialConsole(guest.path, join(guest.path, "..", "console.log"));
  await serial.connect();
  cleanups.push(() => serial.close());
  return { serial, peer: await guest.peer };
}

describe("serial console viewers", () => {
  it("a new viewer gets exactly the last 256 KiB a guest printed, then what follows", async () => {
    const { serial, peer } = await consoleWithGuest();
    const total = 300 * 1024;
    await print(peer, total, 100);
    await expect.poll(() => serial.scrollback().length).toBe(SCROLLBACK_BYTES);
    await expect.poll(() => serial.scrollback().equals(guestOutput(total - SCROLLBACK_BYTES, SCROLLBACK_BYTES))).toBe(true);
    const viewer = recorder();
    serial.attach(viewer);
    expect(viewer.text().equals(guestOutput(total - SCROLLBACK_BYTES, SCROLLBACK_BYTES))).toBe(true);
    expect(Math.max(...viewer.got.map((c) => c.length))).toBeLessThanOrEqual(VIEWER_CHUNK_BYTES);
    await print(peer, 5000, 1, total);
    await expect.poll(() => viewer.text().length).toBe(SCROLLBACK_BYTES + 5000);
    expect(viewer.text().equals(guestOutput(total - SCROLLBACK_BYTES, SCROLLBACK_BYTES + 5000))).toBe(true);
    // Many one-byte reads reach a viewer in far fewer pieces.
    expect(viewer.got.length).toBeLessThan(SCROLLBACK_BYTES / VIEWER_CHUNK_BYTES + 2500);
  });

  it("a viewer whose connection does not drain is handed a bounded amount, then skips ahead with a marker; the others miss nothing", async () => {
    const { serial, peer } = await consoleWithGuest();
    const fast = recorder();
    const slow = recorder();
    slow.stalled = true;
    serial.attach(fast);
    serial.attach(slow);
    const total = 1024 * 1024;
    await print(peer, total, 4096);
    await expect.poll(() => fast.text().length, { timeout: 20_000 }).toBe(total);
    expect(fast.text().equals(guestOutput(0, total))).toBe(true);
    // Every piece went out from the viewer's one staging buffer: nothing was allocated per message.
    expect(fast.got.length).toBeGreaterThan(total / VIEWER_CHUNK_BYTES - 1);
    expect(fast.buffers.size).toBe(1);
    // The stalled viewer was handed at most the bound (plus the piece that crossed it) and holds no more.
    const handed = slow.text().length;
    expect(handed).toBeLessThanOrEqual(MAX_VIEWER_IN_FLIGHT + VIEWER_CHUNK_BYTES);
    expect(serial.memory.inFlight).toBe(handed);
    expect(serial.memory.ring).toBe(SCROLLBACK_BYTES);
    // Once it drains it is told how much it missed, then gets the newest scroll-back in order.
    slow.release();
    await expect.poll(() => slow.text().length).toBe(handed + skippedMarker(total - SCROLLBACK_BYTES - handed).length + SCROLLBACK_BYTES);
    const text = slow.text();
    expect(text.subarray(0, handed).equals(guestOutput(0, handed))).toBe(true);
    expect(text.subarray(handed).toString("latin1")).toContain(`[vmctl: ${total - SCROLLBACK_BYTES - handed} bytes of console output skipped: this viewer fell behind]`);
    expect(text.subarray(text.length - SCROLLBACK_BYTES).equals(guestOutput(total - SCROLLBACK_BYTES, SCROLLBACK_BYTES))).toBe(true);
    expect(serial.memory.inFlight).toBe(0);
  });

  it("a lagging viewer of a guest printing a few bytes at a time holds a few messages, and gets the rest gathered", async () => {
    const { serial, peer } = await consoleWithGuest();
    const slow = recorder();
    slow.stalled = true;
    serial.attach(slow);
    const total = 20_000;
    for (let at = 0; at < total; at += 4) {
      peer.write(guestOutput(at, 4));
      // Let vmctld's side read each piece on its own, as it reads a UART's output.
      if (at % 400 === 0) await new Promise((r) => setImmediate(r));
    }
    await expect.poll(() => serial.scrollback().length).toBe(total);
    expect(slow.got.length).toBeLessThanOrEqual(MAX_VIEWER_MESSAGES_IN_FLIGHT);
    expect(serial.memory.messagesInFlight).toBe(slow.got.length);
    slow.release();
    await expect.poll(() => slow.text().length).toBe(total);
    expect(slow.text().equals(guestOutput(0, total))).toBe(true);
    expect(slow.got.length).toBeLessThanOrEqual(MAX_VIEWER_MESSAGES_IN_FLIGHT + Math.ceil(total / VIEWER_CHUNK_BYTES));
  });

  it("a viewer that left is fed nothing more", async () => {
    const { serial, peer } = await consoleWithGuest();
    const stays = recorder();
    const leaves = recorder();
    serial.attach(stays);
    const detach = serial.attach(leaves);
    await print(peer, 100, 10);
    await expect.poll(() => leaves.text().length).toBe(100);
    detach();
    detach();
    expect(serial.viewerCount).toBe(1);
    await print(peer, 100, 10, 100);
    await expect.poll(() => stays.text().length).toBe(200);
    expect(leaves.text().length).toBe(100);
  });

  it("when the console ends every viewer gets the rest of the output, then the end, and the ring is given back", async () => {
    const { serial, peer } = await consoleWithGuest();
    const slow = recorder();
    slow.stalled = true;
    serial.attach(slow);
    await print(peer, 200 * 1024, 8192);
    await expect.poll(() => serial.scrollback().length).toBe(200 * 1024);
    await new Promise<void>((resolve) => { peer.end(); peer.once("close", () => resolve()); });
    await expect.poll(() => slow.ended).toBe(true);
    expect(slow.text().equals(guestOutput(0, 200 * 1024))).toBe(true);
    expect(serial.ended).toBe(true);
    expect(serial.memory).toEqual({ ring: 0, inFlight: 0, messagesInFlight: 0 });
    const late = recorder();
    serial.attach(late);
    expect(late.ended).toBe(true);
  });
});
