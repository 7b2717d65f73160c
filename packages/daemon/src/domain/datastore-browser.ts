// The datastore browser: a path of the API located once inside its datastore (never out of it, by
// "..", an absolute path or a symlink), directory listings, and deleting files or making
// directories, where a VM's folder and the files a VM uses are protected.
import { lstat, mkdir, readdir, realpath, rmdir, stat, unlink } from "node:fs/promises";
import type { Stats } from "node:fs";
import { basename, isAbsolute, join, relative, sep } from "node:path";
import { VmctlError, type DatastoreEntry, type DatastoreListing, type DatastorePathResult } from "@vmctl/api-types";
import { within, type Datastores } from "./datastores.js";
import type { Inventory } from "./inventory.js";
import { usesOfPath, describeUses } from "./vm-file-usage.js";
import { isHiddenTemp } from "./upload-parts.js";

/** A path of one datastore: as the API names it (relative, "/"-separated) and on disk. */
export interface Located { datastore: string; path: string; absolute: string }

export class DatastoreBrowser {
  constructor(private readonly datastores: Datastores, private readonly inventory: Inventory) {}

  locate(datastore: string, path: string): Located {
    if (path.includes("\0")) throw new VmctlError("bad_request", "path: contains a NUL byte", { field: "path" });
    if (isAbsolute(path)) {
      throw new VmctlError("path_outside_datastore", `"${path}" is absolute; give a path relative to datastore "${datastore}", e.g. "iso/debian-12.iso"`, { field: "path" });
    }
    const absolute = this.datastores.resolve(datastore, path === "" ? "." : path);
    const root = this.datastores.root(datastore);
    if (isHiddenTemp(basename(absolute))) {
      throw new VmctlError("bad_request", `"${path}" is the name of an upload's part file; choose another name`, { field: "path" });
    }
    return { datastore, path: relative(root, absolute).split(sep).join("/"), absolute };
  }

  /** The file or directory, or a 404 that says how to look. */
  async stat(at: Located): Promise<Stats> {
    try {
      return await stat(at.absolute);
    } catch (error) {
      if (isMissing(error)) throw notFound(at);
      throw error;
    }
  }

  async list(at: Located): Promise<DatastoreListing> {
    const root = this.datastores.root(at.datastore);
    const entries: DatastoreEntry[] = [];
    for (const dirent of await readdir(at.absolute, { withFileTypes: true })) {
      if (isHiddenTemp(dirent.name)) continue;
      const full = join(at.absolute, dirent.name);
      try {
        // A symlink is listed by what it points at, and only when that stays in the datastore.
        if (dirent.isSymbolicLink() && !within(root, await realpath(full))) continue;
        const info = await stat(full);
        if (!info.isFile() && !info.isDirectory()) continue;
        entries.push({ name: dirent.name, type: info.isDirectory() ? "dir" : "file", size: info.isDirectory() ? 0 : info.size, mtime: info.mtime.toISOString() });
      } catch {
        // Gone meanwhile, or a dangling symlink: not listed.
      }
    }
    entries.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === "dir" ? -1 : 1));
    return { datastore: at.datastore, path: at.path, entries };
  }

  /** Deletes a file or an empty directory, never the datastore itself, a VM's folder or a file a VM uses. */
  async delete(at: Located): Promise<DatastorePathResult> {
    if (at.path === "") throw new VmctlError("bad_request", `path: give a file or directory inside datastore "${at.datastore}"; the datastore itself is removed with DELETE /api/v1/datastores/${at.datastore}`, { field: "path" });
    let info: Stats;
    try {
      info = await lstat(at.absolute);
    } catch (error) {
      if (isMissing(error)) throw notFound(at);
      throw error;
    }
    this.refuseIfUsed(at, "delete");
    if (info.isDirectory()) {
      try {
        await rmdir(at.absolute);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOTEMPTY") throw error;
        const held = await readdir(at.absolute);
        throw new VmctlError("directory_not_empty", `directory "${at.path}" of datastore "${at.datastore}" is not empty (${held.length} entr${held.length === 1 ? "y" : "ies"}${held.some(isHiddenTemp) ? ", counting unfinished uploads" : ""}); delete what it holds first`, { entries: held.length });
      }
      return { datastore: at.datastore, path: at.path, type: "dir" };
    }
    await unlink(at.absolute);
    return { datastore: at.datastore, path: at.path, type: "file" };
  }

  async mkdir(at: Located): Promise<DatastorePathResult> {
    if (at.path === "") throw new VmctlError("bad_request", `path: give the directory to make inside datastore "${at.datastore}", e.g. "iso"`, { field: "path" });
    const existing = await lstat(at.absolute).catch(() => undefined);
    if (existing) throw new VmctlError("file_exists", `"${at.path}" already exists in datastore "${at.datastore}" (a ${existing.isDirectory() ? "directory" : "file"})`, { path: at.path });
    await makeDirectories(at, at.absolute);
    return { datastore: at.datastore, path: at.path, type: "dir" };
  }

  /** Refuses to delete or replace what a VM needs, naming the VM and what it uses it as. */
  refuseIfUsed(at: Located, action: "delete" | "overwrite"): void {
    this.inventory.scan(true);
    const uses = usesOfPath(at.absolute, this.inventory.list(), this.datastores);
    if (uses.length === 0) return;
    const folder = uses.find((use) => use.use === "folder");
    const advice = folder ? `destroy the VM first (\`vmctl destroy ${folder.vm}\`)` : "change or destroy the VM first";
    throw new VmctlError("in_use", `cannot ${action} "${at.path}" in datastore "${at.datastore}": it is used by ${describeUses(uses)}; ${advice}`, { vms: [...new Set(uses.map((use) => use.vm))] });
  }
}

/** mkdir -p inside a datastore; a file where a directory should be is the caller's mistake, not ours. */
export async function makeDirectories(at: Located, absolute: string): Promise<void> {
  try {
    await mkdir(absolute, { recursive: true, mode: 0o755 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTDIR" && code !== "EEXIST") throw error;
    throw new VmctlError("file_exists", `a file stands where "${at.path}" needs a directory in datastore "${at.datastore}"; choose another path or delete that file`, { path: at.path });
  }
}

export function notFound(at: Located): VmctlError {
  return new VmctlError("file_not_found", `no file or directory "${at.path}" in datastore "${at.datastore}"; \`vmctl ds files ${at.datastore}\` lists what is there`, { path: at.path });
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}
