import { describe, it, expect, afterEach } from "vitest";
import { createServer, type Server, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialConsole, MAX_CONSOLE_VIEWERS, MAX_INPUT_BACKLOG } from "./serial-console.js";

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
    const detach = Array.from({ length: MAX_CONSOLE_VIEWERS }, () => serial.attach({ output: () => {}, end: () => {} }));
    expect(serial.full).toBe(true);
    detach[0]!();
    expect(serial.full).toBe(false);
  });
});
