import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { openDatabase, type Db } from "../store/database.js";
import type { Datastores } from "./datastores.js";
import { IsoLibrary } from "./iso-library.js";

const sha = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");
const log = { warn: () => undefined } as unknown as Logger;

let base: string;
let store: string;
let outside: string;
let db: Db;
let library: IsoLibrary;
const ORIGINAL = Buffer.alloc(4096, 7);
const SECRET = Buffer.alloc(4096, 9); // a host file of the same size as the ISO

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "vmctl-iso-library-")));
  store = join(base, "store");
  outside = join(base, "outside");
  mkdirSync(join(store, "iso"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, "shadow"), SECRET);
  writeFileSync(join(store, "iso", "good.iso"), ORIGINAL);
  db = openDatabase(":memory:");
  library = new IsoLibrary(db, { names: () => ["local"], root: () => store } as unknown as Datastores, log);
});
afterEach(async () => {
  await library.idle();
  db.close();
  rmSync(base, { recursive: true, force: true });
});

const checksums = () => db.prepare("SELECT path, sha256 FROM iso_checksums").all() as Array<{ path: string; sha256: string }>;

describe("ISO library", () => {
  it("lists a regular ISO with its size and SHA-256, and never an ISO that is a symlink out of the datastore", async () => {
    symlinkSync(join(outside, "shadow"), join(store, "iso", "evil.iso"));
    symlinkSync("/etc/shadow", join(store, "iso", "shadow.iso"));
    const first = await library.list();
    expect(first.map((iso) => iso.name)).toEqual(["good.iso"]);
    await library.idle();
    const [good] = await library.list();
    expect(good).toMatchObject({ path: "iso/good.iso", size: ORIGINAL.length, sha256: sha(ORIGINAL), checksumPending: false });
    expect(checksums().map((c) => c.sha256)).toEqual([sha(ORIGINAL)]);
  });

  it("does not list an iso folder that is a symlink out", async () => {
    rmSync(join(store, "iso"), { recursive: true });
    writeFileSync(join(outside, "host.iso"), SECRET);
    symlinkSync(outside, join(store, "iso"));
    expect(await library.list()).toEqual([]);
    await library.idle();
    expect(checksums()).toEqual([]);
  });

  it("an upload noted at a path that is a symlink out is never hashed", async () => {
    symlinkSync(join(outside, "shadow"), join(store, "iso", "up.iso"));
    library.noteUploaded("iso/up.iso", join(store, "iso", "up.iso"));
    await library.idle();
    expect(checksums()).toEqual([]);
  });

  it("an ISO swapped for a symlink to a host file of the same size and mtime after it was listed never gets that file's checksum", async () => {
    const iso = join(store, "iso", "good.iso");
    for (const file of [iso, join(outside, "shadow")]) utimesSync(file, 1_700_000_000, 1_700_000_000);
    const listed = await library.list(); // queues the checksum; hashing starts at once
    expect(listed.map((i) => i.name)).toEqual(["good.iso"]);
    renameSync(iso, join(store, "kept.iso"));
    symlinkSync(join(outside, "shadow"), iso);
    await library.idle();
    expect(checksums().map((c) => c.sha256)).not.toContain(sha(SECRET));
    expect(await library.list()).toEqual([]);
    await library.idle();
    expect(checksums().map((c) => c.sha256)).not.toContain(sha(SECRET));
  });
});
