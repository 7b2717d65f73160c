import { describe, it, expect } from "vitest";
import { Readable } from "node:stream";
import { beforeLastChunk } from "./last-chunk-gate.js";

describe("beforeLastChunk", () => {
  it("passes every byte in order, and runs `before` before the last chunk can reach the reader", async () => {
    let received = "";
    let seenBefore: string | undefined;
    const gated = beforeLastChunk(Readable.from([Buffer.from("ab"), Buffer.from("cd"), Buffer.from("ef")]), async () => { seenBefore = received; });
    for await (const chunk of gated) received += (chunk as Buffer).toString();
    expect(received).toBe("abcdef");
    expect(["", "ab", "abcd"]).toContain(seenBefore);
  });

  it("runs `before` for an empty stream too, and fails the stream when `before` or the source fails", async () => {
    let ran = false;
    const empty: Buffer[] = [];
    for await (const chunk of beforeLastChunk(Readable.from([]), async () => { ran = true; })) empty.push(chunk as Buffer);
    expect([ran, empty]).toEqual([true, []]);
    await expect((async () => { for await (const _ of beforeLastChunk(Readable.from([Buffer.from("x")]), () => Promise.reject(new Error("task gone")))) { /* drain */ } })()).rejects.toThrow("task gone");
    const broken = new Readable({ read() { this.destroy(new Error("EIO")); } });
    await expect((async () => { for await (const _ of beforeLastChunk(broken, async () => {})) { /* drain */ } })()).rejects.toThrow("EIO");
  });
});
