import { describe, it, expect, onTestFinished } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createImage, createOverlay } from "./qemu-img.js";
import { readQcow2Backing } from "./qcow2-header.js";

describe("readQcow2Backing", () => {
  it("reads the backing file qemu-img wrote, and null for images without one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmctl-qcow2-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    await createImage(join(dir, "base.qcow2"), "qcow2", 1024 ** 2);
    await createOverlay(join(dir, "top.qcow2"), "base.qcow2", "qcow2");
    expect(await readQcow2Backing(join(dir, "top.qcow2"))).toBe("base.qcow2");
    expect(await readQcow2Backing(join(dir, "base.qcow2"))).toBeNull();
    writeFileSync(join(dir, "raw.img"), Buffer.alloc(4096));
    expect(await readQcow2Backing(join(dir, "raw.img"))).toBeNull();
    expect(await readQcow2Backing(join(dir, "missing"))).toBeNull();
  });
});
