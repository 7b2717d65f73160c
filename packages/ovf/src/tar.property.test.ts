// Whatever bytes arrive as an OVA, extraction writes nothing outside its target folder, and what
// it refuses it leaves no trace of.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtemp, readdir, rm, mkdir, realpath } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { extractTar } from "./tar-extract.js";
import { OvfError } from "./errors.js";
import { rawTar, type RawMember } from "./raw-tar.test-support.js";

let root: string;
beforeAll(async () => { root = await realpath(await mkdtemp(join(tmpdir(), "vmctl-tarprop-"))); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

let run = 0;
/** Extracts into a fresh target beside a sentinel folder; checks where everything landed. */
async function extractChecked(data: Buffer): Promise<void> {
  const base = join(root, String(run++));
  await mkdir(join(base, "outside"), { recursive: true });
  const target = join(base, "target");
  let failed = false;
  try {
    const members = await extractTar(Readable.from([data]), target, { maxBytes: 1 << 20, maxMembers: 50 });
    for (const member of members) {
      const path = relative(target, member.path);
      expect(path.startsWith("..") || path.startsWith("/")).toBe(false);
    }
  } catch (error) {
    if (!(error instanceof OvfError)) throw error;
    failed = true;
  }
  expect(await readdir(join(base, "outside"))).toEqual([]);
  const left = (await readdir(base)).sort();
  expect(left).toEqual(failed ? ["outside"] : ["outside", "target"]);
  if (!failed) {
    // Every extracted path is a real descendant of the target.
    for (const entry of await readdir(target, { recursive: true })) {
      expect((await realpath(join(target, String(entry)))).startsWith(`${target}/`)).toBe(true);
    }
  }
  await rm(base, { recursive: true, force: true });
}

const segment = fc.constantFrom("..", ".", "", "a", "b", "disk.vmdk", "\\..", "é", "a\0b", "/", "c:", "~");
const member: fc.Arbitrary<RawMember> = fc.record({
  name: fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/")),
  body: fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
  typeflag: fc.constantFrom("0", "0", "0", "5", "1", "2", "3", "4", "6", "7", "\0", "x", "L", "g", "K", "S", "Z"),
  linkname: fc.constantFrom("", "/etc/passwd", "../.."),
}, { requiredKeys: ["name", "body", "typeflag"] }).chain((m) => fc.option(fc.record({ path: fc.array(segment, { minLength: 1, maxLength: 3 }).map((p) => p.join("/")) }), { nil: undefined }).map((pax) => (pax ? { ...m, pax } : m)));

describe("extraction of hostile archives", () => {
  it("random bytes", async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => {
      await extractChecked(Buffer.from(bytes));
    }), { numRuns: 150 });
  }, 60_000);

  it("archives of hostile members, possibly truncated or with a flipped byte", async () => {
    await fc.assert(fc.asyncProperty(fc.array(member, { maxLength: 5 }), fc.option(fc.nat(), { nil: undefined }), fc.option(fc.nat(), { nil: undefined }), async (members, cut, flip) => {
      let data = rawTar(members);
      if (cut !== undefined) data = data.subarray(0, cut % (data.length + 1));
      if (flip !== undefined && data.length > 0) {
        data = Buffer.from(data);
        data[flip % data.length] = data[flip % data.length]! ^ 0x5a;
      }
      await extractChecked(data);
    }), { numRuns: 300 });
  }, 120_000);
});
