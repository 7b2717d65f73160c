import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VmctlError } from "@vmctl/api-types";
import { parseDefinitionToml } from "@vmctl/definition";
import { Datastores } from "../domain/datastores.js";
import type { InventoryEntry } from "../domain/inventory.js";
import type { Principal } from "./principal.js";
import type { Privilege } from "./privileges.js";
import { assertFileAccess, changedFileRefs, missingForBrowse, visibleInListing, type FileAccessContext } from "./file-access.js";

let dir: string;
let ctx: FileAccessContext;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "file-access-test-")));
  for (const sub of ["mine", "theirs", "iso", "shared"]) mkdirSync(join(dir, "local", sub), { recursive: true });
  const stores = new Datastores({ local: join(dir, "local") });
  ctx = {
    datastores: stores,
    entries: [
      entry("mine", `name = "mine"\n[disks.disk0]\nfile = "mine/disk0.qcow2"\n`),
      entry("theirs", `name = "theirs"\n[disks.disk0]\nfile = "theirs/disk0.qcow2"\n[disks.data]\nfile = "shared/data.img"\n[cdroms.cd0]\niso = "iso/debian.iso"\n`),
    ],
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function entry(name: string, toml: string): InventoryEntry {
  const vmDir = join(dir, "local", name);
  return { name, datastore: "local", dir: vmDir, file: join(vmDir, `${name}.toml`), text: toml, etag: "", mtimeMs: 0, def: parseDefinitionToml(toml), error: undefined };
}

function principal(host: Privilege[], vms: Record<string, Privilege[]> = {}): Principal {
  return { name: "eve", user: "eve", kind: "session", role: "Custom", host: new Set(host), vms: new Map(Object.entries(vms).map(([vm, p]) => [vm, new Set(p)])), via: { kind: "session", sessionHash: "x" } };
}

const eve = () => principal(["datastore.read"], { mine: ["vm.read", "vm.edit", "vm.power"] });
const refusal = (fn: () => void): VmctlError => {
  try { fn(); } catch (error) { return error as VmctlError; }
  throw new Error("not refused");
};

describe("which files a VM may be given", () => {
  it("refuses another VM's disk, naming the field, the file and the privilege on that VM", () => {
    const error = refusal(() => assertFileAccess(eve(), "mine", [{ field: "disks.stolen.file", datastore: "local", file: "theirs/disk0.qcow2", mode: "read" }], ctx));
    expect(error.code).toBe("forbidden");
    expect(error.message).toMatch(/disks\.stolen\.file.*"theirs\/disk0\.qcow2".*folder of VM "theirs".*"vm\.edit" on VM "theirs"/);
    expect(error.details).toMatchObject({ privilege: "vm.edit", vm: "theirs", file: "theirs/disk0.qcow2" });
  });

  it("refuses a writable disk another VM keeps outside its folder, and any file of another VM's folder, even one not yet there", () => {
    expect(refusal(() => assertFileAccess(eve(), "mine", [{ field: "file", datastore: "local", file: "shared/data.img", mode: "read" }], ctx)).message).toMatch(/a disk of VM "theirs"/);
    expect(refusal(() => assertFileAccess(eve(), "mine", [{ field: "file", datastore: "local", file: "theirs/theirs.vmstate", mode: "read" }], ctx)).details).toMatchObject({ vm: "theirs" });
    expect(refusal(() => assertFileAccess(eve(), "mine", [{ field: "file", datastore: "local", file: "theirs/new.qcow2", mode: "write" }], ctx)).details).toMatchObject({ vm: "theirs" });
  });

  it("sees through a symlink that leads into another VM's folder", () => {
    symlinkSync(join(dir, "local", "theirs", "disk0.qcow2"), join(dir, "local", "shared", "innocent.qcow2"));
    writeFileSync(join(dir, "local", "theirs", "disk0.qcow2"), "");
    expect(refusal(() => assertFileAccess(eve(), "mine", [{ field: "file", datastore: "local", file: "shared/innocent.qcow2", mode: "read" }], ctx)).details).toMatchObject({ vm: "theirs" });
  });

  it("lets shared media be read with datastore.read, written only with datastore.write and rights on the VMs using it", () => {
    expect(() => assertFileAccess(eve(), "mine", [{ field: "iso", datastore: "local", file: "iso/debian.iso", mode: "read" }], ctx)).not.toThrow();
    expect(refusal(() => assertFileAccess(eve(), "mine", [{ field: "file", datastore: "local", file: "iso/debian.iso", mode: "write" }], ctx)).details).toMatchObject({ privilege: "vm.edit", vm: "theirs" });
    expect(refusal(() => assertFileAccess(eve(), "mine", [{ field: "file", datastore: "local", file: "shared/blank.img", mode: "write" }], ctx)).details).toMatchObject({ privilege: "datastore.write" });
    expect(refusal(() => assertFileAccess(principal([], { mine: ["vm.edit"] }), "mine", [{ field: "iso", datastore: "local", file: "iso/debian.iso", mode: "read" }], ctx)).details).toMatchObject({ privilege: "datastore.read" });
  });

  it("lets a VM use its own folder, and another VM's files with vm.edit on it (Admin everything)", () => {
    const perVmOnly = principal([], { mine: ["vm.edit"] });
    expect(() => assertFileAccess(perVmOnly, "mine", [{ field: "file", datastore: "local", file: "mine/disk1.qcow2", mode: "write" }], ctx)).not.toThrow();
    expect(() => assertFileAccess(principal([], { mine: ["vm.edit"], theirs: ["vm.edit"] }), "mine", [{ field: "file", datastore: "local", file: "theirs/disk0.qcow2", mode: "read" }], ctx)).not.toThrow();
    expect(() => assertFileAccess(principal(["vm.edit", "datastore.read", "datastore.write"]), "mine", [{ field: "file", datastore: "local", file: "theirs/disk0.qcow2", mode: "write" }], ctx)).not.toThrow();
    // A new VM's own folder, before it is in the inventory.
    expect(() => assertFileAccess(principal(["vm.create"]), "fresh", [{ field: "disks.disk0.file", datastore: "local", file: "fresh/disk0.qcow2", mode: "write" }], ctx, join(dir, "local", "fresh"))).not.toThrow();
  });

  it("checks only the files an edit adds, or now lets the guest write", () => {
    const before = parseDefinitionToml(`name = "mine"\n[disks.disk0]\nfile = "shared/base.img"\nreadonly = true\n`);
    expect(changedFileRefs(before, parseDefinitionToml(`name = "mine"\ncpus = 4\n[disks.disk0]\nfile = "shared/base.img"\nreadonly = true\n`), "local")).toEqual([]);
    expect(changedFileRefs(before, parseDefinitionToml(`name = "mine"\n[disks.disk0]\nfile = "shared/base.img"\n`), "local")).toEqual([{ field: "disks.disk0.file", datastore: "local", file: "shared/base.img", mode: "write", format: "raw" }]);
    expect(changedFileRefs(before, parseDefinitionToml(`name = "mine"\n[disks.disk0]\nfile = "shared/base.img"\nreadonly = true\n[boot]\nkernel = "theirs/vmlinuz"\n`), "local").map((r) => r.field)).toEqual(["boot.kernel"]);
    expect(changedFileRefs(undefined, before, "local").map((r) => r.field)).toEqual(["disks.disk0.file"]);
    // Raw bytes re-read as qcow2 are a new file to QEMU: its header may name a backing file.
    expect(changedFileRefs(before, parseDefinitionToml(`name = "mine"\n[disks.disk0]\nfile = "shared/base.img"\nreadonly = true\nformat = "qcow2"\n`), "local").map((r) => r.format)).toEqual(["qcow2"]);
  });
});

describe("what the datastore browser shows", () => {
  const rob = () => principal(["datastore.read", "vm.read"]);
  it("lists a VM's folder and definition with vm.read, its disks and memory only with vm.edit", () => {
    const at = (path: string) => join(dir, "local", path);
    expect(missingForBrowse(rob(), at("theirs"), "list", ctx)).toBeNull();
    expect(missingForBrowse(rob(), at("theirs/theirs.toml"), "read", ctx)).toBeNull();
    expect(missingForBrowse(rob(), at("theirs/disk0.qcow2"), "read", ctx)).toMatchObject({ privilege: "vm.edit", vm: "theirs" });
    expect(missingForBrowse(rob(), at("theirs/theirs.vmstate"), "read", ctx)).toMatchObject({ privilege: "vm.edit", vm: "theirs" });
    expect(missingForBrowse(rob(), at("shared/data.img"), "read", ctx)).toMatchObject({ privilege: "vm.edit", vm: "theirs" });
    expect(missingForBrowse(rob(), at("iso/debian.iso"), "read", ctx)).toBeNull();
    expect(missingForBrowse(rob(), at("theirs/upload.bin"), "change", ctx)).toMatchObject({ privilege: "vm.edit" });
    expect(missingForBrowse(eve(), at("theirs"), "list", ctx)).toMatchObject({ privilege: "vm.read", vm: "theirs" });
    expect(missingForBrowse(eve(), at("mine/disk0.qcow2"), "read", ctx)).toBeNull();
  });

  it("gives the definition file itself only with vm.edit when it holds cloud-init password hashes or user-data", () => {
    // A reader sees it through GET /vms/{name}/definition with them hidden; the raw bytes would show them.
    const secret = `name = "secret"\n[cloud_init]\n[[cloud_init.users]]\nname = "ann"\npassword_hash = "$6$salt$hash"\n`;
    const token = `name = "token"\n[cloud_init]\nuser_data = "#cloud-config\\nruncmd: [echo token]"\n`;
    // The key spelt with a TOML escape is the same key.
    const escaped = `name = "escaped"\n[cloud_init]\n[[cloud_init.users]]\nname = "ann"\n"password\\u005fhash" = "$6$salt$hash"\n`;
    ctx = { ...ctx, entries: [...ctx.entries, entry("secret", secret), entry("token", token), entry("escaped", escaped)] };
    expect(missingForBrowse(rob(), join(dir, "local", "escaped/escaped.toml"), "read", ctx)).toMatchObject({ privilege: "vm.edit", vm: "escaped" });
    const at = (path: string) => join(dir, "local", path);
    expect(missingForBrowse(rob(), at("secret/secret.toml"), "read", ctx)).toMatchObject({ privilege: "vm.edit", vm: "secret", reason: expect.stringContaining("/api/v1/vms/secret/definition") });
    expect(missingForBrowse(rob(), at("token/token.toml"), "read", ctx)).toMatchObject({ privilege: "vm.edit", vm: "token" });
    expect(missingForBrowse(rob(), at("secret"), "list", ctx)).toBeNull();
    expect(missingForBrowse(principal(["datastore.read", "vm.read"], { secret: ["vm.edit"] }), at("secret/secret.toml"), "read", ctx)).toBeNull();
  });

  it("hides from a listing the folders and disks of VMs the principal may not read", () => {
    const at = (path: string) => join(dir, "local", path);
    expect(["mine", "theirs", "iso", "shared/data.img", "shared/other.img"].filter((p) => visibleInListing(eve(), at(p), ctx))).toEqual(["mine", "iso", "shared/other.img"]);
    expect(["mine", "theirs", "iso"].filter((p) => visibleInListing(rob(), at(p), ctx))).toEqual(["mine", "theirs", "iso"]);
  });
});
