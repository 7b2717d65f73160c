// Datastores are named directories; every path a definition names is resolved here and may not
// leave its datastore, by "..", by an absolute path elsewhere, or through a symlink.
import { realpathSync, statfsSync, lstatSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { VmctlError, type Datastore, type DatastoreOrigin } from "@vmctl/api-types";
import { makePrivateDirSync } from "./private-files.js";

export class Datastores {
  private readonly roots: Map<string, string>;
  private readonly origins = new Map<string, DatastoreOrigin>();
  /** Datastores every host of a cluster mounts under the same name: their VM folders carry an owner file (cluster/vm-ownership.ts). */
  private readonly sharedNames = new Set<string>();

  constructor(paths: Record<string, string>, shared: Iterable<string> = []) {
    this.roots = new Map();
    for (const [name, path] of Object.entries(paths)) {
      makePrivateDirSync(path);
      this.roots.set(name, realpathSync(path));
      this.origins.set(name, name === "local" ? "default" : "config");
    }
    for (const name of shared) if (this.roots.has(name)) this.sharedNames.add(name);
  }

  /** Adds a datastore at run time (the caller has checked the name and made the directory). */
  add(name: string, path: string, shared = false): void {
    this.roots.set(name, realpathSync(path));
    this.origins.set(name, "added");
    if (shared) this.sharedNames.add(name);
    else this.sharedNames.delete(name);
  }

  remove(name: string): void {
    this.roots.delete(name);
    this.origins.delete(name);
    this.sharedNames.delete(name);
  }

  /** Whether the datastore is shared between the hosts of a cluster (false for an unknown name). */
  isShared(name: string): boolean {
    return this.sharedNames.has(name);
  }

  origin(name: string): DatastoreOrigin {
    this.root(name);
    return this.origins.get(name)!;
  }

  names(): string[] {
    return [...this.roots.keys()];
  }

  root(name: string): string {
    const root = this.roots.get(name);
    if (!root) throw new VmctlError("datastore_not_found", `no datastore "${name}"; configured: ${this.names().join(", ")}`);
    return root;
  }

  /** The absolute path of `path` in datastore `name` (default "local"), refusing any escape. */
  resolve(name: string | undefined, path: string): string {
    if (isAbsolute(path)) {
      const owner = [...this.roots.values()].find((root) => within(root, path));
      if (!owner) throw new VmctlError("path_outside_datastore", `"${path}" is outside every datastore; give a path relative to a datastore, e.g. "iso/debian.iso"`);
      return checkSymlinks(owner, resolve(path));
    }
    const root = this.root(name ?? "local");
    const full = resolve(root, path);
    if (!within(root, full)) throw new VmctlError("path_outside_datastore", `"${path}" leaves datastore "${name ?? "local"}"`);
    return checkSymlinks(root, full);
  }

  describe(): Datastore[] {
    return this.names().map((name) => this.describeOne(name));
  }

  describeOne(name: string): Datastore {
    const path = this.root(name);
    // A directory gone from under vmctld (an unmounted disk) shows as empty rather than failing the list.
    const fs = (() => { try { return statfsSync(path); } catch { return { blocks: 0, bavail: 0, bsize: 0 }; } })();
    return { name, path, capacityBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize, origin: this.origin(name), shared: this.isShared(name) };
  }
}

export function within(root: string, path: string): boolean {
  const rel = relative(root, resolve(path));
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * The deepest existing ancestor, with symlinks resolved, must still be inside the datastore; a
 * dangling symlink names no place yet and is refused. A cheap check for the paths QEMU opens itself
 * (as its own unprivileged user); the datastore browser opens what it serves through
 * datastore-safe-open.ts, which a symlink swapped in after this check cannot fool.
 */
function checkSymlinks(root: string, full: string): string {
  let existing = full;
  while (!lexists(existing) && dirname(existing) !== existing) existing = dirname(existing);
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    throw new VmctlError("path_outside_datastore", `"${full}" goes through the dangling symlink "${existing}", which may point out of its datastore; delete or fix that link`);
  }
  if (!within(root, real)) throw new VmctlError("path_outside_datastore", `"${full}" resolves through a symlink to "${real}", outside its datastore`);
  return full;
}

/** Whether anything (a dangling symlink too) stands at path. */
export function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
