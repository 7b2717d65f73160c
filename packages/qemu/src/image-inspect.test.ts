import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VmctlError } from "@vmctl/api-types";
import { createImage, createOverlay } from "./qemu-img.js";
import { inspectImage, type ImageFile, type InspectFormat } from "./image-inspect.js";

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "vmctl-inspect-")); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** A qcow2 v3 header with the given backing name, header extensions and incompatible features. */
function qcow2(options: { backing?: string; backingFormat?: string; dataFile?: string; incompatible?: bigint; version?: number } = {}): Buffer {
  const image = Buffer.alloc(65536);
  image.writeUInt32BE(0x514649fb, 0);
  image.writeUInt32BE(options.version ?? 3, 4);
  image.writeUInt32BE(16, 20); // 64 KiB clusters
  image.writeBigUInt64BE(1n << 20n, 24);
  image.writeBigUInt64BE(options.incompatible ?? 0n, 72);
  image.writeUInt32BE(4, 96);
  image.writeUInt32BE(104, 100);
  let at = 104;
  const ext = (magic: number, data: string) => {
    image.writeUInt32BE(magic, at);
    image.writeUInt32BE(data.length, at + 4);
    image.write(data, at + 8, "latin1");
    at += 8 + ((data.length + 7) & ~7);
  };
  if (options.backingFormat !== undefined) ext(0xe2792aca, options.backingFormat);
  if (options.dataFile !== undefined) ext(0x44415441, options.dataFile);
  image.writeUInt32BE(0, at);
  if (options.backing !== undefined) {
    image.writeBigUInt64BE(4096n, 8);
    image.writeUInt32BE(Buffer.byteLength(options.backing, "latin1"), 16);
    image.write(options.backing, 4096, "latin1");
  }
  return image;
}

/** A VMDK4 sparse header with no capacity whose descriptor (QEMU parses its extents) is at sector 1. */
function sparseWithDescriptor(descriptor: string, capacity = 0n): Buffer {
  const image = Buffer.alloc(512 + 4096);
  image.write("KDMV", 0, "latin1");
  image.writeUInt32LE(1, 4);
  image.writeBigUInt64LE(capacity, 12);
  image.writeBigUInt64LE(1n, 28);
  image.writeBigUInt64LE(8n, 36);
  image.write(descriptor, 512, "latin1");
  return image;
}

const file = (name: string, content: Buffer | string) => { const path = join(dir, name); writeFileSync(path, content); return path; };

/** Every file inspectImage reaches, as [role, realPath], refusing nothing. */
async function reached(path: string, format: InspectFormat): Promise<Array<[string, string]>> {
  return (await inspectImage(path, format, { check: () => {} })).map((f) => [f.role, f.realPath]);
}

async function refusal(path: string, format: InspectFormat, check: (file: ImageFile) => void = () => {}): Promise<string> {
  const error = await inspectImage(path, format, { check }).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(VmctlError);
  expect((error as VmctlError).code).toBe("image_unsafe");
  return (error as Error).message;
}

