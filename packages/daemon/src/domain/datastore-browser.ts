// The datastore browser: a path of the API located once inside its datastore (never out of it, by
// "..", an absolute path or a symlink), directory listings, and deleting files or making
// directories, where a VM's folder and the files a VM uses are protected. What it reads, lists,
// deletes or makes is reached through datastore-safe-open.ts, so a symlink planted or swapped in
// below the root after `locate` checked the path still cannot lead out.
import { lstat, readdir, rmdir, unlink, type FileHandle } from "node:fs/promises";
import type { Stats } from "node:fs";
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from "node:path";
import { VmctlError, type DatastoreEntry, type DatastoreListing, type DatastorePathResult } from "@vmctl/api-types";
import { within, type Datastores } from "./datastores.js";
import type { Inventory } from "./inventory.js";
import { usesOfPath, describeUses } from "./vm-file-usage.js";
import { isHiddenTemp } from "./upload-parts.js";
import { fdPath, openDirInside, openInside, type Opened } from "./datastore-safe-open.js";
import { makePrivateDirAt } from "./private-files.js";

/** A path of one datastore: as the API names it (relative, "/"-separated) and on disk. */
export interface Located { datastore: string; path: string; absolute: string }

export class DatastoreBrowser {
  constructor(private readonly datastores: Datastores, private readonly inventory: Inventory) {}

  /**
   * With `entryItself` (a delete), a symlink at the end of the path is the entry, not what it names:
   * only its folder is checked, so a link that points out (or nowhere) can still be deleted.
   */
  locate(datastore: string, path: string, options: { entryItself?: boolean } = {}): Located {
    if (path.includes("\0")) throw new VmctlError("bad_request", "path: contains a NUL byte", { field: "path" });
    if (isAbsolute(path)) {
      throw new VmctlError("path_outside_datastore", `"${path}" is absolute; give a path relative to datastore "${datastore}", e.g. "iso/debian-12.iso"`, { field: "path" });
    }
    const root = this.datastores.root(datastore);
    const full = resolve(root, path);
    const absolute = options.entryItself && full !== root && within(root, full)
      ? join(this.datastores.resolve(datastore, relative(root, dirname(full)) || "."), basename(full))
      : this.datastores.resolve(datastore, path === "" ? "." : path);
    if (isHiddenTemp(basename(absolute))) {
      throw new VmctlError("bad_request", `"${path}" is the name of an upload's part file; choose another name`, { field: "path" });
    }
    return { datastore, path: relative(root, absolute).split(sep).join("/"), absolute };
  }

  /** The file or directory opened (the caller reads through it and closes it), or a 404 that says how to look. */
  async open(at: Located): Promise<Opened> {
    try {
      return await openInside(this.datastores.root(at.datastore), at.path, { where: where(at) });
    } catch (error) {
      if (isMissing(error)) throw notFound(at);
      throw error;
    }
  }

