// Reads the client side of an RFB (VNC) stream and keeps only what viewing needs: the handshake,
// pixel format, encodings and update requests; key, pointer and clipboard messages are dropped.

const FIXED_LENGTH: Record<number, number> = { 0: 20, 3: 10, 4: 8, 5: 6 };
const DROPPED = new Set([4, 5, 6, 255]);

export class RfbInputFilter {
  /** Handshake bytes from the client still to pass: version (12), security type (1), ClientInit (1). */
  private handshake = 14;
  private buffer = Buffer.alloc(0);

  pass(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    let data = Buffer.concat([this.buffer, chunk]);
    if (this.handshake > 0) {
      const take = Math.min(this.handshake, data.length);
      out.push(data.subarray(0, take));
      this.handshake -= take;
      data = data.subarray(take);
    }
    for (;;) {
      const length = messageLength(data);
      if (length === undefined || data.length < length) break;
      if (!DROPPED.has(data[0]!)) out.push(data.subarray(0, length));
      data = data.subarray(length);
    }
    this.buffer = Buffer.from(data);
    return Buffer.concat(out);
  }
}

/** The whole length of the message at the start of data, or undefined until enough is there to know. */
function messageLength(data: Buffer): number | undefined {
  if (data.length === 0) return undefined;
  const type = data[0]!;
  if (FIXED_LENGTH[type] !== undefined) return FIXED_LENGTH[type];
  if (type === 2) return data.length >= 4 ? 4 + 4 * data.readUInt16BE(2) : undefined; // SetEncodings
  if (type === 6) return data.length >= 8 ? 8 + data.readUInt32BE(4) : undefined; // ClientCutText
  if (type === 255) return data.length >= 2 ? qemuMessageLength(data) : undefined;
  // An unknown message: pass nothing more (the view may stall, but nothing unchecked reaches QEMU).
  return Number.MAX_SAFE_INTEGER;
}

/** QEMU's extension messages: extended key events (sub-type 0, 12 bytes) and audio (sub-type 1). */
function qemuMessageLength(data: Buffer): number {
  const subtype = data[1]!;
  if (subtype === 0) return 12;
  if (subtype === 1) return data.length >= 4 && data.readUInt16BE(2) === 2 ? 10 : 4;
  return Number.MAX_SAFE_INTEGER;
}
