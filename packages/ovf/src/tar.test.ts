import { describe, expect, it, beforeEach, afterEach } from "vitest";
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { execFileSync } from "node:child_process";
import { createTarStream, tarSize, type TarWriteEntry } from "./tar-write.js";
import { listTar, readTarMembers } from "./tar-read.js";
import { extractTar } from "./tar-extract.js";
import { decodeHeader, encodeHeader, MAX_OCTAL_SIZE } from "./tar-header.js";
import { OvfError } from "./errors.js";
import { rawTar } from "./raw-tar.test-support.js";

let root: string;
beforeEach(async () => { root = await mkdtemp(join(tmpdir(), "vmctl-tar-")); });
afterEach(async () => { await rm(root, { recursive: true, force: true }); });

const entry = (name: string, content: string | Buffer): TarWriteEntry => {
  const data = Buffer.from(content);
  return { name, size: data.length, open: () => Readable.from([data]) };
};
const LIMIT = { maxBytes: 1 << 30 };
const longName = `${"deep/".repeat(30)}${"n".repeat(120)}.vmdk`;

async function archive(entries: TarWriteEntry[]): Promise<Buffer> {
  return buffer(createTarStream(entries, { mtime: new Date(1_700_000_000_000) }));
}

async function refusal(data: Buffer, target = join(root, "out")): Promise<OvfError> {
  const error = await extractTar(Readable.from([data]), target, LIMIT).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(OvfError);
  return error as OvfError;
}

async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe("tar writer and reader", () => {
  it("round-trips files in order, with a long name, a UTF-8 name and an empty file", async () => {
    const big = Buffer.alloc(1_000_003, 7);
    const data = await archive([entry("vm.ovf", "<Envelope/>"), entry(longName, big), entry("ünïcode.mf", "x"), entry("empty", "")]);
    expect(data.length % 10240).toBe(0);
    expect(data.length).toBe(tarSize([{ name: "vm.ovf", size: 11 }, { name: longName, size: big.length }, { name: "ünïcode.mf", size: 1 }, { name: "empty", size: 0 }]));
    expect((await listTar(Readable.from([data]))).map((m) => [m.name, m.size])).toEqual([["vm.ovf", 11], [longName, big.length], ["ünïcode.mf", 1], ["empty", 0]]);
    const members = await extractTar(Readable.from([data]), join(root, "out"), LIMIT);
    expect(members.map((m) => m.name)).toEqual(["vm.ovf", longName, "ünïcode.mf", "empty"]);
    expect((await readFile(join(root, "out", longName))).equals(big)).toBe(true);
    expect(await readFile(join(root, "out", "vm.ovf"), "utf8")).toBe("<Envelope/>");
  });

  it("reads from a file path and reports progress", async () => {
    const path = join(root, "a.tar");
    await writeFile(path, await archive([entry("a", Buffer.alloc(3 << 20))]));
    const seen: Array<{ bytes: number; total?: number }> = [];
    await extractTar(path, join(root, "out"), { ...LIMIT, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(1);
    const size = tarSize([{ name: "a", size: 3 << 20 }]);
    expect(seen.at(-1)).toEqual({ bytes: size, total: size });
    expect(seen.map((p) => p.bytes)).toEqual([...seen.map((p) => p.bytes)].sort((a, b) => a - b));
  });

  it("leaves a caller's stream open after the archive ends, and stops on an abort signal", async () => {
    const data = await archive([entry("a", "x")]);
    const upload = Readable.from([data, Buffer.from("trailing bytes of the request")]);
    await extractTar(upload, join(root, "one"), LIMIT);
    expect(upload.destroyed).toBe(false);
    const aborted = AbortSignal.abort();
    await expect(extractTar(Readable.from([data]), join(root, "two"), { ...LIMIT, signal: aborted })).rejects.toThrow(/abort/i);
    expect(await readdir(root)).toEqual(["one"]);
  });

  it("skips a body the consumer leaves unread", async () => {
    const data = await archive([entry("a", "aaaa"), entry("b", "bb")]);
    const names: string[] = [];
    for await (const { member } of readTarMembers(Readable.from([data]))) names.push(member.name);
    expect(names).toEqual(["a", "b"]);
  });

  it("refuses to write an entry whose stream gives the wrong number of bytes", async () => {
    await expect(archive([{ name: "a", size: 3, open: () => Readable.from([Buffer.from("ab")]) }])).rejects.toThrow(/gave 2 bytes, not its 3/);
    await expect(archive([entry("../a", "x")])).rejects.toThrow(RangeError);
  });

  it("encodes sizes above 8 GiB in base-256 and reads them back", () => {
    const size = MAX_OCTAL_SIZE + 12345;
    expect(decodeHeader(encodeHeader({ name: "big.vmdk", size, typeflag: "0" })).size).toBe(size);
  });
});

describe("extraction refuses", () => {
  const cases: Array<[string, Parameters<typeof rawTar>[0], RegExp]> = [
    ["an absolute name", [{ name: "/etc/passwd", body: "x" }], /absolute/],
    ["a .. component", [{ name: "a/../../b", body: "x" }], /"\.\."/],
    ["a symlink", [{ name: "link", typeflag: "2", linkname: "/etc" }], /symbolic link/],
    ["a hard link", [{ name: "link", typeflag: "1", linkname: "a" }], /hard link/],
    ["a character device", [{ name: "tty", typeflag: "3" }], /character device/],
    ["a block device", [{ name: "sda", typeflag: "4" }], /block device/],
    ["a FIFO", [{ name: "fifo", typeflag: "6" }], /FIFO/],
    ["a duplicate member", [{ name: "a", body: "1" }, { name: "./a", body: "2" }], /appears twice/],
    ["a NUL in a pax path", [{ name: "a", body: "1", pax: { path: "a\0b" } }], /NUL/],
    ["a NUL inside the name field", [{ name: "ok\0../../evil", body: "1" }], /NUL/],
    ["a traversal through a pax path", [{ name: "harmless", body: "1", pax: { path: "../escape" } }], /"\.\."/],
    ["a file inside a file", [{ name: "a", body: "1" }, { name: "a/b", body: "2" }], /which is a file/],
    ["a backslash name", [{ name: "..\\..\\x", body: "1" }], /backslash/],
  ];
  for (const [what, members, message] of cases) {
    it(`${what}, writing nothing`, async () => {
      const error = await refusal(rawTar([{ name: "disk.ovf", body: "first" }, ...members]));
      expect(error.message).toMatch(message);
      expect(error.reason).toBe("tar_refused");
      expect(await readdir(root)).toEqual([]);
    });
  }

  it("a traversal member after good ones: nothing is left, not even in an existing target", async () => {
    const target = join(root, "existing");
    await mkdir(target);
    await writeFile(join(target, "keep"), "mine");
    await refusal(rawTar([{ name: "vm.ovf", body: "a" }, { name: "sub/disk.vmdk", body: "b" }, { name: "../../evil", body: "c" }]), target);
    expect(await tree(root)).toEqual(["existing", "existing/keep"]);
  });

  it("a member that would go through a symlink already in the target", async () => {
    const target = join(root, "t");
    await mkdir(join(root, "elsewhere"));
    await mkdir(target);
    await symlink(join(root, "elsewhere"), join(target, "sub"));
    await refusal(rawTar([{ name: "sub/x", body: "1" }]), target);
    expect(await readdir(join(root, "elsewhere"))).toEqual([]);
  });

  it("a total over the limit, before writing it", async () => {
    const error = await extractTar(Readable.from([rawTar([{ name: "a", body: "12345" }, { name: "b", body: "678" }])]), join(root, "o"), { maxBytes: 6 }).catch((e: unknown) => e);
    expect((error as OvfError).reason).toBe("too_large");
    expect(await readdir(root)).toEqual([]);
  });

  it("a source that fails halfway (an upload cut off): the error comes through, nothing is left", async () => {
    const data = rawTar([{ name: "vm.ovf", body: "x" }, { name: "disk", body: "y".repeat(5000) }]);
    async function* cutOff() {
      yield data.subarray(0, 3000);
      throw new Error("socket hang up");
    }
    await expect(extractTar(cutOff(), join(root, "o"), LIMIT)).rejects.toThrow("socket hang up");
    expect(await readdir(root)).toEqual([]);
  });

  it("more members than allowed", async () => {
    const data = rawTar(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, body: "x" })));
    await expect(extractTar(Readable.from([data]), join(root, "o"), { ...LIMIT, maxMembers: 4 })).rejects.toThrow(/4 members allowed/);
  });

  it("a truncated archive, a missing end marker and a bad checksum", async () => {
    const good = rawTar([{ name: "a", body: "x".repeat(2000) }]);
    expect((await refusal(good.subarray(0, 1200))).message).toMatch(/truncated/);
    expect((await refusal(rawTar([{ name: "a", body: "x" }], { end: false }))).message).toMatch(/end-of-archive/);
    const damaged = Buffer.from(good);
    damaged[10] = 0x41;
    expect((await refusal(damaged)).message).toMatch(/checksum/);
    expect(await readdir(root)).toEqual([]);
  });
});

