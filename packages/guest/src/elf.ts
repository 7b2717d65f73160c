// Minimal ELF64 reading: is a binary static (no PT_INTERP), and a kernel module's .modinfo strings.
import { open } from "node:fs/promises";

const PT_INTERP = 3;

function assertElf64le(buf: Buffer, what: string): void {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${what} is not an ELF file`);
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error(`${what} is not a 64-bit little-endian ELF file`);
}

/**
 * A binary without a PT_INTERP program header needs no dynamic loader, which is what the
 * initramfs requires: it holds busybox and nothing else (no libc, no ld.so).
 */
export async function isStaticElf(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const header = Buffer.alloc(64);
    await fh.read(header, 0, 64, 0);
    assertElf64le(header, path);
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    await fh.read(table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === PT_INTERP) return false;
    }
    return true;
  } finally {
    await fh.close();
  }
}

/** Key=value strings of a module's .modinfo section (keys may repeat, e.g. alias). */
export function readModinfo(ko: Buffer, what = "module"): Array<[string, string]> {
  assertElf64le(ko, what);
  const shoff = Number(ko.readBigUInt64LE(0x28));
  const shentsize = ko.readUInt16LE(0x3a);
  const shnum = ko.readUInt16LE(0x3c);
  const shstrndx = ko.readUInt16LE(0x3e);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return { name: ko.readUInt32LE(at), offset: Number(ko.readBigUInt64LE(at + 0x18)), size: Number(ko.readBigUInt64LE(at + 0x20)) };
  };
  const names = section(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const nameStart = names.offset + s.name;
    const name = ko.toString("latin1", nameStart, ko.indexOf(0, nameStart));
    if (name !== ".modinfo") continue;
    return ko
      .toString("utf8", s.offset, s.offset + s.size)
      .split("\0")
      .filter((kv) => kv.includes("="))
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]);
  }
  throw new Error(`${what} has no .modinfo section`);
}

/** Module names a .ko needs loaded first: modpost records them in "depends=" when the kernel is built. */
export function modinfoDepends(ko: Buffer, what?: string): string[] {
  const depends = readModinfo(ko, what).find(([k]) => k === "depends")?.[1] ?? "";
  return depends.split(",").filter((d) => d !== "").map((d) => d.replaceAll("-", "_"));
}

const SIG_MAGIC = Buffer.from("~Module signature appended~\n");
/** struct module_signature: 8 bytes of algorithm ids, then the big-endian signature length. */
const SIG_INFO_SIZE = 12;

/**
 * Drops a module's appended signature. The kernel does not enforce signatures unless told to,
 * and hashing plus RSA-verifying ~2.5 MB of modules is a measurable part of a TCG boot.
 * Unsigned modules taint the kernel ("E"), which a throwaway test guest can live with.
 */
export function stripModuleSignature(ko: Buffer): Buffer {
  if (ko.length < SIG_MAGIC.length + SIG_INFO_SIZE || !ko.subarray(ko.length - SIG_MAGIC.length).equals(SIG_MAGIC)) return ko;
  const infoEnd = ko.length - SIG_MAGIC.length;
  const sigLen = ko.readUInt32BE(infoEnd - 4);
  const end = infoEnd - SIG_INFO_SIZE - sigLen;
  if (end <= 0) throw new Error("malformed module signature");
  return ko.subarray(0, end);
}