describe("inspectImage", () => {
  it("lists a qcow2's backing chain as qemu-img wrote it, relative to each image's folder", async () => {
    mkdirSync(join(dir, "chain"));
    await createImage(join(dir, "chain", "base.img"), "raw", 1024 ** 2);
    await createOverlay(join(dir, "chain", "mid.qcow2"), "base.img", "raw");
    await createOverlay(join(dir, "top.qcow2"), "chain/mid.qcow2", "qcow2");
    expect(await reached(join(dir, "top.qcow2"), "qcow2")).toEqual([
      ["image", join(dir, "top.qcow2")], ["backing file", join(dir, "chain", "mid.qcow2")], ["backing file", join(dir, "chain", "base.img")],
    ]);
  });

  it("shows a backing file outside to the check before opening it, and stops there", async () => {
    await createOverlay(join(dir, "evil.qcow2"), "/etc/hostname", "raw");
    const seen: string[] = [];
    const message = await refusal(join(dir, "evil.qcow2"), "qcow2", (f) => {
      seen.push(f.path);
      if (f.role !== "image") throw new VmctlError("image_unsafe", `refused ${f.reference}`, { role: f.role });
    });
    expect(message).toBe("refused /etc/hostname");
    expect(seen).toEqual([join(dir, "evil.qcow2"), "/etc/hostname"]);
  });

  it("resolves a relative backing name through symlinks the way the kernel does", async () => {
    mkdirSync(join(dir, "deep", "er"), { recursive: true });
    symlinkSync(join(dir, "deep", "er"), join(dir, "link"));
    writeFileSync(join(dir, "deep", "target.img"), Buffer.alloc(512));
    // Lexically "link/../target.img" is dir/target.img; the kernel goes up from deep/er.
    writeFileSync(join(dir, "sym.qcow2"), qcow2({ backing: "link/../target.img", backingFormat: "raw" }));
    expect((await reached(join(dir, "sym.qcow2"), "qcow2"))[1]).toEqual(["backing file", join(dir, "deep", "target.img")]);
  });

  it("refuses a backing file QEMU would probe, name as a protocol, or take in another format", async () => {
    file("base.raw", Buffer.alloc(512));
    expect(await refusal(file("noformat.qcow2", qcow2({ backing: "base.raw" })), "qcow2")).toMatch(/no declared format, so QEMU would probe it/);
    expect(await refusal(file("json.qcow2", qcow2({ backing: 'json:{"driver":"file","filename":"/etc/shadow"}', backingFormat: "raw" })), "qcow2")).toMatch(/protocol or JSON name/);
    expect(await refusal(file("nbd.qcow2", qcow2({ backing: "nbd://127.0.0.1/x", backingFormat: "raw" })), "qcow2")).toMatch(/protocol or JSON name/);
    expect(await refusal(file("quorum.qcow2", qcow2({ backing: "base.raw", backingFormat: "blkdebug" })), "qcow2")).toMatch(/declared as "blkdebug"/);
  });

  it("counts an external data file, and refuses a relative one (QEMU opens it from its working directory)", async () => {
    file("data.raw", Buffer.alloc(512));
    expect(await reached(file("abs-data.qcow2", qcow2({ dataFile: join(dir, "data.raw"), incompatible: 4n })), "qcow2")).toContainEqual(["external data file", join(dir, "data.raw")]);
    expect(await refusal(file("rel-data.qcow2", qcow2({ dataFile: "data.raw", incompatible: 4n })), "qcow2")).toMatch(/external data file "data.raw" is relative/);
    expect(await refusal(file("unnamed-data.qcow2", qcow2({ incompatible: 4n })), "qcow2")).toMatch(/does not name it/);
  });

  it("caps the depth of a chain: an image that names itself is refused, not followed forever", async () => {
    file("loop.qcow2", qcow2({ backing: "loop.qcow2", backingFormat: "qcow2" }));
    expect(await refusal(join(dir, "loop.qcow2"), "qcow2")).toMatch(/deeper than 16/);
  });

  it("refuses a FIFO or a missing file as a backing file without blocking on it", async () => {
    execFileSync("mkfifo", [join(dir, "fifo")]);
    expect(await refusal(file("fifo.qcow2", qcow2({ backing: "fifo", backingFormat: "raw" })), "qcow2")).toMatch(/"fifo" \(a backing file\), which is not a regular file/);
    expect(await refusal(file("gone.qcow2", qcow2({ backing: "gone.raw", backingFormat: "raw" })), "qcow2")).toMatch(/which does not exist/);
  });

  it("lists a VMDK descriptor's extents, relative to its folder", async () => {
    file("flat-flat.vmdk", Buffer.alloc(1024));
    const desc = file("flat.vmdk", '# Disk DescriptorFile\nversion=1\ncreateType="monolithicFlat"\nRW 2 FLAT "flat-flat.vmdk" 0\nRW 2 FLAT "/etc/shadow" 0\n');
    expect(await reached(desc, "vmdk")).toEqual([["image", desc], ["VMDK extent", join(dir, "flat-flat.vmdk")], ["VMDK extent", "/etc/shadow"]]);
  });

  it("reads the descriptor hidden in a sparse header with no capacity, and ignores the one of a real sparse disk", async () => {
    const disguised = file("disguised.vmdk", sparseWithDescriptor('createType="monolithicFlat"\nRW 2 FLAT "/etc/shadow" 0\n'));
    expect((await reached(disguised, "vmdk")).map(([, p]) => p)).toEqual([disguised, "/etc/shadow"]);
    const real = file("real-sparse.vmdk", sparseWithDescriptor('createType="monolithicSparse"\nRW 2 SPARSE "elsewhere.vmdk"\n', 2048n));
    expect((await reached(real, "vmdk")).map(([, p]) => p)).toEqual([real]);
  });

  it("refuses VMDK parents, and an image whose bytes are another format than the one declared", async () => {
    expect(await refusal(file("delta.vmdk", 'createType="monolithicSparse"\nparentFileNameHint="/etc/shadow"\n'), "vmdk")).toMatch(/parentFileNameHint/);
    expect(await refusal(file("qcow-as-vmdk.vmdk", qcow2()), "vmdk")).toMatch(/not a VMDK \(it looks like qcow2\)/);
    expect(await refusal(file("raw-as-qcow2.qcow2", Buffer.alloc(4096)), "qcow2")).toMatch(/not a qcow2 image/);
  });

  it("passes a stream-optimized VMDK made by qemu-img as one file, and reads raw as data", async () => {
    await createImage(join(dir, "plain.img"), "raw", 1024 ** 2);
    execFileSync("qemu-img", ["convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", join(dir, "plain.img"), join(dir, "stream.vmdk")]);
    expect(await reached(join(dir, "stream.vmdk"), "vmdk")).toEqual([["image", join(dir, "stream.vmdk")]]);
    // A raw file that looks like qcow2 is still only data in raw: QEMU never interprets it.
    const files = await inspectImage(file("looks-qcow2.img", qcow2({ backing: "/etc/shadow", backingFormat: "raw" })), "raw", { check: () => {} });
    expect(files.map((f) => [f.role, f.looksLike])).toEqual([["image", "qcow2"]]);
  });
});
