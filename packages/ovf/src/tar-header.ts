// The 512-byte tar header (ustar, with GNU's base-256 numbers) and pax extended records: decoding
// checks every field, encoding is what the writer and the tests use.
import { OvfError } from "./errors.js";

export const BLOCK = 512;
/** The largest size an 11-digit octal field holds; larger needs base-256 or a pax "size" record. */
export const MAX_OCTAL_SIZE = 0o77777777777;

export interface RawHeader {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  /** "ustar" (POSIX, uses the prefix field), "gnu" or "v7". */
  format: "ustar" | "gnu" | "v7";
}

function malformed(message: string): OvfError {
  return new OvfError("tar_malformed", `not a valid tar archive: ${message}`);
}

function readNumber(block: Buffer, offset: number, length: number, field: string): number {
  const bytes = block.subarray(offset, offset + length);
  if (bytes[0]! & 0x80) {
    if (bytes[0] === 0xff) throw malformed(`negative ${field}`);
    let value = bytes[0]! & 0x7f;
    for (const byte of bytes.subarray(1)) {
      value = value * 256 + byte;
      if (!Number.isSafeInteger(value)) throw malformed(`${field} too large`);
    }
    return value;
  }
  const text = bytes.toString("latin1").replace(/[\0 ]+$/, "").replace(/^ +/, "");
  if (!/^[0-7]*$/.test(text)) throw malformed(`${field} field ${JSON.stringify(text)} is not octal`);
  const value = text === "" ? 0 : parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw malformed(`${field} too large`);
  return value;
}

/** A NUL-terminated string field; bytes after the terminator must be NUL too (a name "a\0b" is refused). */
function readString(block: Buffer, offset: number, length: number, field: string): string {
  const bytes = block.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  if (end >= 0 && bytes.subarray(end).some((byte) => byte !== 0)) {
    throw new OvfError("tar_refused", `a member's ${field} contains a NUL byte`);
  }
  return bytes.subarray(0, end < 0 ? length : end).toString("utf8");
}

export function isZeroBlock(block: Buffer): boolean {
  return block.every((byte) => byte === 0);
}

function checksums(block: Buffer): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return { unsigned, signed };
}

export function decodeHeader(block: Buffer): RawHeader {
  const stored = readNumber(block, 148, 8, "checksum");
  const { unsigned, signed } = checksums(block);
  if (stored !== unsigned && stored !== signed) throw malformed("a header checksum does not match (the file is damaged or not a tar archive)");
  const magic = block.subarray(257, 265).toString("latin1");
  const format = magic === "ustar\u000000" ? "ustar" : magic === "ustar  \0" ? "gnu" : magic.startsWith("ustar") ? "ustar" : "v7";
  let name = readString(block, 0, 100, "name");
  if (format === "ustar") {
    const prefix = readString(block, 345, 155, "name prefix");
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    name,
    mode: readNumber(block, 100, 8, "mode"),
    size: readNumber(block, 124, 12, "size"),
    mtime: readNumber(block, 136, 12, "mtime"),
    typeflag: String.fromCharCode(block[156]!),
    linkname: readString(block, 157, 100, "link name"),
    format,
  };
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, "0")}\0`, offset, length, "latin1");
}

/** Base-256 (GNU): high bit set, big-endian value in the remaining bits. */
function writeBase256(block: Buffer, offset: number, length: number, value: number): void {
  let rest = value;
  for (let i = offset + length - 1; i > offset; i--) {
    block[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  block[offset] = 0x80;
}

/** Splits a path over ustar's prefix (155 bytes) and name (100 bytes), or null when it cannot. */
export function splitUstarName(path: string): { prefix: string; name: string } | null {
  if (!/^[\x20-\x7e]+$/.test(path)) return null;
  if (path.length <= 100) return { prefix: "", name: path };
  for (let cut = path.indexOf("/"); cut >= 0; cut = path.indexOf("/", cut + 1)) {
    if (cut <= 155 && path.length - cut - 1 <= 100 && path.length - cut - 1 > 0) return { prefix: path.slice(0, cut), name: path.slice(cut + 1) };
  }
  return null;
}

export interface HeaderFields { name: string; prefix?: string; size: number; typeflag: string; mode?: number; mtime?: number; linkname?: string }

/** A POSIX ustar header. Names must already fit (see splitUstarName); no check is made here. */
export function encodeHeader(fields: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, "utf8");
  writeOctal(block, 100, 8, fields.mode ?? 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  if (fields.size > MAX_OCTAL_SIZE) writeBase256(block, 124, 12, fields.size);
  else writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, fields.mtime ?? 0);
  block.write(fields.typeflag, 156, 1, "latin1");
  block.write(fields.linkname ?? "", 157, 100, "utf8");
  block.write("ustar\u000000", 257, 8, "latin1");
  block.write(fields.prefix ?? "", 345, 155, "utf8");
  block.write("        ", 148, 8, "latin1");
  const { unsigned } = checksums(block);
  block.write(`${unsigned.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return block;
}

/** Pax records "<length> <key>=<value>\n", the length counting itself. */
export function encodePax(records: Record<string, string>): Buffer {
  const lines = Object.entries(records).map(([key, value]) => {
    const body = ` ${key}=${value}\n`;
    const bodyLength = Buffer.byteLength(body);
    let length = bodyLength + String(bodyLength).length;
    if (String(length).length > String(bodyLength).length) length += 1;
    return `${length}${body}`;
  });
  return Buffer.from(lines.join(""), "utf8");
}

export function decodePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const lengthText = space < 0 ? "" : data.subarray(offset, space).toString("latin1");
    if (!/^[1-9]\d{0,7}$/.test(lengthText)) throw malformed("a pax record has no valid length");
    const end = offset + Number(lengthText);
    if (end > data.length || data[end - 1] !== 0x0a) throw malformed("a pax record overruns its header");
    const record = data.subarray(space + 1, end - 1).toString("utf8");
    const equals = record.indexOf("=");
    if (equals <= 0) throw malformed("a pax record has no key");
    records.set(record.slice(0, equals), record.slice(equals + 1));
    offset = end;
  }
  return records;
}
