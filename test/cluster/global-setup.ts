// Once per cluster-test run: what the system tier sets up (the demo guest, the built daemon and CLI),
// and the built vmcenter, which every cluster file starts.
import { existsSync } from "node:fs";
import type { TestProject } from "vitest/node";
import systemSetup from "../system/global-setup.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync("packages/center/dist/main.js")) throw new Error("packages/center/dist/main.js is missing: run `npm run build` (npm test does it)");
  return systemSetup(project);
}
