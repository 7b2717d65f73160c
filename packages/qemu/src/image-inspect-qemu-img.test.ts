import { describe, it, expect, afterEach } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { imageInfo, imageSnapshot, listImageSnapshots } from "./qemu-img.js";

const dirs: string[] = [];
const tempDir = () => { const dir = mkdtempSync(join(tmpdir(), "vmctl-qemu-img-")); dirs.push(dir); return dir; };
afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }); });

describe("qemu-img as vmctl runs it opens no file an image's header names", () => {
  it("reads sizes and makes, applies and deletes snapshots of a qcow2 whose backing file is a FIFO, without opening it", async () => {
    const dir = tempDir();
    execFileSync("mkfifo", [join(dir, "fifo")]);
    // Opening the FIFO would block qemu-img forever: every call returning shows it was never opened.
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-u", "-b", join(dir, "fifo"), "-F", "raw", join(dir, "top.qcow2"), "1M"]);
    const top = join(dir, "top.qcow2");
    expect(await imageInfo(top, "qcow2")).toMatchObject({ format: "qcow2", virtualSize: 1024 ** 2, backingFile: join(dir, "fifo") });
    await imageSnapshot(top, "create", "one");
    await imageSnapshot(top, "apply", "one");
    expect((await listImageSnapshots(top)).map((s) => s.name)).toEqual(["one"]);
    await imageSnapshot(top, "delete", "one");
    expect(await listImageSnapshots(top)).toEqual([]);
  });

  it("reads a raw file in raw even when its bytes are a qcow2 header", async () => {
    const dir = tempDir();
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", join(dir, "looks.img"), "64M"]);
    const info = await imageInfo(join(dir, "looks.img"), "raw");
    expect(info.format).toBe("raw");
    expect(info.virtualSize).toBeLessThan(1024 ** 2);
  });
});
