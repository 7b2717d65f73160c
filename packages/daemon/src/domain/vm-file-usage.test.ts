import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDefinitionToml } from "@vmctl/definition";
import { Datastores } from "./datastores.js";
import type { InventoryEntry } from "./inventory.js";
import { filesUsedBy, usesOfPath, describeUses } from "./vm-file-usage.js";

let dir: string;
let stores: Datastores;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "usage-test-")));
  stores = new Datastores({ local: join(dir, "local"), nas: join(dir, "nas") });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function entry(name: string, toml: string): InventoryEntry {
  const vmDir = join(dir, "local", name);
  return { name, datastore: "local", dir: vmDir, file: join(vmDir, `${name}.toml`), text: toml, etag: "", mtimeMs: 0, def: parseDefinitionToml(toml), error: undefined };
}

describe("which VM uses a file", () => {
  it("names the folder, the definition, the saved state and every file the definition points at", () => {
    const web = entry("web", `name = "web"\n[disks.disk0]\nfile = "web/disk0.qcow2"\n[disks.data]\nfile = "shared/data.img"\ndatastore = "nas"\n[cdroms.cd]\niso = "iso/debian.iso"\n[boot]\nkernel = "k/vmlinuz"\n`);
    expect(filesUsedBy(web, stores).map((u) => [u.use, u.datastore, u.path])).toEqual([
      ["folder", "local", join(dir, "local/web")],
      ["definition", "local", join(dir, "local/web/web.toml")],
      ["saved state", "local", join(dir, "local/web/web.vmstate")],
      ["disks.disk0.file", "local", join(dir, "local/web/disk0.qcow2")],
      ["disks.data.file", "nas", join(dir, "nas/shared/data.img")],
      ["cdroms.cd.iso", "local", join(dir, "local/iso/debian.iso")],
      ["boot.kernel", "local", join(dir, "local/k/vmlinuz")],
    ]);
  });

  it("finds every VM using one path, and skips references that resolve nowhere", () => {
    const a = entry("a", `name = "a"\n[cdroms.cd]\niso = "iso/x.iso"\n`);
    const b = entry("b", `name = "b"\n[cdroms.cd]\niso = "iso/x.iso"\n[disks.d]\nfile = "d.img"\ndatastore = "gone"\n`);
    const uses = usesOfPath(join(dir, "local/iso/x.iso"), [a, b], stores);
    expect(describeUses(uses)).toBe('VM "a" (cdroms.cd.iso), VM "b" (cdroms.cd.iso)');
    expect(filesUsedBy(b, stores).map((u) => u.use)).not.toContain("disks.d.file");
  });
});
