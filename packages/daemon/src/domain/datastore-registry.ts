// Datastores added through the API: checked, made, kept in SQLite and loaded at every start beside
// vmctld.toml's. Only these can be removed, and not while a VM lives on one or uses a file there.
import { existsSync, realpathSync, rmSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { Logger } from "pino";
import { NAME_PATTERN, VmctlError, type Datastore, type DatastoreAddRequest } from "@vmctl/api-types";
import { getMeta, setMeta, type Db } from "../store/database.js";
import { lexists, within, type Datastores } from "./datastores.js";
import { realPath, rootProblem } from "./datastore-roots.js";
import { makePrivateDirSync } from "./private-files.js";
import type { Inventory } from "./inventory.js";
import { filesUsedBy, describeUses } from "./vm-file-usage.js";

const NAME = new RegExp(NAME_PATTERN);

interface Row { name: string; path: string }

/** The meta key that marks a datastore added through the API as shared (the datastores table has no column for it). */
const sharedKey = (name: string) => `datastore.shared:${name}`;

export class DatastoreRegistry {
  constructor(
    private readonly db: Db,
    private readonly datastores: Datastores,
    private readonly inventory: Inventory,
    private readonly home: string,
    private readonly log: Logger,
  ) {}

  /** Adds the stored datastores; one whose directory is gone (an unmounted disk) is skipped with a warning. */
  load(): void {
    for (const row of this.db.prepare("SELECT name, path FROM datastores ORDER BY created_at").all() as Row[]) {
      const problem = rootProblem(row.path, { home: this.home });
      if (this.datastores.names().includes(row.name)) {
        this.log.warn({ datastore: row.name }, `datastore "${row.name}" is declared in vmctld.toml too; the one added through the API (${row.path}) is ignored`);
      } else if (problem) {
        // Added before vmctld refused such places (/root, /home/<x>, /var/lib/<x> …): never served again.
        this.log.error({ datastore: row.name, path: row.path }, `datastore "${row.name}": "${row.path}"${problem}; it is left out: remove it (DELETE /api/v1/datastores/${row.name}) and add a directory of its own, e.g. "/srv/vmstore"`);
      } else if (!isDirectory(row.path)) {
        this.log.warn({ datastore: row.name, path: row.path }, `datastore "${row.name}": ${row.path} is not a directory (unmounted?); it is left out until it is back and vmctld restarts`);
      } else {
        this.datastores.add(row.name, row.path, this.isStoredShared(row.name));
      }
    }
  }

  add(request: DatastoreAddRequest): Datastore {
    const { name, path } = request;
    const shared = request.shared ?? false;
    if (!NAME.test(name)) throw new VmctlError("bad_request", `name: "${name}" is not a datastore name; use lower case letters, digits, "-", "_" and ".", e.g. "nas1"`, { field: "name" });
    if (this.datastores.names().includes(name) || this.stored(name)) {
      throw new VmctlError("datastore_exists", `name: a datastore "${name}" already exists; choose another name`, { field: "name" });
    }
    if (!isAbsolute(path)) throw new VmctlError("bad_request", `path: "${path}" is not absolute; give the full path, e.g. "/srv/vmstore"`, { field: "path" });
    const wanted = resolve(path);
    if (existsSync(wanted) && !isDirectory(wanted)) throw new VmctlError("bad_request", `path: "${path}" exists and is not a directory`, { field: "path" });
    this.checkPlace(wanted, path);
    // The first folder mkdir -p made (removed again if the check below refuses), or none.
    const created = firstMissing(wanted);
    makePrivateDirSync(wanted);
    try {
      // Checked again once made: a symlink on the way may have led elsewhere.
      this.checkPlace(realpathSync(wanted), path);
      this.db.transaction(() => {
        this.db.prepare("INSERT INTO datastores (name, path, created_at) VALUES (?, ?, ?)").run(name, wanted, new Date().toISOString());
        if (shared) setMeta(this.db, sharedKey(name), "1");
        else this.db.prepare("DELETE FROM meta WHERE key = ?").run(sharedKey(name));
      })();
      this.datastores.add(name, wanted, shared);
    } catch (error) {
      if (created) rmSync(created, { recursive: true });
      throw error;
    }
    this.inventory.scan(true);
    return this.datastores.describeOne(name);
  }

  remove(name: string): { name: string; path: string } {
    const stored = this.stored(name);
    if (!this.datastores.names().includes(name)) {
      // Stored but not loaded (its directory was missing at start): forgetting it is all there is to do.
      if (!stored) this.datastores.root(name);
      this.forgetStored(name);
      return { name, path: stored!.path };
    }
    const origin = this.datastores.origin(name);
    if (origin !== "added") {
      throw new VmctlError("datastore_not_removable", origin === "default"
        ? `datastore "local" is the default one and always exists`
        : `datastore "${name}" is declared in vmctld.toml; remove it there and restart vmctld`);
    }
    this.inventory.scan(true);
    const uses = dedupe(this.inventory.list().flatMap((entry) => filesUsedBy(entry, this.datastores)).filter((use) => use.datastore === name));
    if (uses.length > 0) {
      const vms = [...new Set(uses.map((use) => use.vm))];
      throw new VmctlError("in_use", `datastore "${name}" is in use by ${describeUses(uses)}; move, change or destroy ${vms.length === 1 ? "that VM" : "those VMs"} first`, { vms });
    }
    const path = this.datastores.root(name);
    this.forgetStored(name);
    this.datastores.remove(name);
    return { name, path };
  }

  /** A datastore may not be a place datastore-roots.ts refuses (host files first), nor hold or sit in another. */
  private checkPlace(candidate: string, given: string): void {
    const problem = rootProblem(candidate, { home: this.home });
    if (problem) throw new VmctlError("bad_request", `path: "${given}"${problem}: every user with datastore.read could download what it holds; use a directory of its own, e.g. "/srv/vmstore"`, { field: "path", path: given });
    const real = realPath(candidate);
    for (const other of this.datastores.names()) {
      const root = this.datastores.root(other);
      if (within(root, real)) throw new VmctlError("bad_request", `path: "${given}" is inside datastore "${other}" (${root}); a datastore cannot hold another, use a directory elsewhere`, { field: "path" });
      if (within(real, root)) throw new VmctlError("bad_request", `path: "${given}" contains datastore "${other}" (${root}); use a directory beside it, not above it`, { field: "path" });
    }
  }

  /** Whether a datastore added through the API was added as shared (kept in the meta table beside its row). */
  private isStoredShared(name: string): boolean {
    return getMeta(this.db, sharedKey(name)) === "1";
  }

  private forgetStored(name: string): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM datastores WHERE name = ?").run(name);
      this.db.prepare("DELETE FROM meta WHERE key = ?").run(sharedKey(name));
    })();
  }

  private stored(name: string): Row | undefined {
    return this.db.prepare("SELECT name, path FROM datastores WHERE name = ?").get(name) as Row | undefined;
  }
}

function firstMissing(path: string): string | undefined {
  let missing: string | undefined;
  for (let dir = path; !lexists(dir); dir = dirname(dir)) missing = dir;
  return missing;
}


function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A VM's folder already says it all: its definition and saved state in it go unmentioned. */
function dedupe<T extends { vm: string; use: string }>(uses: T[]): T[] {
  const folders = new Set(uses.filter((u) => u.use === "folder").map((u) => u.vm));
  return uses.filter((u) => !(folders.has(u.vm) && (u.use === "definition" || u.use === "saved state")));
}
