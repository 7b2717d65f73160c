// The inventory is the definition files in the datastores (<ds>/<vm>/<vm>.toml), like ESXi's .vmx
// files. A file edited by hand is picked up on the next look; an invalid one stays listed with its error.
// It only reads: vmctld writes definitions through definition-store.ts. On a shared datastore (one
// storage every host of a cluster mounts) a VM folder is listed only here when its .vmctl-owner
// names this host (cluster/vm-ownership.ts): another host's VM is no VM of ours.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { VmctlError, type VmDefinition } from "@vmctl/api-types";
import { parseDefinitionToml, DefinitionError } from "@vmctl/definition";
import type { Datastores } from "./datastores.js";
import { ownedHere, writeOwner } from "../cluster/vm-ownership.js";

export interface InventoryEntry {
  name: string;
  datastore: string;
  dir: string;
  file: string;
  text: string;
  etag: string;
  mtimeMs: number;
  def: VmDefinition | undefined;
  error: DefinitionError | undefined;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

export function etagOf(text: string): string {
  return `"${createHash("sha256").update(text).digest("base64url").slice(0, 22)}"`;
}

export class Inventory {
  private readonly entries = new Map<string, InventoryEntry>();
  private lastScan = 0;
  /** Grows whenever an entry is added, re-read or dropped: listings cached under it stay valid until then. */
  generation = 0;

  /**
   * hostId: this host's id, which the owner file of a VM folder on a shared datastore must name for
   * the VM to be listed (unit tests without one list every folder).
   */
  constructor(
    private readonly datastores: Datastores,
    private readonly onProblem: (entry: InventoryEntry) => void = () => {},
    private readonly hostId?: string,
  ) {}

  /** Reads every datastore; at most once a second unless forced (GET /vms calls it). */
  scan(force = true): void {
    if (!force && Date.now() - this.lastScan < 1000) return;
    this.lastScan = Date.now();
    const seen = new Set<string>();
    for (const ds of this.datastores.names()) {
      const root = this.datastores.root(ds);
      for (const dirent of readdirSync(root, { withFileTypes: true })) {
        if (!dirent.isDirectory() || !NAME.test(dirent.name)) continue;
        const file = join(root, dirent.name, `${dirent.name}.toml`);
        if (!isFile(file)) continue; // a directory of that name (made by hand) is no definition
        if (seen.has(dirent.name)) continue; // the same name in two datastores: the first wins
        if (!ownedHere(join(root, dirent.name), this.datastores.isShared(ds), this.hostId)) continue; // another host's VM
        seen.add(dirent.name);
        this.load(dirent.name, ds, file);
      }
    }
    for (const name of [...this.entries.keys()]) if (!seen.has(name)) { this.entries.delete(name); this.generation++; }
  }

