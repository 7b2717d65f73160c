import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { hasParentHint, parseVmdkExtents } from "./image-inspect-vmdk.js";

const text = (s: string) => Buffer.from(s, "latin1");

describe("parseVmdkExtents", () => {
  it("reads the extents of a descriptor as VMware and qemu-img write it, and nothing else", () => {
    const descriptor = `# Disk DescriptorFile
version=1
CID=12345678
parentCID=ffffffff
createType="monolithicFlat"

# Extent description
RW 2048 FLAT "disk-flat.vmdk" 0
RDONLY 100 SPARSE "other.vmdk"

# The Disk Data Base
ddb.virtualHWVersion = "4"
ddb.geometry.cylinders = "2"
ddb.adapterType = "ide"
`;
    expect(parseVmdkExtents(text(descriptor))).toEqual([
      { access: "RW", type: "FLAT", file: "disk-flat.vmdk" },
      { access: "RDONLY", type: "SPARSE", file: "other.vmdk" },
    ]);
  });

  it("sees an extent spread over lines and one without a closing quote, as sscanf does", () => {
    expect(parseVmdkExtents(text('createType="x"\nRW\n100\nFLAT\n"/etc/shadow" 0\n')).map((e) => e.file)).toEqual(["/etc/shadow"]);
    expect(parseVmdkExtents(text('RW 100 SPARSE "/etc/shadow\n')).map((e) => e.file)).toEqual(["/etc/shadow"]);
    expect(parseVmdkExtents(text('  RW +5FLAT "/a"')).map((e) => e.file)).toEqual(["/a"]);
  });

  it("stops at a NUL, as QEMU's C string does, and keeps at most 511 bytes of a name", () => {
    expect(parseVmdkExtents(text('RW 1 FLAT "a"\n\0RW 1 FLAT "b"\n')).map((e) => e.file)).toEqual(["a"]);
    const long = `/${"x".repeat(600)}`;
    expect(parseVmdkExtents(text(`RW 1 FLAT "${long}" 0`))[0]!.file).toBe(long.slice(0, 511));
  });

  it("never throws, and every name it yields is a substring of the text", () => {
    const alphabet = fc.constantFrom(..."RW FLAT SPARSE \"\n\r\t0123456789-+/etc/shadow\0x".split(""), "RW ", " FLAT ", "\"/etc/shadow\"", "\n", " 100 ");
    fc.assert(fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 200 }), fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString("latin1"))), (input) => {
      const extents = parseVmdkExtents(text(input));
      for (const extent of extents) {
        expect(extent.file.length).toBeGreaterThan(0);
        expect(extent.file.length).toBeLessThanOrEqual(511);
        expect(input).toContain(`"${extent.file}`);
        expect(extent.file).not.toMatch(/["\n\r\0]/);
      }
    }), { numRuns: 2000 });
  });

  it("finds every extent line among arbitrary other lines (against a simple model)", () => {
    const name = fc.string({ unit: fc.constantFrom(..."abc/._-".split("")), minLength: 1, maxLength: 20 });
    const extentLine = fc.tuple(fc.constantFrom("RW", "RDONLY", "NOACCESS"), fc.nat(99999), fc.constantFrom("FLAT", "SPARSE", "VMFS", "ZERO"), name).map(([a, n, t, f]) => ({ line: `${a} ${n} ${t} "${f}" 0`, file: f }));
    const otherLine = fc.constantFrom("# comment", 'ddb.adapterType = "lsilogic"', "version=1", 'createType="streamOptimized"', "parentCID=ffffffff").map((line) => ({ line, file: null }));
    fc.assert(fc.property(fc.array(fc.oneof(extentLine, otherLine), { maxLength: 30 }), (lines) => {
      const files = parseVmdkExtents(text(lines.map((l) => l.line).join("\n"))).map((e) => e.file);
      expect(files).toEqual(lines.flatMap((l) => (l.file === null ? [] : [l.file])));
    }));
  });
});

describe("hasParentHint", () => {
  it("finds parentFileNameHint in the scanned region only", () => {
    expect(hasParentHint(text('parentFileNameHint="/etc/shadow"'))).toBe(true);
    expect(hasParentHint(text('parentCID=ffffffff\n'))).toBe(false);
    expect(hasParentHint(Buffer.concat([Buffer.alloc(20 * 512), text("parentFileNameHint")]))).toBe(false);
  });
});
