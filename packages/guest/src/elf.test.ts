// Unit tests for the ELF helpers: .modinfo parsing and module signature stripping on synthetic files.
import { describe, it, expect } from "vitest";
import { modinfoDepends, readModinfo, stripModuleSignature } from "./elf.js";

/** Smallest ELF64 LE object with a .modinfo section: header, shstrtab, modinfo, section table. */
function fakeModule(modinfo: string): Buffer {
  const shstrtab = Buffer.from("\0.shstrtab\0.modinfo\0");
  const info = Buffer.from(modinfo);
  const shstrOff = 64;
  const infoOff = shstrOff + shstrtab.length;
  const shoff = infoOff + info.length;
  const buf = Buffer.alloc(shoff + 3 * 64);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = 2; // ELFCLASS64
  buf[5] = 1; // little-endian
  buf.writeBigUInt64LE(BigInt(shoff), 0x28);
  buf.writeUInt16LE(64, 0x3a);
  buf.writeUInt16LE(3, 0x3c);
  buf.writeUInt16LE(1, 0x3e);
  shstrtab.copy(buf, shstrOff);
  info.copy(buf, infoOff);
  const section = (i: number, name: number, off: number, size: number) => {
    const at = shoff + i * 64;
    buf.writeUInt32LE(name, at);
    buf.writeBigUInt64LE(BigInt(off), at + 0x18);
    buf.writeBigUInt64LE(BigInt(size), at + 0x20);
  };
  section(1, 1, shstrOff, shstrtab.length);
  section(2, 11, infoOff, info.length);
  return buf;
}

describe("readModinfo", () => {
  it("reads key=value pairs and the dependency list", () => {
    const ko = fakeModule("license=GPL\0depends=virtio,virtio_ring,net-failover\0name=virtio_net\0");
    expect(readModinfo(ko)).toContainEqual(["name", "virtio_net"]);
    expect(modinfoDepends(ko)).toEqual(["virtio", "virtio_ring", "net_failover"]);
  });

  it("treats an empty depends= as no dependencies", () => {
    expect(modinfoDepends(fakeModule("depends=\0name=virtio\0"))).toEqual([]);
  });

  it("rejects files that are not ELF", () => {
    expect(() => readModinfo(Buffer.alloc(128), "x.ko")).toThrow(/x.ko is not an ELF file/);
  });
});

describe("stripModuleSignature", () => {
  const body = Buffer.from("ELF-ish module body");
  const signature = Buffer.from("0123456789");
  const info = Buffer.alloc(12);
  info.writeUInt32BE(signature.length, 8);
  const signed = Buffer.concat([body, signature, info, Buffer.from("~Module signature appended~\n")]);

  it("cuts the signature, its info block and the magic", () => {
    expect(stripModuleSignature(signed).equals(body)).toBe(true);
  });

  it("leaves unsigned modules alone", () => {
    expect(stripModuleSignature(body)).toBe(body);
  });
});
