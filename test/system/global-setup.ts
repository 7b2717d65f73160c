// Once per system-test run: the demo guest exists (built or cached) and the daemon and CLI are built.
// The guest cache lies under /root, which QEMU's unprivileged user cannot traverse: the tests'
// `images` datastore is a copy of it in a fresh folder that user may read, as a real one would be.
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdtemp, rm, constants } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { TestProject } from "vitest/node";
import { buildGuest } from "../../packages/guest/src/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    guest: { kernel: string; initrd: string; dir: string; cmdline: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  for (const bin of ["packages/daemon/dist/main.js", "packages/cli/dist/main.js"]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` (npm test does it)`);
  }
  const image = await buildGuest({});
  const dir = await mkdtemp(join(tmpdir(), "vmctl-images-"));
  await chmod(dir, 0o755);
  const copy = async (file: string) => {
    const target = join(dir, basename(file));
    await copyFile(file, target, constants.COPYFILE_FICLONE);
    await chmod(target, 0o644);
    return target;
  };
  const [kernel, initrd] = [await copy(image.kernel), await copy(image.initrd)];
  for (const extra of [image.disk, join(image.dir, "manifest.json")]) if (existsSync(extra)) await copy(extra);
  project.provide("guest", { kernel, initrd, dir, cmdline: image.cmdline });
  return async () => { await rm(dir, { recursive: true, force: true }); };
}
