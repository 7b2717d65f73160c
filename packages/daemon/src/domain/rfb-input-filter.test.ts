import { describe, it, expect } from "vitest";
import { RfbInputFilter, MAX_HELD_BYTES } from "./rfb-input-filter.js";
import { MAX_CUT_TEXT, MAX_ENCODINGS } from "./rfb-input-filter-messages.js";

const version = (v: string) => Buffer.from(`RFB ${v}\n`, "latin1");
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const bytes = (...parts: Array<Buffer | number[]>) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));

const pixelFormat = bytes([0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
const encodings = bytes([2, 0, 0, 2], u32(7), u32(0));
const update = bytes([3, 0, 0, 0, 0, 0, 2, 128, 1, 224]);
const key = bytes([4, 1, 0, 0], u32(0x61));
const pointer = bytes([5, 1, 0, 10, 0, 10]);
const cut = (text: string) => bytes([6, 0, 0, 0], u32(text.length), Buffer.from(text));
const qemuKey = bytes([255, 0, 0, 1], u32(0x61), u32(0x1e));
const challenge = Buffer.alloc(16, 0xcc);
const response = Buffer.alloc(16, 0xaa);

/** Feeds the server's bytes, then the client's, each in pieces of `size`; returns what passed. */
function run(server: Buffer, client: Buffer, size = 1 << 20): { passed: Buffer; filter: RfbInputFilter } {
  const filter = new RfbInputFilter();
  const out: Buffer[] = [];
  for (let i = 0; i < server.length; i += size) out.push(filter.fromServer(server.subarray(i, i + size)));
  for (let i = 0; i < client.length; i += size) out.push(filter.fromClient(client.subarray(i, i + size)));
  return { passed: Buffer.concat(out), filter };
}

const viewing = bytes(pixelFormat, encodings, key, update, pointer, cut("abc"), qemuKey, update);
const viewingPassed = bytes(pixelFormat, encodings, update, update);

describe("RfbInputFilter: the handshake of each version", () => {
  it("RFB 3.8 with None: the SecurityResult comes before ClientInit; keys, pointer, clipboard and QEMU keys are dropped", () => {
    const server = bytes(version("003.008"), [1, 1], u32(0), Buffer.from("server-init"));
    const client = bytes(version("003.008"), [1], [1], viewing);
    for (const size of [1, 3, 7, 1000]) {
      const { passed, filter } = run(server, client, size);
      expect(passed).toEqual(bytes(version("003.008"), [1], [1], viewingPassed));
      expect(filter.failure).toBeUndefined();
      expect([filter.dropped, filter.droppedInput]).toEqual([4, 4]);
    }
  });

  it("noVNC's answer to QEMU's extended clipboard (a ClientCutText of negative length), sent even when view-only, is dropped", () => {
    // Caps and request, notify, peek and provide actions, text format, with its size limit.
    const caps = bytes([6, 0, 0, 0], u32(2 ** 32 - 8), u32(0x1f000001), u32(0));
    const { passed, filter } = run(bytes(version("003.008"), [1, 1], u32(0)), bytes(version("003.008"), [1], [1], caps, update), 3);
    expect(passed).toEqual(bytes(version("003.008"), [1], [1], update));
    expect(filter.failure).toBeUndefined();
    expect([filter.dropped, filter.droppedInput]).toEqual([1, 0]); // dropped, but nobody typed
  });

  it("RFB 3.7 with None: no SecurityResult, ClientInit follows the security type", () => {
    const { passed, filter } = run(bytes(version("003.008"), [2, 2, 1]), bytes(version("003.007"), [1], [0], viewing), 2);
    expect(passed).toEqual(bytes(version("003.007"), [1], [0], viewingPassed));
    expect(filter.failure).toBeUndefined();
  });

  it("RFB 3.3: the server chooses the type and the client sends none, so a KeyEvent right after ClientInit is not taken for handshake", () => {
    // The old filter passed 14 bytes as handshake: version, ClientInit, then the KeyEvent's type byte.
    const { passed, filter } = run(bytes(version("003.008"), u32(1)), bytes(version("003.003"), [1], key, update), 1);
    expect(passed).toEqual(bytes(version("003.003"), [1], update));
    expect(filter.dropped).toBe(1);
  });

  it("RFB 3.3 with VNC authentication: the 16-byte response passes, then the SecurityResult is awaited", () => {
    const server = bytes(version("003.003"), u32(2), challenge, u32(0));
    const client = bytes(version("003.003"), response, [1], key, update);
    expect(run(server, client, 5).passed).toEqual(bytes(version("003.003"), response, [1], update));
  });

  it("RFB 3.8 with VNC authentication that fails: the connection is failed and nothing more passes", () => {
    const server = bytes(version("003.008"), [2, 1, 2], challenge, u32(1), u32(6), Buffer.from("denied"));
    const { passed, filter } = run(server, bytes(version("003.008"), [2], response, [1], update));
    expect(passed).toEqual(bytes(version("003.008"), [2], response));
    expect(filter.failure).toBe("the VNC server refused the security handshake");
    expect(filter.fromClient(update)).toEqual(Buffer.alloc(0));
  });

  it("Apple's RFB 3.889 follows the 3.8 handshake", () => {
    const { passed, filter } = run(bytes(version("003.889"), [1, 1], u32(0)), bytes(version("003.889"), [1], [1], update));
    expect(passed).toEqual(bytes(version("003.889"), [1], [1], update));
    expect(filter.failure).toBeUndefined();
  });

  it("the client waiting for nobody: bytes sent ahead of the server are held until the server has spoken", () => {
    const filter = new RfbInputFilter();
    expect(filter.fromClient(bytes(version("003.008"), [1], [1], update))).toEqual(Buffer.alloc(0));
    expect(filter.fromServer(version("003.008"))).toEqual(version("003.008"));
    expect(filter.fromServer(Buffer.from([1, 1]))).toEqual(Buffer.from([1]));
    expect(filter.fromServer(u32(0))).toEqual(bytes([1], update));
  });
});

describe("RfbInputFilter: fails closed on what it cannot follow", () => {
  const failure = (server: Buffer, client: Buffer) => run(server, client).filter.failure;

  it("versions: an unknown server version, an unknown or malformed client version, a client above the server", () => {
    expect(failure(version("004.001"), version("004.001"))).toBe("the VNC server speaks RFB 004.001, which a read-only view cannot follow");
    expect(failure(version("003.008"), version("003.005"))).toBe("the client asked for RFB 003.005, which a read-only view cannot follow");
    expect(failure(version("003.008"), Buffer.from("GET / HTTP/1"))).toMatch(/^the client asked for a malformed version "GET/);
    expect(failure(version("003.007"), version("003.008"))).toBe("the client asked for RFB 003.008, above the server's RFB 003.007");
    expect(run(version("003.007"), bytes(version("003.008"), update)).passed).toEqual(Buffer.alloc(0));
  });

  it("security: a type the server did not offer, a type the view cannot follow, a refused connection", () => {
    expect(failure(bytes(version("003.008"), [1, 1]), bytes(version("003.008"), [2]))).toBe("the client chose security type 2, which the server did not offer");
    expect(failure(bytes(version("003.008"), [2, 16, 1]), bytes(version("003.008"), [16]))).toMatch(/^security type 16 is not one a read-only view can follow/);
    expect(failure(bytes(version("003.008"), u32(19)), version("003.003"))).toMatch(/^security type 19 is not/);
    expect(failure(bytes(version("003.008"), [0], u32(3), Buffer.from("bad")), version("003.008"))).toBe("the VNC server refused the connection");
    expect(failure(bytes(version("003.008"), u32(0)), version("003.003"))).toBe("the VNC server refused the connection");
  });

  it("messages: an unknown type, an unknown QEMU message, too many encodings, too long a clipboard", () => {
    const server = bytes(version("003.008"), u32(1));
    const start = bytes(version("003.003"), [1]);
    const after = (...rest: Buffer[]) => run(server, bytes(start, update, ...rest, update));
    for (const [message, reason] of [
      [bytes([7, 0, 0, 0]), "unknown client message type 7"],
      [bytes([250, 0, 1, 2]), "an XVP message (power off, reboot, reset)"],
      [bytes([248, 0, 0, 0]), "unknown client message type 248"],
      [bytes([255, 9, 0, 0]), "unknown QEMU client message 255/9"],
      [bytes([255, 1, 0, 7]), "unknown QEMU audio operation 7"],
      [bytes([2, 0, 0x04, 0x01]), `SetEncodings with 1025 encodings (at most ${MAX_ENCODINGS})`],
      [bytes([6, 0, 0, 0], u32(MAX_CUT_TEXT + 1)), `clipboard text of ${MAX_CUT_TEXT + 1} bytes (at most ${MAX_CUT_TEXT})`],
      [bytes([6, 0, 0, 0], u32(0x7fffffff)), `clipboard text of 2147483647 bytes (at most ${MAX_CUT_TEXT})`],
      [bytes([6, 0, 0, 0], u32(0x80000000)), `extended clipboard message of 2147483648 bytes (at most ${MAX_CUT_TEXT})`],
      [bytes([6, 0, 0, 0], u32(2 ** 32 - MAX_CUT_TEXT - 1)), `extended clipboard message of ${MAX_CUT_TEXT + 1} bytes (at most ${MAX_CUT_TEXT})`],
    ] as const) {
      const { passed, filter } = after(message, key);
      expect(filter.failure).toBe(reason);
      expect(passed).toEqual(bytes(start, update)); // what came before passes, nothing after
      expect(filter.fromClient(update)).toEqual(Buffer.alloc(0));
    }
  });

  it("bounds: the most encodings and the longest clipboard go through without holding them; sending far ahead fails", () => {
    const server = bytes(version("003.008"), u32(1));
    const most = bytes([2, 0, 0x04, 0x00], Buffer.alloc(4 * MAX_ENCODINGS));
    const longest = bytes([6, 0, 0, 0], u32(MAX_CUT_TEXT), Buffer.alloc(MAX_CUT_TEXT, 0x61));
    const desktopSize = bytes([251, 0, 4, 0, 3, 0, 255, 0], Buffer.alloc(16 * 255));
    const { passed, filter } = run(server, bytes(version("003.003"), [1], most, longest, [255, 1, 0, 2, 1, 2, 0, 0, 0xac, 0x44], [255, 1, 0, 0], desktopSize, update), 4096);
    expect(passed).toEqual(bytes(version("003.003"), [1], most, update));
    expect([filter.dropped, filter.droppedInput]).toEqual([4, 1]);
    const ahead = new RfbInputFilter();
    ahead.fromClient(Buffer.alloc(MAX_HELD_BYTES + 1));
    expect(ahead.failure).toBe(`the client sent over ${MAX_HELD_BYTES} bytes ahead of the handshake`);
    expect(ahead.fromServer(version("003.008"))).toEqual(Buffer.alloc(0));
  });
});
