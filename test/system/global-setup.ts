// Once per system-test run: the demo guest exists (built or cached) and the daemon and CLI are built.
import { existsSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { buildGuest } from "../../packages/guest/src/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    guest: { kernel: string; initrd: string; dir: string; cmdline: string };
  }
}

export default async function setup(project: TestProject): Promise<void> {
  for (const bin of ["packages/daemon/dist/main.js", "packages/cli/dist/main.js"]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npm run build\` (npm test does it)`);
  }
  const image = await buildGuest({});
  project.provide("guest", { kernel: image.kernel, initrd: image.initrd, dir: image.dir, cmdline: image.cmdline });
}