describe("interop with GNU tar", () => {
  it("GNU tar lists and extracts what we write", async () => {
    const path = join(root, "ours.tar");
    await writeFile(path, await archive([entry("vm.ovf", "<x/>"), entry(longName, "disk"), entry("é.mf", "m")]));
    expect(execFileSync("tar", ["-tf", path], { encoding: "utf8" }).trim().split("\n")).toEqual(["vm.ovf", longName, "é.mf"]);
    await mkdir(join(root, "x"));
    execFileSync("tar", ["-xf", path, "-C", join(root, "x")]);
    expect(await readFile(join(root, "x", longName), "utf8")).toBe("disk");
    expect(await readFile(join(root, "x", "é.mf"), "utf8")).toBe("m");
  });

  for (const format of ["gnu", "posix", "ustar"]) {
    it(`we read what tar -cf --format=${format} writes`, async () => {
      const src = join(root, "src");
      const name = format === "ustar" ? "d/".repeat(60) + "file" : longName;
      await mkdir(join(src, name, ".."), { recursive: true });
      await writeFile(join(src, name), "payload");
      await writeFile(join(src, "vm.ovf"), "<Envelope/>");
      const path = join(root, `${format}.tar`);
      execFileSync("tar", [`--format=${format}`, "-cf", path, "-C", src, "vm.ovf", name]);
      const members = await extractTar(path, join(root, "out"), LIMIT);
      expect(members.filter((m) => m.type === "file").map((m) => m.name)).toEqual(["vm.ovf", name]);
      expect(await readFile(join(root, "out", name), "utf8")).toBe("payload");
    });
  }

  it("we refuse a symlink made by GNU tar", async () => {
    const src = join(root, "src");
    await mkdir(src);
    await symlink("/etc/passwd", join(src, "link"));
    execFileSync("tar", ["-cf", join(root, "l.tar"), "-C", src, "link"]);
    await expect(extractTar(join(root, "l.tar"), join(root, "out"), LIMIT)).rejects.toThrow(/symbolic link/);
  });
});
