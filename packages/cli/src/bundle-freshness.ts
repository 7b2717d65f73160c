// Whether dist/bundle (built by scripts/bundle.mjs from what tsc wrote) still matches its inputs. A
// bundle older than any of them, after a `tsc -b` alone, is never run: a stale CLI would be worse
// than a slow one.
import { readFileSync, statSync } from "node:fs";

/**
 * dist/bundle/inputs.json: the workspace's modules the bundle was made from, and package-lock.json
 * for those under node_modules (which change only with it); paths relative to the bundle's folder.
 */
export interface BundleInputs { inputs: Array<{ file: string; size: number; mtimeMs: number }> }

export type BundleState = { state: "current" } | { state: "missing" } | { state: "stale"; file: string };

/** `bundleDir` ends with a slash. Paths are joined as strings: a URL per file costs more than the stat. */
export function bundleState(bundleDir: string): BundleState {
  let manifest: BundleInputs;
  try {
    manifest = JSON.parse(readFileSync(`${bundleDir}inputs.json`, "utf8")) as BundleInputs;
  } catch {
    return { state: "missing" };
  }
  for (const input of manifest.inputs) {
    const stat = statSync(bundleDir + input.file, { throwIfNoEntry: false });
    if (!stat || stat.size !== input.size || stat.mtimeMs !== input.mtimeMs) return { state: "stale", file: input.file };
  }
  return { state: "current" };
}
