// The QMP wire stays in this package: no source file of another package sends a raw command
// (`.execute(`); the domain goes through the VmDriver, the QEMU driver through qmpCommands.
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const packagesDir = fileURLToPath(new URL("../../", import.meta.url));
const SOURCE = /\.(ts|tsx|mts|js|mjs)$/;
const TEST = /\.test\.(ts|tsx)$/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "dist" ? [] : sources(path);
    return SOURCE.test(entry.name) && !TEST.test(entry.name) ? [path] : [];
  });
}

describe("QMP boundary", () => {
  it("no package but qmp sends a raw QMP command with .execute(", () => {
    const offenders: string[] = [];
    let scanned = 0;
    for (const pkg of readdirSync(packagesDir, { withFileTypes: true })) {
      if (!pkg.isDirectory() || pkg.name === "qmp") continue;
      const src = join(packagesDir, pkg.name, "src");
      let files: string[];
      try { files = sources(src); } catch { continue; }
      for (const file of files) {
        scanned++;
        readFileSync(file, "utf8").split("\n").forEach((line, i) => {
          if (/\.execute\s*[(<]/.test(line)) offenders.push(`${relative(packagesDir, file)}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    expect(scanned).toBeGreaterThan(100);
    expect(offenders, "add a typed wrapper to packages/qmp/src/commands*.ts and call it from the QEMU driver").toEqual([]);
  });
});
