// A lint rule as a test: only the lifecycle changes a VM's state or takes its exclusive section,
// and HTTP handlers take no VM section at all (the domain does, inside the operation).
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("..", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Files (relative to packages/daemon/src) whose code, comments aside, matches `pattern`. */
function offenders(pattern: RegExp, allowed: readonly string[] = [], under = ""): string[] {
  return sources(join(SRC, under))
    .map((path) => relative(SRC, path))
    .filter((file) => !allowed.includes(file))
    .filter((file) => pattern.test(readFileSync(join(SRC, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "")));
}

const LIFECYCLE = ["domain/vm-lifecycle.ts"];

describe("the lifecycle owns every state change", () => {
  it("reads the daemon's sources", () => {
    expect(sources(SRC).map((path) => relative(SRC, path))).toEqual(expect.arrayContaining(["domain/vm-lifecycle.ts", "domain/vm-power.ts", "host.ts"]));
  });

  it("has no setState( or withLock( outside the lifecycle module", () => {
    expect(offenders(/\bsetState\(|\bwithLock\(|\bwithVmLock\(/, LIFECYCLE)).toEqual([]);
  });

  it("assigns a runtime's state nowhere but in the lifecycle", () => {
    expect(offenders(/\b(rt|runtime|this\.runtimes\.get\([^)]*\))\.state\s*=[^=]/, LIFECYCLE)).toEqual([]);
  });

  it("lets no HTTP handler take a VM's exclusive section", () => {
    expect(offenders(/\.exclusive\(|\blifecycle\.(run|runChosen|hold|transition|observe)\(/, [], "api")).toEqual([]);
  });
});
