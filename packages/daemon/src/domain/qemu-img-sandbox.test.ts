// Lending the files qemu-img reads (an import's, a VM disk's) to the QEMU user: only what it cannot
// read yet, only plain files with one name inside the roots, given back through the same descriptor
// by the last user; an image changed in place owned by that user for the time, then given back.
import { describe, it, expect, vi, beforeEach, afterEach } from "vitest";
import { chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageFile } from "@vmctl/qemu";

vi.mock("../security/qemu-user.js", async (original) => ({
  ...(await original<typeof import("../security/qemu-user.js")>()),
  qemuGroupIds: () => [4243],
}));
const { lendToQemu } = await import("./qemu-img-sandbox.js");

const runAs = { user: "vmctl-qemu", uid: 4242, gid: 4243 };
const asRoot = process.getuid?.() === 0;
let root: string;
let pkg: string;

const image = (path: string): ImageFile => ({ path, realPath: path, role: "image", format: "raw", looksLike: null });
const owner = (path: string) => { const s = statSync(path); return { uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 }; };
const privateFile = (name: string, mode = 0o600) => {
  const path = join(pkg, name);
  writeFileSync(path, "data");
  chmodSync(path, mode);
  return path;
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "qemu-img-sandbox-"));
  pkg = join(root, "pkg");
  mkdirSync(pkg);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!asRoot)("lendToQemu", () => {
  it("gives group read (no write) for the convert and the owner, group and mode back after", async () => {
    const disk = privateFile("disk.vmdk", 0o620);
    const giveBack = await lendToQemu([image(disk)], [pkg], 'disk "disk.vmdk"', runAs);
    expect(owner(disk)).toEqual({ uid: 0, gid: 4243, mode: 0o640 });
    await giveBack();
    expect(owner(disk)).toEqual({ uid: 0, gid: 0, mode: 0o620 });
  });

  it("leaves a file the QEMU user may read already (world-readable, or its group's) as it is", async () => {
    const open = privateFile("open.img", 0o644);
    const grouped = privateFile("grouped.img", 0o640);
    chownSync(grouped, 0, 4243);
    const giveBack = await lendToQemu([image(open), image(grouped)], [pkg], "disk", runAs);
    await giveBack();
    expect([owner(open), owner(grouped)]).toEqual([{ uid: 0, gid: 0, mode: 0o644 }, { uid: 0, gid: 4243, mode: 0o640 }]);
  });

  it("keeps a file lent while a second import still reads it: the last one gives it back", async () => {
    const disk = privateFile("shared.qcow2");
    const first = await lendToQemu([image(disk)], [pkg], "disk", runAs);
    const second = await lendToQemu([image(disk)], [pkg], "disk", runAs);
    await first();
    expect(owner(disk)).toEqual({ uid: 0, gid: 4243, mode: 0o640 });
    await second();
    expect(owner(disk)).toEqual({ uid: 0, gid: 0, mode: 0o600 });
  });

  it("refuses a symlink swapped in since the inspection, a file now outside the roots and one with two names, changing nothing", async () => {
    const host = join(root, "host-secret");
    writeFileSync(host, "secret");
    chmodSync(host, 0o600);
    const link = join(pkg, "disk.vmdk");
    symlinkSync(host, link);
    await expect(lendToQemu([image(link)], [pkg], 'disk "disk.vmdk"', runAs)).rejects.toMatchObject({ code: "image_unsafe", message: `disk "disk.vmdk": "${link}" was replaced by a symlink since it was inspected; it was not given to qemu-img` });
    await expect(lendToQemu([image(host)], [pkg], "disk", runAs)).rejects.toMatchObject({ code: "image_unsafe", message: expect.stringContaining(`now lies at "${host}", outside what qemu-img may read`) });
    const linked = join(pkg, "linked.img");
    linkSync(host, linked);
    await expect(lendToQemu([image(linked)], [pkg], "disk", runAs)).rejects.toMatchObject({ message: expect.stringContaining("has 2 hard links") });
    expect(owner(host)).toEqual({ uid: 0, gid: 0, mode: 0o600 });
  });

  it("gives back what it lent when a later file is refused", async () => {
    const good = privateFile("good.vmdk");
    const folder = join(pkg, "extent");
    mkdirSync(folder);
    await expect(lendToQemu([image(good), image(folder)], [pkg], "disk", runAs)).rejects.toMatchObject({ message: expect.stringContaining("is not a regular file") });
    expect(owner(good)).toEqual({ uid: 0, gid: 0, mode: 0o600 });
  });

  it("leaves a file that vmctld gave away meanwhile (a VM start made it its disk) with its new owner", async () => {
    const disk = privateFile("disk.qcow2");
    const giveBack = await lendToQemu([image(disk)], [pkg], "disk", runAs);
    chownSync(disk, 4242, 4243);
    chmodSync(disk, 0o600);
    await giveBack();
    expect(owner(disk)).toEqual({ uid: 4242, gid: 4243, mode: 0o600 });
  });

  it("owns an image written in place (0600) for the time and gives it back to its owner; its backing file only lent for reading", async () => {
    const disk = privateFile("disk.qcow2");
    const base = privateFile("base.qcow2", 0o640);
    const giveBack = await lendToQemu([image(disk), { ...image(base), role: "backing file" }], [pkg], "disk", runAs, { writeImage: true });
    expect([owner(disk), owner(base)]).toEqual([{ uid: 4242, gid: 4243, mode: 0o600 }, { uid: 0, gid: 4243, mode: 0o640 }]);
    await giveBack();
    expect([owner(disk), owner(base)]).toEqual([{ uid: 0, gid: 0, mode: 0o600 }, { uid: 0, gid: 0, mode: 0o640 }]);
  });

  it("leaves an image the QEMU user owns already (its VM runs) with it, and a read loan taken over by a write goes back to the first owner", async () => {
    const running = privateFile("running.qcow2");
    chownSync(running, 4242, 4243);
    const first = await lendToQemu([image(running)], [pkg], "disk", runAs, { writeImage: true });
    await first();
    expect(owner(running)).toEqual({ uid: 4242, gid: 4243, mode: 0o600 });

    const disk = privateFile("stopped.qcow2");
    const reading = await lendToQemu([image(disk)], [pkg], "disk", runAs);
    const writing = await lendToQemu([image(disk)], [pkg], "disk", runAs, { writeImage: true });
    expect(owner(disk)).toEqual({ uid: 4242, gid: 4243, mode: 0o600 });
    await reading();
    expect(owner(disk)).toEqual({ uid: 4242, gid: 4243, mode: 0o600 });
    await writing();
    expect(owner(disk)).toEqual({ uid: 0, gid: 0, mode: 0o600 });
  });
});
