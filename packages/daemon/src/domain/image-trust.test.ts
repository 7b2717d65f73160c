import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Datastores } from "./datastores.js";
import type { InventoryEntry } from "./inventory.js";
import { assertImageTrusted, datastoreScope, importFormat, packageScope, vmDiskScope } from "./image-trust.js";

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

describe("vmDiskScope: a VM's disk chain reaches only its own files, its template's disks and files no VM owns", () => {
  const vm = (name: string, disks: Record<string, { file: string; readonly?: boolean }>, extra: { template?: boolean; iso?: string } = {}): InventoryEntry => {
    const vmDir = join(dir, "local", name);
    mkdirSync(vmDir, { recursive: true });
    const def = {
      name, template: extra.template, boot: {}, cdroms: extra.iso ? { cd0: { iso: extra.iso } } : {},
      disks: Object.fromEntries(Object.entries(disks).map(([id, d]) => [id, { format: "qcow2", readonly: false, ...d }])),
    };
    return { name, datastore: "local", dir: vmDir, file: join(vmDir, `${name}.toml`), def } as unknown as InventoryEntry;
  };
  const qcow2 = (path: string, backing?: string, format = "qcow2") => execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", ...(backing ? ["-u", "-b", backing, "-F", format] : []), path, "1M"]);

  it("refuses another VM's disk, folder file or .vmstate as backing file; allows a template's disk, shared media and its own files", async () => {
    const entries = [
      vm("evil", { disk0: { file: "evil/disk0.qcow2" } }),
      vm("victim", { disk0: { file: "victim/disk0.qcow2" } }, { iso: "shared/cd.iso" }),
      vm("tmpl", { disk0: { file: "tmpl/disk0.qcow2" } }, { template: true }),
    ];
    mkdirSync(join(dir, "local/shared"));
    for (const name of ["victim", "tmpl"]) qcow2(join(dir, `local/${name}/disk0.qcow2`));
    writeFileSync(join(dir, "local/victim/victim.vmstate"), Buffer.alloc(4096));
    writeFileSync(join(dir, "local/victim/notes.img"), Buffer.alloc(4096));
    writeFileSync(join(dir, "local/shared/cd.iso"), Buffer.alloc(4096));
    writeFileSync(join(dir, "local/evil/own.img"), Buffer.alloc(4096));
    const scope = vmDiskScope(stores, entries, "evil");
    const disk = join(dir, "local/evil/disk0.qcow2");
    const check = async (backing: string, format: string) => {
      rmSync(disk, { force: true });
      qcow2(disk, backing, format);
      return assertImageTrusted(disk, "qcow2", scope, 'disks.disk0.file "evil/disk0.qcow2"');
    };
    await expect(check(join(dir, "local/victim/disk0.qcow2"), "qcow2")).rejects.toMatchObject({
      code: "image_unsafe", message: expect.stringContaining(`refers to "${join(dir, "local/victim/disk0.qcow2")}" (a backing file), and it is a disk of VM "victim"`),
    });
    await expect(check(join(dir, "local/victim/victim.vmstate"), "raw")).rejects.toThrow('it is the memory file (.vmstate) of VM "victim"');
    await expect(check("../victim/notes.img", "raw")).rejects.toThrow('it is a file in the folder of VM "victim"');
    await expect(check(join(dir, "local/tmpl/disk0.qcow2"), "qcow2")).resolves.toHaveLength(2);
    await expect(check(join(dir, "local/shared/cd.iso"), "raw")).resolves.toHaveLength(2);
    await expect(check(join(dir, "local/evil/own.img"), "raw")).resolves.toHaveLength(2);
    // A link in a shared folder does not hide whose file it is.
    symlinkSync(join(dir, "local/victim/disk0.qcow2"), join(dir, "local/shared/innocent.qcow2"));
    await expect(check(join(dir, "local/shared/innocent.qcow2"), "qcow2")).rejects.toThrow('it is a disk of VM "victim"');
    // The template's own disk reaching a plain VM's disk is refused all the same.
    rmSync(join(dir, "local/tmpl/disk0.qcow2"));
    qcow2(join(dir, "local/tmpl/disk0.qcow2"), join(dir, "local/victim/disk0.qcow2"));
    await expect(check(join(dir, "local/tmpl/disk0.qcow2"), "qcow2")).rejects.toThrow('it is a disk of VM "victim"');
  });
});
