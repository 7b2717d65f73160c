// Which VM needs a file or folder of a datastore: its folder, its definition and saved state, and
// every file its definition names (disks, CD-ROM media, kernel, initrd). Deleting, overwriting or
// removing a datastore under a VM is refused with the VM's name.
import { join } from "node:path";
import type { Datastores } from "./datastores.js";
import type { InventoryEntry } from "./inventory.js";

export interface FileUse {
  vm: string;
  /** What the VM uses it as: "folder", "definition", "saved state", or a definition field such as "disks.disk0.file". */
  use: string;
  datastore: string;
  /** Absolute path. */
  path: string;
}

export function filesUsedBy(entry: InventoryEntry, datastores: Datastores): FileUse[] {
  const uses: FileUse[] = [
    { vm: entry.name, use: "folder", datastore: entry.datastore, path: entry.dir },
    { vm: entry.name, use: "definition", datastore: entry.datastore, path: entry.file },
    { vm: entry.name, use: "saved state", datastore: entry.datastore, path: join(entry.dir, `${entry.name}.vmstate`) },
  ];
  const def = entry.def;
  if (!def) return uses;
  const named: Array<[string, string | undefined, string | undefined]> = [
    ...Object.entries(def.disks).map(([id, d]): [string, string | undefined, string] => [`disks.${id}.file`, d.datastore, d.file]),
    ...Object.entries(def.cdroms).map(([id, c]): [string, string | undefined, string | undefined] => [`cdroms.${id}.iso`, c.datastore, c.iso]),
    ["boot.kernel", def.boot.datastore, def.boot.kernel],
    ["boot.initrd", def.boot.datastore, def.boot.initrd],
  ];
  for (const [use, ds, file] of named) {
    if (file === undefined) continue;
    const datastore = ds ?? entry.datastore;
    try {
      uses.push({ vm: entry.name, use, datastore, path: datastores.resolve(datastore, file) });
    } catch {
      // A path the definition cannot resolve (unknown datastore, an escape) names no file here.
    }
  }
  return uses;
}

/** The uses of exactly this absolute path by any VM. */
export function usesOfPath(path: string, entries: InventoryEntry[], datastores: Datastores): FileUse[] {
  return entries.flatMap((entry) => filesUsedBy(entry, datastores)).filter((use) => use.path === path);
}

/** "VM \"a\" (disks.disk0.file), VM \"b\" (folder)": for messages. */
export function describeUses(uses: FileUse[]): string {
  return uses.map((use) => `VM "${use.vm}" (${use.use})`).join(", ");
}
