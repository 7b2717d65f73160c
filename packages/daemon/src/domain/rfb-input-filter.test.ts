import { describe, it, expect } from "vitest";
import { RfbInputFilter } from "./rfb-input-filter.js";

describe("RfbInputFilter", () => {
  it("passes the handshake and viewing messages, drops keys, pointer and clipboard, across chunk borders", () => {
    const filter = new RfbInputFilter();
    const handshake = Buffer.concat([Buffer.from("RFB 003.008\n"), Buffer.from([1]), Buffer.from([1])]);
    const setEncodings = Buffer.from([2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 7]);
    const update = Buffer.from([3, 0, 0, 0, 0, 0, 2, 128, 1, 224]);
    const key = Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61]);
    const pointer = Buffer.from([5, 1, 0, 10, 0, 10]);
    const cut = Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 3]), Buffer.from("abc")]);
    const qemuKey = Buffer.from([255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0x1e]);
    const stream = Buffer.concat([handshake, setEncodings, key, update, pointer, cut, qemuKey, update]);
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 5) out.push(filter.pass(stream.subarray(i, i + 5)));
    expect(Buffer.concat(out)).toEqual(Buffer.concat([handshake, setEncodings, update, update]));
  });
});
