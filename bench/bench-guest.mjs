// The demo guest for a benchmark: its cache lies under /root, which neither a datastore may be nor
// QEMU's unprivileged user can traverse, so each run reads a copy in a fresh world-readable folder.
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { buildGuest } from "../packages/guest/dist/index.js";

/** { dir, kernel, initrd, cmdline, remove() }: the guest's kernel and initramfs in a folder of their own. */
export async function benchGuest() {
  const image = await buildGuest({});
  const dir = mkdtempSync(join(tmpdir(), "vmctl-bench-images-"));
  chmodSync(dir, 0o755);
  const copy = (file) => {
    const target = join(dir, basename(file));
    copyFileSync(file, target);
    chmodSync(target, 0o644);
    return target;
  };
  return { dir, kernel: copy(image.kernel), initrd: copy(image.initrd), cmdline: image.cmdline, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
