// Opening a path below a datastore root so that no symlink can lead out, even one swapped in after
// a check: each component is looked up in the directory already opened (Node has no openat(2), but
// "/proc/self/fd/<dir>/<name>" resolves <name> in exactly that directory), opened with O_NOFOLLOW
// and checked to be what lstat saw. A symlink is followed only when its target stays inside, by
// walking that target again from the root; the descriptor returned is checked to be inside at the
// end. The caller reads, writes, lists or renames through it, never through the path again.
import { constants, type Stats } from "node:fs";
import { lstat, open, readlink, type FileHandle } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { VmctlError } from "@vmctl/api-types";
import { within } from "./datastores.js";

/** As Linux's own limit on symlinks in one lookup. */
const MAX_LINKS = 40;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
// O_NONBLOCK: a FIFO planted in a datastore would otherwise hang the open.
const FILE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export interface Opened { handle: FileHandle; info: Stats }

export interface WalkOptions {
  /** For messages: the path as the API names it and its datastore, e.g. `"iso/x.iso" in datastore "local"`. */
  where: string;
  /** Makes a missing folder in `parent` (only asked for folders, never the last component of an entry). */
  create?: (parent: FileHandle, name: string) => Promise<void>;
}

/** "/proc/self/fd/N" (the open file itself) or "/proc/self/fd/N/name" (name in the open folder). */
export function fdPath(handle: FileHandle, name?: string): string {
  return name === undefined ? `/proc/self/fd/${handle.fd}` : `/proc/self/fd/${handle.fd}/${name}`;
}

/** The regular file or folder at `path` (relative to root), following only symlinks that stay inside. */
export function openInside(root: string, path: string, options: WalkOptions): Promise<Opened> {
  return walk(root, path, false, options);
}

/** The folder at `path`, made with its missing parents when `options.create` is given. */
export async function openDirInside(root: string, path: string, options: WalkOptions): Promise<FileHandle> {
  return (await walk(root, path, true, options)).handle;
}

/** Throws unless the open file or folder still lies inside root (it may have been moved since). */
export async function assertStillInside(root: string, handle: FileHandle, where: string): Promise<void> {
  const real = await readlink(fdPath(handle));
  if (!within(root, real)) throw outside(where, `now lies at "${real}"`);
}

async function walk(root: string, path: string, wantDir: boolean, options: WalkOptions): Promise<Opened> {
  let parts = components(root, path, options.where);
  for (let links = 0; ; links++) {
    if (links > MAX_LINKS) throw outside(options.where, `goes through more than ${MAX_LINKS} symlinks`);
    const step = await walkOnce(root, parts, wantDir, options);
    if ("handle" in step) return step;
    parts = step.restart;
  }
}

/** One pass from the root; a symlink inside ends it with the components to walk instead. */
async function walkOnce(root: string, parts: string[], wantDir: boolean, options: WalkOptions): Promise<Opened | { restart: string[] }> {
  let dir = await open(root, DIR_FLAGS).catch((error: NodeJS.ErrnoException) => {
    // The datastore's own folder replaced by a symlink (ENOTDIR for O_DIRECTORY on a link).
    if (error.code === "ELOOP" || error.code === "ENOTDIR") throw outside(options.where, `cannot be reached: the datastore's folder "${root}" was replaced by a symlink`);
    throw error;
  });
  try {
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!;
      const folder = wantDir || i < parts.length - 1;
      const at = fdPath(dir, name);
      let seen = await lstat(at).catch(missingAsUndefined);
      if (!seen && folder && options.create) {
        await options.create(dir, name).catch((error: NodeJS.ErrnoException) => { if (error.code !== "EEXIST") throw error; });
        seen = await lstat(at).catch(missingAsUndefined);
      }
      if (!seen) throw missing(options.where);
      if (seen.isSymbolicLink()) {
        const target = await readlink(at);
        const lead = resolve(isAbsolute(target) ? target : join(root, ...parts.slice(0, i), target));
        if (!within(root, lead)) throw outside(options.where, `goes through the symlink "${[...parts.slice(0, i), name].join("/")}" to "${target}"`);
        await dir.close();
        return { restart: [...splitInside(root, lead), ...parts.slice(i + 1)] };
      }
      if (folder && !seen.isDirectory()) throw Object.assign(new Error(`${options.where}: "${parts.slice(0, i + 1).join("/")}" is not a directory`), { code: "ENOTDIR" });
      if (!seen.isDirectory() && !seen.isFile()) throw missing(options.where);
      const child = await open(at, seen.isDirectory() ? DIR_FLAGS : FILE_FLAGS).catch((error: NodeJS.ErrnoException) => {
        // ELOOP, or ENOTDIR for O_DIRECTORY on a link: swapped for a symlink since lstat.
        if (error.code === "ELOOP" || (error.code === "ENOTDIR" && seen.isDirectory())) throw outside(options.where, "was replaced by a symlink while being opened");
        throw error;
      });
      const now = await child.stat();
      if (now.ino !== seen.ino || now.dev !== seen.dev) {
        await child.close();
        throw outside(options.where, "was replaced while being opened");
      }
      await dir.close();
      dir = child;
    }
    await assertStillInside(root, dir, options.where);
    return { handle: dir, info: await dir.stat() };
  } catch (error) {
    await dir.close();
    throw error;
  }
}

/** The path's components below root; ".." is resolved as written and may not climb above the root. */
function components(root: string, path: string, where: string): string[] {
  if (path.includes("\0")) throw new VmctlError("bad_request", `${where}: the path contains a NUL byte`, { field: "path" });
  const full = resolve(root, path);
  if (!within(root, full)) throw outside(where, "leaves the datastore");
  return splitInside(root, full);
}

function splitInside(root: string, full: string): string[] {
  const rel = relative(root, full);
  return rel === "" ? [] : rel.split(sep);
}

function missingAsUndefined(error: NodeJS.ErrnoException): undefined {
  if (error.code === "ENOENT") return undefined;
  throw error;
}

function missing(where: string): Error {
  return Object.assign(new Error(`${where}: no such file or directory`), { code: "ENOENT" });
}

function outside(where: string, how: string): VmctlError {
  return new VmctlError("path_outside_datastore", `${where} ${how}, outside its datastore; nothing was read or written`);
}
