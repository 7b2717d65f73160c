// Renaming a stopped VM: its folder <ds>/<old>/ becomes <ds>/<new>/ and <old>.toml <new>.toml, with
// name and the paths into the folder rewritten (also in the definitions its snapshots keep). The
// uuid stays, and with it the runtime row, port forwards, tasks and events; grants move with the
// VM (host.ts, on vm.renamed). At every moment one valid definition names the VM: the new file is
// written into the old folder first, the folder renamed in one rename(2), the old file removed last.
import { existsSync } from "node:fs";
import { readFile, rename, rm } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { NAME_PATTERN, VmctlError, type VmDefinition } from "@vmctl/api-types";
import { DefinitionError, parseDefinitionToml, setTomlValue, setTopLevelValue } from "@vmctl/definition";
import type { Inventory, InventoryEntry } from "./inventory.js";
import type { Datastores } from "./datastores.js";
import type { RuntimeTable } from "./vm-runtime.js";
import type { VmLifecycle } from "./vm-lifecycle.js";
import type { EventLog } from "./event-log.js";
import { editDefinitionText } from "./definition-store.js";
import { writeFileAtomic } from "./atomic-write.js";
import { filesUsedBy } from "./vm-file-usage.js";
import { removeRunDir } from "./vm-sandbox.js";

export interface RenameDeps {
  inventory: Inventory;
  datastores: Datastores;
  runtimes: RuntimeTable;
  lifecycle: VmLifecycle;
  events: EventLog;
  runDir: string;
  linkedClones: (name: string) => Promise<string[]>;
}

const NAME = new RegExp(NAME_PATTERN);
/** A rename is refused in every other state: QEMU's sockets, its pid file and a saved state are named by the VM. */
const RENAMABLE = new Set(["stopped", "crashed"]);

/** Checks the new name as a user gave it: the error names the field and the fix. */
export function assertNewName(from: string, to: unknown): asserts to is string {
  if (typeof to !== "string" || !NAME.test(to)) {
    throw new VmctlError("bad_request", `name: ${JSON.stringify(to)?.slice(0, 80) ?? "nothing"} is no VM name; use 1-63 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit (e.g. "web02")`, { field: "name" });
  }
  if (to === from) throw new VmctlError("bad_request", `name: "${to}" is the VM's name already; give a new one`, { field: "name" });
}

export async function renameVm(deps: RenameDeps, from: string, to: string): Promise<void> {
  assertNewName(from, to);
  const { inventory, lifecycle } = deps;
  inventory.get(from);
  const refuse = () => {
    const state = lifecycle.state(from);
    if (!RENAMABLE.has(state)) {
      throw new VmctlError("vm_wrong_state", `cannot rename VM "${from}": it is ${state}; a VM is renamed only while stopped (its QEMU, sockets and saved state carry the name); stop it first (\`vmctl stop ${from}\`)`, { action: "rename", state, allowed: [...RENAMABLE] });
    }
  };
  refuse();
  await lifecycle.exclusive(from, async () => {
    refuse();
    await rename1(deps, inventory.get(from), to);
  });
}

