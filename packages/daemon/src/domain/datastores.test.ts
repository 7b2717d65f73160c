import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, realpathSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Datastores } from "./datastores.js";
import { qemuIdentity } from "../security/qemu-user.js";

let dir: string;
let stores: Datastores;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "ds-test-")));
  stores = new Datastores({ local: join(dir, "local"), nas: join(dir, "nas") });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("Datastores.resolve", () => {
  it("resolves relative paths inside the named datastore", () => {
    expect(stores.resolve(undefined, "vm/disk.qcow2")).toBe(join(dir, "local/vm/disk.qcow2"));
    expect(stores.resolve("nas", "iso/x.iso")).toBe(join(dir, "nas/iso/x.iso"));
    expect(stores.resolve("local", join(dir, "nas/a.img"))).toBe(join(dir, "nas/a.img"));
  });

  it("refuses climbing out, absolute paths elsewhere, unknown datastores and symlink escapes", () => {
    expect(() => stores.resolve(undefined, "a/../../x")).toThrow(/leaves datastore "local"/);
    expect(() => stores.resolve(undefined, "/etc/passwd")).toThrow(/outside every datastore/);
    expect(() => stores.resolve("nope", "x")).toThrow(/no datastore "nope"/);
    mkdirSync(join(dir, "elsewhere"));
    symlinkSync(join(dir, "elsewhere"), join(dir, "local/link"));
    expect(() => stores.resolve(undefined, "link/new/disk.qcow2")).toThrow(/through a symlink/);
  });

  it("refuses a path through a dangling symlink, which names no place yet and may point out", () => {
    symlinkSync(join(dir, "outside", "later"), join(dir, "local/dangling"));
    expect(() => stores.resolve(undefined, "dangling/disk.qcow2")).toThrow(/goes through the dangling symlink ".*local\/dangling"/);
    expect(() => stores.resolve(undefined, "dangling")).toThrow(/dangling symlink/);
  });

  it("makes a missing datastore folder private: 0710 with the QEMU user's group, or 0700 without one", () => {
    const info = statSync(join(dir, "nas"));
    const qemu = qemuIdentity();
    expect(info.mode & 0o777).toBe(qemu ? 0o710 : 0o700);
    if (qemu) expect(info.gid).toBe(qemu.gid);
  });

  it("reports capacity and free space", () => {
    const [local] = stores.describe();
    expect(local).toMatchObject({ name: "local", path: join(dir, "local") });
    expect(local!.capacityBytes).toBeGreaterThan(local!.freeBytes);
    expect(local!.freeBytes).toBeGreaterThan(0);
  });
});
