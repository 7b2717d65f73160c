import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Datastores } from "./datastores.js";
import { assertImageTrusted, datastoreScope, importFormat, packageScope } from "./image-trust.js";

let dir: string;
let stores: Datastores;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "image-trust-")));
  stores = new Datastores({ local: join(dir, "local"), nas: join(dir, "nas") });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const overlay = (path: string, backing: string) => execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-u", "-b", backing, "-F", "raw", path, "1M"]);

describe("assertImageTrusted", () => {
  it("lets a disk read a backing file in another datastore (a linked clone across datastores), not one outside", async () => {
    writeFileSync(join(dir, "nas/base.img"), Buffer.alloc(1024 ** 2));
    overlay(join(dir, "local/clone.qcow2"), join(dir, "nas/base.img"));
    const files = await assertImageTrusted(join(dir, "local/clone.qcow2"), "qcow2", datastoreScope(stores), 'disk "clone.qcow2"');
    expect(files.map((f) => f.realPath)).toEqual([join(dir, "local/clone.qcow2"), join(dir, "nas/base.img")]);
    writeFileSync(join(dir, "host-secret"), "x");
    overlay(join(dir, "local/thief.qcow2"), "../host-secret");
    await expect(assertImageTrusted(join(dir, "local/thief.qcow2"), "qcow2", datastoreScope(stores), 'disk "thief.qcow2"')).rejects.toMatchObject({
      code: "image_unsafe",
      message: `disk "thief.qcow2" refers to "../host-secret" (a backing file, resolving to "${join(dir, "host-secret")}"), outside every datastore: a disk may only read files in a datastore`,
      details: { file: "../host-secret", resolved: join(dir, "host-secret"), role: "backing file" },
    });
  });

  it("keeps an import inside its package, symlinks followed, and names the reason of a malformed image", async () => {
    const pkg = join(dir, "local/.import-x");
    mkdirSync(pkg);
    writeFileSync(join(dir, "local/other.raw"), Buffer.alloc(512));
    symlinkSync(join(dir, "local/other.raw"), join(pkg, "disk.img"));
    await expect(assertImageTrusted(join(pkg, "disk.img"), "raw", packageScope(pkg), 'disk "disk.img"')).rejects.toThrow(
      `disk "disk.img" is "${join(dir, "local/other.raw")}", outside the package: an imported disk may only read files of its package`);
    writeFileSync(join(pkg, "fake.qcow2"), Buffer.alloc(4096));
    await expect(assertImageTrusted(join(pkg, "fake.qcow2"), "qcow2", packageScope(pkg), 'disk "fake.qcow2"')).rejects.toThrow('disk "fake.qcow2" cannot be used: it is not a qcow2 image');
  });

  it("refuses an import format it does not know rather than letting qemu-img guess", () => {
    expect(importFormat("vmdk-stream", "d")).toBe("vmdk");
    expect(importFormat("raw", "d")).toBe("raw");
    expect(() => importFormat("unknown", 'disk "x.vhd"')).toThrow(/^disk "x.vhd" has no format vmctl knows/);
  });
});
