import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, lstat, symlink, writeFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { makeProbeDir, writeProbeFile } from "./accel-probe.js";
import type { QemuRunAs } from "./qemu-sandbox.js";

function qemuUser(): QemuRunAs | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "vmctl-qemu"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    return { user: "vmctl-qemu", uid: id("-u"), gid: id("-g") };
  } catch {
    // No QEMU user on this host: a stand-in identity is enough for ownership checks as root.
    return { user: "vmctl-qemu", uid: 64999, gid: 64999 };
  }
}

const runAs = qemuUser();

describe.skipIf(!runAs)("the accelerator probe's files (needs root: it gives them to the QEMU user)", () => {
  const qemu = runAs as QemuRunAs;
  let scratch: string;
  beforeAll(async () => { scratch = await mkdtemp(join(tmpdir(), "vmctl-probe-test-")); });
  afterAll(async () => { await rm(scratch, { recursive: true, force: true }); });

  it("live in a folder of root's that the QEMU user may traverse but not write", async () => {
    const dir = await makeProbeDir(qemu, scratch);
    const info = await stat(dir);
    expect(info.uid).toBe(0);
    expect(info.uid).not.toBe(qemu.uid);
    expect(info.gid).toBe(qemu.gid);
    expect(info.mode & 0o7777).toBe(0o710);
    expect(info.mode & 0o022).toBe(0); // neither group nor others may create names
  });

  it("are created fresh: a symlink planted at the name makes the preparation fail and leaves its target alone", async () => {
    const decoy = join(scratch, "passwd-decoy");
    await writeFile(decoy, "root:x:0:0:root:/root:/bin/bash\n", { mode: 0o644 });
    const before = await stat(decoy);
    const kernel = join(scratch, "kernel");
    await writeFile(kernel, Buffer.alloc(4096, 0x5a));
    for (const [name, writable] of [["vmlinuz", false], ["probe.img", true]] as const) {
      const dir = await makeProbeDir(qemu, scratch);
      await symlink(decoy, join(dir, name));
      const content = writable ? { data: Buffer.alloc(512, 1) } : { copyOf: kernel };
      await expect(writeProbeFile(dir, name, content, qemu, writable)).rejects.toMatchObject({ code: "EEXIST" });
      const after = await stat(decoy);
      expect(await readFile(decoy, "utf8")).toBe("root:x:0:0:root:/root:/bin/bash\n");
      expect([after.uid, after.gid, after.mode]).toEqual([before.uid, before.gid, before.mode]);
      expect((await lstat(join(dir, name))).isSymbolicLink()).toBe(true);
      expect(await readlink(join(dir, name))).toBe(decoy);
    }
  });

  it("end readable by the QEMU group (the kernel, root's 0640) or the QEMU user's own (the writable image, 0600)", async () => {
    const kernel = join(scratch, "kernel2");
    await writeFile(kernel, Buffer.alloc(3 * 1024 * 1024 + 17, 0x42), { mode: 0o600 });
    const dir = await makeProbeDir(qemu, scratch);
    const copy = await writeProbeFile(dir, "vmlinuz", { copyOf: kernel }, qemu, false);
    expect(copy).toBe(join(dir, "vmlinuz"));
    const k = await stat(copy);
    expect([k.uid, k.gid, k.mode & 0o7777]).toEqual([0, qemu.gid, 0o640]);
    expect((await readFile(copy)).equals(await readFile(kernel))).toBe(true);

    const image = await writeProbeFile(dir, "probe.img", { data: Buffer.alloc(512, 7) }, qemu, true);
    const i = await stat(image);
    expect([i.uid, i.gid, i.mode & 0o7777]).toEqual([qemu.uid, qemu.gid, 0o600]);
    expect((await readFile(image)).equals(Buffer.alloc(512, 7))).toBe(true);
  });

  it("without a QEMU user stay vmctld's own: folder 0700, files 0600", async () => {
    const dir = await makeProbeDir(null, scratch);
    expect((await stat(dir)).mode & 0o7777).toBe(0o700);
    const image = await writeProbeFile(dir, "probe.img", { data: Buffer.alloc(512) }, null, true);
    const i = await stat(image);
    expect([i.uid, i.mode & 0o7777]).toEqual([process.getuid?.(), 0o600]);
  });
});