  /**
   * Lists the directory `opened` holds (the caller's to close), or else opens `at` for it; `visible`
   * leaves out the entries (by absolute path) its asker may not see, such as another VM's folder.
   */
  async list(at: Located, opened?: FileHandle, visible: (absolute: string) => boolean = () => true): Promise<DatastoreListing> {
    if (!opened) {
      const own = await this.open(at);
      try {
        if (!own.info.isDirectory()) throw new VmctlError("bad_request", `"${at.path}" is a file in datastore "${at.datastore}", not a directory`, { field: "path" });
        return await this.list(at, own.handle, visible);
      } finally {
        await own.handle.close();
      }
    }
    const root = this.datastores.root(at.datastore);
    const entries: DatastoreEntry[] = [];
    for (const name of await readdir(fdPath(opened))) {
      if (isHiddenTemp(name) || !visible(join(at.absolute, name))) continue;
      try {
        let info = await lstat(fdPath(opened, name));
        if (info.isSymbolicLink()) {
          // A symlink is listed by what it points at, and only when that stays in the datastore.
          const target = await openInside(root, posix.join(at.path, name), { where: where(at) });
          info = target.info;
          await target.handle.close();
        }
        if (!info.isFile() && !info.isDirectory()) continue;
        entries.push({ name, type: info.isDirectory() ? "dir" : "file", size: info.isDirectory() ? 0 : info.size, mtime: info.mtime.toISOString() });
      } catch {
        // Gone meanwhile, a dangling symlink or one leading out: not listed.
      }
    }
    entries.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === "dir" ? -1 : 1));
    return { datastore: at.datastore, path: at.path, entries };
  }

  /** Deletes a file or an empty directory, never the datastore itself, a VM's folder or a file a VM uses. */
  async delete(at: Located): Promise<DatastorePathResult> {
    if (at.path === "") throw new VmctlError("bad_request", `path: give a file or directory inside datastore "${at.datastore}"; the datastore itself is removed with DELETE /api/v1/datastores/${at.datastore}`, { field: "path" });
    // The entry itself is never followed: deleting a symlink deletes the link, not what it names.
    const parent = await this.openParent(at);
    try {
      const entry = fdPath(parent, basename(at.path));
      let info: Stats;
      try {
        info = await lstat(entry);
      } catch (error) {
        if (isMissing(error)) throw notFound(at);
        throw error;
      }
      this.refuseIfUsed(at, "delete");
      if (info.isDirectory()) {
        try {
          await rmdir(entry);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "ENOTEMPTY") throw error;
          const held = await readdir(entry);
          throw new VmctlError("directory_not_empty", `directory "${at.path}" of datastore "${at.datastore}" is not empty (${held.length} entr${held.length === 1 ? "y" : "ies"}${held.some(isHiddenTemp) ? ", counting unfinished uploads" : ""}); delete what it holds first`, { entries: held.length });
        }
        return { datastore: at.datastore, path: at.path, type: "dir" };
      }
      await unlink(entry);
      return { datastore: at.datastore, path: at.path, type: "file" };
    } finally {
      await parent.close();
    }
  }

  /**
   * The directory holding `at`, opened inside the datastore; with `create`, made (private) with its
   * missing parents. A 404 when it is missing, a 409 when a file stands where a directory must be.
   */
  async openParent(at: Located, create = false): Promise<FileHandle> {
    const root = this.datastores.root(at.datastore);
    const parent = dirname(at.path) === "." ? "" : dirname(at.path);
    try {
      return await openDirInside(root, parent, { where: where(at), ...(create ? { create: makePrivateDirAt } : {}) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOTDIR") {
        throw new VmctlError("file_exists", `a file stands where "${at.path}" needs a directory in datastore "${at.datastore}"; choose another path or delete that file`, { path: at.path });
      }
      if (isMissing(error)) throw notFound(at);
      throw error;
    }
  }

  async mkdir(at: Located): Promise<DatastorePathResult> {
    if (at.path === "") throw new VmctlError("bad_request", `path: give the directory to make inside datastore "${at.datastore}", e.g. "iso"`, { field: "path" });
    const parent = await this.openParent(at, true);
    try {
      await makePrivateDirAt(parent, basename(at.path)).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
        // mkdir never follows a symlink standing there, dangling or not.
        const existing = await lstat(fdPath(parent, basename(at.path)));
        throw new VmctlError("file_exists", `"${at.path}" already exists in datastore "${at.datastore}" (a ${existing.isDirectory() ? "directory" : existing.isSymbolicLink() ? "symlink" : "file"})`, { path: at.path });
      });
    } finally {
      await parent.close();
    }
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

/** How the safe opener names the path in its refusals. */
function where(at: Located): string {
  return `"${at.path}" in datastore "${at.datastore}"`;
}

export function notFound(at: Located): VmctlError {
  return new VmctlError("file_not_found", `no file or directory "${at.path}" in datastore "${at.datastore}"; \`vmctl ds files ${at.datastore}\` lists what is there`, { path: at.path });
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}
