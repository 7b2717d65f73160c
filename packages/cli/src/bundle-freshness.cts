// Whether dist/bundle (built by scripts/bundle.mjs from what tsc wrote) still matches its inputs. A
// bundle older than any of them, after a `tsc -b` alone, is never run: a stale CLI would be worse
// than a slow one. CommonJS, like main.cts which reads it first thing.
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (see above) */
import fs = require("node:fs");

/**
 * dist/bundle/inputs.json: the workspace's modules the bundle was made from, and package-lock.json
 * for those under node_modules (which change only with it); paths relative to the bundle's folder.
 */
interface BundleInputs { inputs: Array<{ file: string; size: number; mtimeMs: number }> }

type BundleState = { state: "current" } | { state: "missing" } | { state: "stale"; file: string };

/** `bundleDir` ends with a slash. Paths are joined as strings: a URL per file costs more than the stat. */
function bundleState(bundleDir: string): BundleState {
  let manifest: BundleInputs;
  try {
    manifest = JSON.parse(fs.readFileSync(`${bundleDir}inputs.json`, "utf8")) as BundleInputs;
  } catch {
    return { state: "missing" };
  }
  for (const input of manifest.inputs) {
    const stat = fs.statSync(bundleDir + input.file, { throwIfNoEntry: false });
    if (!stat || stat.size !== input.size || stat.mtimeMs !== input.mtimeMs) return { state: "stale", file: input.file };
  }
  return { state: "current" };
}

export = { bundleState };
