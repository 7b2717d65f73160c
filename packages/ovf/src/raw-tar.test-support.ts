// Builds tar archives byte by byte for tests, with none of the writer's checks, so that hostile
// members (traversal, links, devices, NUL names) can be made at will.
import { BLOCK, encodeHeader, encodePax } from "./tar-header.js";

export interface RawMember {
  name: string;
  body?: Buffer | string;
  typeflag?: string;
  linkname?: string;
  /** Extra pax records written before the member. */
  pax?: Record<string, string>;
  /** Declared size, when it must differ from the body's. */
  size?: number;
}

function pad(length: number): Buffer {
  return Buffer.alloc((BLOCK - (length % BLOCK)) % BLOCK);
}

export function rawTar(members: RawMember[], options: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const member of members) {
    const body = Buffer.from(member.body ?? "");
    if (member.pax) {
      const pax = encodePax(member.pax);
      parts.push(encodeHeader({ name: "PaxHeaders/x", size: pax.length, typeflag: "x" }), pax, pad(pax.length));
    }
    const header = encodeHeader({ name: "placeholder", size: member.size ?? body.length, typeflag: member.typeflag ?? "0", linkname: member.linkname ?? "" });
    // Write the name raw (it may hold NUL, "..", or anything) and fix the checksum.
    header.fill(0, 0, 100);
    Buffer.from(member.name, "utf8").copy(header, 0, 0, 100);
    header.write("        ", 148, 8, "latin1");
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
    parts.push(header, body, pad(body.length));
  }
  if (options.end !== false) parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
