import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { ConsoleRing } from "./console-ring.js";
import { SCROLLBACK_BYTES } from "./serial-console.js";

/** Bytes that say where they came from: position i holds a byte of i, so a misplaced copy shows. */
function pattern(from: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = ((from + i) * 7 + ((from + i) >> 8)) & 0xff;
  return out;
}

describe("ConsoleRing", () => {
  it("wraps around: after more than its capacity it holds the newest bytes in order", () => {
    const ring = new ConsoleRing(8);
    ring.write(Buffer.from("abcde"));
    expect(ring.snapshot().toString()).toBe("abcde");
    ring.write(Buffer.from("fghij"));
    expect(ring.snapshot().toString()).toBe("cdefghij");
    expect([ring.start, ring.end, ring.size]).toEqual([2, 10, 8]);
    ring.write(Buffer.from("k"));
    expect(ring.snapshot().toString()).toBe("defghijk");
    // A read from a position it no longer holds starts at the oldest byte it has.
    expect(ring.read(0, 3).toString()).toBe("def");
    expect(ring.read(9).toString()).toBe("jk");
    expect(ring.read(11).length).toBe(0);
  });

  it("a write larger than the ring keeps only its last capacity bytes, at the right place", () => {
    const ring = new ConsoleRing(8);
    ring.write(Buffer.from("xyz"));
    ring.write(Buffer.from("0123456789ABCDEF"));
    expect(ring.snapshot().toString()).toBe("89ABCDEF");
    expect(ring.end).toBe(19);
    ring.write(Buffer.from("GH"));
    expect(ring.snapshot().toString()).toBe("ABCDEFGH");
  });

  it(`keeps exactly the last ${SCROLLBACK_BYTES / 1024} KiB of 300 KiB written in reads of every size`, () => {
    const ring = new ConsoleRing(SCROLLBACK_BYTES);
    const total = 300 * 1024;
    const sizes = [1, 3, 16, 17, 255, 4096, 65_536, 7];
    for (let at = 0, i = 0; at < total; i++) {
      const length = Math.min(sizes[i % sizes.length]!, total - at);
      ring.write(pattern(at, length));
      at += length;
    }
    expect(ring.end).toBe(total);
    expect(ring.snapshot().equals(pattern(total - SCROLLBACK_BYTES, SCROLLBACK_BYTES))).toBe(true);
    expect(ring.allocated).toBe(SCROLLBACK_BYTES);
  });

  it("copies what it is given and hands out copies: neither side shares memory with it", () => {
    const ring = new ConsoleRing(16);
    const chunk = Buffer.from("hello");
    ring.write(chunk);
    chunk.fill(0x21);
    const snap = ring.snapshot();
    expect(snap.toString()).toBe("hello");
    expect(snap.buffer).not.toBe(chunk.buffer);
    snap.fill(0x21);
    expect(ring.snapshot().toString()).toBe("hello");
    // A small piece of a larger allocation is not kept: the ring's one buffer is all it holds.
    const pool = Buffer.alloc(64 * 1024, 0x61);
    ring.write(pool.subarray(0, 3));
    expect(ring.allocated).toBe(16);
  });

  it("released, it holds nothing, keeps its positions and reads empty", () => {
    const ring = new ConsoleRing(8);
    ring.write(Buffer.from("abcdefghij"));
    ring.release();
    expect(ring.allocated).toBe(0);
    expect([ring.start, ring.end, ring.size]).toEqual([10, 10, 0]);
    expect(ring.snapshot().length).toBe(0);
    expect(() => ring.write(Buffer.from("x"))).toThrow(/released/);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new ConsoleRing(0)).toThrow(RangeError);
    expect(() => new ConsoleRing(1.5)).toThrow(RangeError);
  });

  it("agrees with a model that keeps every byte ever written (property)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("write" as const), bytes: fc.uint8Array({ minLength: 0, maxLength: 80 }) }),
      fc.record({ kind: fc.constant("read" as const), back: fc.nat(120), max: fc.integer({ min: 0, max: 120 }) }),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
      const ring = new ConsoleRing(capacity);
      let all = Buffer.alloc(0);
      for (const o of ops) {
        if (o.kind === "write") {
          ring.write(o.bytes);
          all = Buffer.concat([all, o.bytes]);
        } else {
          const from = Math.max(0, all.length - o.back);
          const begin = Math.max(from, all.length - capacity);
          expect(ring.read(from, o.max).equals(all.subarray(begin, Math.min(all.length, begin + o.max)))).toBe(true);
          // A view is a prefix of the same bytes, up to where the ring wraps, and no copy.
          const view = ring.view(from, o.max);
          expect(view.equals(all.subarray(begin, begin + view.length))).toBe(true);
          expect(view.length === Math.min(all.length - begin, o.max) || (begin + view.length) % capacity === 0).toBe(true);
          if (view.length > 0) expect(view.buffer).toBe(ring.view(ring.start).buffer);
        }
        expect(ring.end).toBe(all.length);
        expect(ring.start).toBe(Math.max(0, all.length - capacity));
        expect(ring.snapshot().equals(all.subarray(Math.max(0, all.length - capacity)))).toBe(true);
      }
    }), { numRuns: 500 });
  });
});