  list(): InventoryEntry[] {
    this.scan(false);
    return [...this.entries.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Refuses a name a VM already has, after a fresh look (a VM folder made by hand counts too). */
  assertNameFree(name: string, hint: string): void {
    this.scan(true);
    if (this.entries.has(name)) throw new VmctlError("vm_exists", `a VM named "${name}" already exists; ${hint}`, { field: "name" });
  }

  /** The entry, re-read if the file changed on disk since last seen. */
  get(name: string): InventoryEntry {
    let entry = this.entries.get(name);
    if (!entry) {
      this.scan(true);
      entry = this.entries.get(name);
    }
    if (!entry) throw new VmctlError("vm_not_found", `no VM named "${name}"; \`vmctl ls\` lists them`);
    try {
      if (statSync(entry.file).mtimeMs !== entry.mtimeMs) entry = this.load(name, entry.datastore, entry.file);
    } catch {
      this.forget(name);
      throw new VmctlError("vm_not_found", `VM "${name}" was removed from disk`);
    }
    return entry;
  }

  /** The validated definition, or the definition's error as a 400 that names file and line. */
  definition(name: string): VmDefinition {
    const entry = this.get(name);
    if (!entry.def) throw entry.error!;
    return entry.def;
  }

  /** The VM's uuid as known now (no scan, no write), or undefined when there is no such VM or it has none. */
  identity(name: string): string | undefined {
    return this.entries.get(name)?.def?.uuid;
  }

  /** The entry as known now, after a fresh look when the name is not known; no error when there is none. */
  find(name: string): InventoryEntry | undefined {
    if (!this.entries.has(name)) this.scan(true);
    return this.entries.get(name);
  }

  /** The folder a VM of this name has in the datastore. */
  folderOf(name: string, datastore: string): string {
    return join(this.datastores.root(datastore), name);
  }

  /** Re-reads a definition just written (definition-store.ts), whatever its mtime: the entry and ETag are the new ones. */
  refresh(name: string, datastore: string): InventoryEntry {
    return this.load(name, datastore, join(this.folderOf(name, datastore), `${name}.toml`), true);
  }

  /**
   * Makes this host the owner of a VM folder just made on a shared datastore (create, clone, import:
   * before its definition is written, so no scan in between drops it); nothing on a datastore of its own.
   */
  claim(name: string, datastore: string): void {
    if (this.hostId !== undefined && this.datastores.isShared(datastore)) writeOwner(this.folderOf(name, datastore), this.hostId);
  }

  forget(name: string): void {
    this.entries.delete(name);
    this.generation++;
  }

  private load(name: string, datastore: string, file: string, force = false): InventoryEntry {
    const previous = this.entries.get(name);
    const mtimeMs = statSync(file).mtimeMs;
    if (!force && previous && previous.mtimeMs === mtimeMs && previous.datastore === datastore) return previous;
    const text = readFileSync(file, "utf8");
    let def: VmDefinition | undefined;
    let error: DefinitionError | undefined;
    // Named as the VM's definition within its datastore: its errors reach the API (definitionError), which never shows host paths.
    const shown = `${name}/${name}.toml`;
    try {
      def = parseDefinitionToml(text, { file: shown });
      if (def.name !== name) {
        throw new DefinitionError([{ field: "name", message: `is "${def.name}" but the file is ${name}/${name}.toml; the name must match its folder` }], shown);
      }
    } catch (caught) {
      if (!(caught instanceof DefinitionError)) throw caught;
      def = undefined;
      error = caught;
    }
    // One uuid is one VM: a folder copied by hand (cp -r web01 web02) keeps web01's uuid, and web02
    // then shared web01's runtime row (its state and pid: `vmctl stop web02` killed web01's QEMU)
    // and its grants. The copy (the newer folder) is listed with the error until its uuid line goes.
    const uuid = def?.uuid;
    const original = uuid === undefined ? undefined : [...this.entries.values()].find((e) => e.name !== name && e.def?.uuid === uuid && isFile(e.file)); // a folder renamed by hand (mv) is no copy
    if (original) {
      const dir = join(this.datastores.root(datastore), name);
      if (isLaterCopy(dir, name, original)) {
        def = undefined;
        error = duplicateUuid(name, original.name, shown);
      } else {
        const demoted: InventoryEntry = { ...original, def: undefined, error: duplicateUuid(original.name, name, `${original.name}/${original.name}.toml`) };
        this.entries.set(original.name, demoted);
        this.onProblem(demoted);
      }
    }
    const entry: InventoryEntry = { name, datastore, dir: join(this.datastores.root(datastore), name), file, text, etag: etagOf(text), mtimeMs, def, error };
    this.entries.set(name, entry);
    this.generation++;
    if (error && previous?.error?.message !== error.message) this.onProblem(entry);
    return entry;
  }
}

function duplicateUuid(name: string, other: string, file: string): DefinitionError {
  return new DefinitionError([{ field: "uuid", message: `is also VM "${other}"'s uuid (a copied folder keeps it; one identity cannot be two VMs): remove the uuid line from ${name}/${name}.toml and vmctld gives "${name}" one of its own` }], file);
}

/** Which of two folders claiming one uuid is the copy: the one made later (cp -r makes a new folder); else the later name. */
function isLaterCopy(dir: string, name: string, original: InventoryEntry): boolean {
  const born = (path: string) => {
    try {
      return statSync(path).birthtimeMs;
    } catch {
      return 0;
    }
  };
  const [mine, theirs] = [born(dir), born(original.dir)];
  return mine !== theirs && mine > 0 && theirs > 0 ? mine > theirs : name > original.name;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