async function rename1(deps: RenameDeps, entry: InventoryEntry, to: string): Promise<void> {
  const { inventory, datastores, runtimes, events } = deps;
  const from = entry.name;
  if (!entry.def) throw new VmctlError("bad_request", `VM "${from}" has an invalid definition (${entry.error?.message ?? "it does not validate"}); fix it before renaming`);
  inventory.assertNameFree(to, "choose another name");
  for (const ds of datastores.names()) {
    if (existsSync(join(datastores.root(ds), to))) throw new VmctlError("vm_exists", `datastore "${ds}" has a folder "${to}" already; choose another name, or move that folder away`, { field: "name" });
  }
  if (existsSync(join(entry.dir, `${from}.vmstate`))) throw new VmctlError("vm_wrong_state", `VM "${from}" has a saved state (${from}.vmstate); start or stop it first`);
  const clones = await deps.linkedClones(from);
  if (clones.length > 0) throw new VmctlError("in_use", `template "${from}" has linked clones (${clones.join(", ")}) whose disks read its images by path; it keeps its name while they exist`, { vms: clones });
  const users = inventory.list().filter((other) => other.name !== from).flatMap((other) => filesUsedBy(other, datastores))
    .filter((use) => use.path.startsWith(entry.dir + sep));
  if (users.length > 0) {
    throw new VmctlError("in_use", `${users.map((u) => `VM "${u.vm}" (${u.use})`).join(", ")} use${users.length === 1 ? "s" : ""} files in "${from}"'s folder; it keeps its name while they do`, { vms: [...new Set(users.map((u) => u.vm))] });
  }

  const newDir = join(datastores.root(entry.datastore), to);
  const text = renamedText(entry.text, entry.def, entry, to, newDir, datastores);
  const def = parseDefinitionToml(text, { file: join(newDir, `${to}.toml`) });
  if (def.name !== to || def.uuid !== entry.def.uuid) throw new Error(`rename of "${from}": the rewritten definition names ${def.name} ${def.uuid}`);

  // The definitions kept with snapshots (restored by a revert) are renamed too.
  const snapshotsPath = join(entry.dir, "snapshots.json");
  const snapshotsBefore = existsSync(snapshotsPath) ? await readFile(snapshotsPath, "utf8") : undefined;
  let snapshotsAfter: string | undefined;
  if (snapshotsBefore !== undefined) {
    const data = JSON.parse(snapshotsBefore) as { snapshots?: Array<{ definition?: unknown }> };
    for (const snap of data.snapshots ?? []) {
      const savedText = snap.definition;
      if (typeof savedText !== "string") continue;
      try {
        snap.definition = renamedText(savedText, parseDefinitionToml(savedText), entry, to, newDir, datastores);
      } catch (error) {
        if (!(error instanceof DefinitionError)) throw error;
        snap.definition = setTopLevelValue(savedText, "name", to); // an old definition that no longer validates: its name at least
      }
    }
    snapshotsAfter = `${JSON.stringify(data, null, 2)}\n`;
  }

  const newFileInOld = join(entry.dir, `${to}.toml`);
  await writeFileAtomic(newFileInOld, text);
  try {
    if (snapshotsAfter !== undefined) await writeFileAtomic(snapshotsPath, snapshotsAfter);
    if (existsSync(newDir)) throw new VmctlError("vm_exists", `a folder "${to}" appeared in datastore "${entry.datastore}" meanwhile; choose another name`, { field: "name" });
    await rename(entry.dir, newDir);
  } catch (error) {
    await rm(newFileInOld, { force: true });
    if (snapshotsBefore !== undefined && snapshotsAfter !== undefined) await writeFileAtomic(snapshotsPath, snapshotsBefore).catch(() => {});
    throw error;
  }
  await rm(join(newDir, `${from}.toml`), { force: true });

  // The run dir holds the console log of earlier runs: it moves along.
  const oldRun = join(deps.runDir, from);
  const newRun = join(deps.runDir, to);
  if (existsSync(newRun)) await removeRunDir(newRun);
  if (existsSync(oldRun)) await rename(oldRun, newRun).catch(() => removeRunDir(oldRun));

  inventory.forget(from);
  inventory.refresh(to, entry.datastore);
  runtimes.renamed(from, to); // the same row (by uuid), now under the new name
  events.record("vm.renamed", { name: to, uuid: def.uuid }, { from, to });
}

/** The definition text with the new name, and every path into the VM's folder pointing into the new one; comments kept where possible. */
function renamedText(text: string, def: VmDefinition, entry: InventoryEntry, to: string, newDir: string, datastores: Datastores): string {
  const moved = (ds: string | undefined, file: string | undefined): string | undefined => {
    if (file === undefined || (ds ?? entry.datastore) !== entry.datastore) return undefined;
    let path: string;
    try {
      path = datastores.resolve(entry.datastore, file);
    } catch {
      return undefined;
    }
    if (!path.startsWith(entry.dir + sep)) return undefined;
    const inside = relative(entry.dir, path);
    return isAbsolute(file) ? join(newDir, inside) : `${to}/${inside.split(sep).join("/")}`;
  };
  const changes: Array<{ table: string[]; key: string; value: string }> = [];
  for (const [id, disk] of Object.entries(def.disks)) {
    const file = moved(disk.datastore, disk.file);
    if (file) changes.push({ table: ["disks", id], key: "file", value: file });
  }
  for (const [id, cdrom] of Object.entries(def.cdroms)) {
    const iso = moved(cdrom.datastore, cdrom.iso);
    if (iso) changes.push({ table: ["cdroms", id], key: "iso", value: iso });
  }
  for (const key of ["kernel", "initrd"] as const) {
    const file = moved(def.boot.datastore, def.boot[key]);
    if (file) changes.push({ table: ["boot"], key, value: file });
  }
  let result: string | null = setTopLevelValue(text, "name", to);
  for (const change of changes) {
    result = result === null ? null : setTomlValue(result, change.table, change.key, change.value);
  }
  if (result !== null) {
    try {
      const check = parseDefinitionToml(result);
      const paths = changes.every((c) => {
        const table = c.table[0] === "boot" ? check.boot : (check[c.table[0] as "disks" | "cdroms"] as Record<string, Record<string, unknown>>)[c.table[1]!];
        return (table as Record<string, unknown> | undefined)?.[c.key] === c.value;
      });
      if (check.name === to && paths) return result;
    } catch {
      // an edit in place that did not hold (a dotted key, an inline table): rewritten as data below
    }
  }
  return editDefinitionText(text, (doc) => {
    doc.name = to;
    for (const change of changes) {
      let table: Record<string, unknown> = doc;
      for (const key of change.table) table = table[key] as Record<string, unknown>;
      table[change.key] = change.value;
    }
  }).text;
}
