// Folders and files vmctld makes in datastores are private: folders 0710, vmctld's own with the
// QEMU user's group (QEMU may pass through to the files it is given, but neither list, create nor
// rename there: qemu-user.ts's shareDirWithQemu), or 0700 when QEMU runs as vmctld's own user;
// files 0600. Modes are changed on what was opened with O_NOFOLLOW, never through a symlink.
import { constants, mkdirSync, openSync, fchownSync, fchmodSync, closeSync } from "node:fs";
import { mkdir, open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { qemuIdentity, shareDirWithQemu } from "../security/qemu-user.js";

export const PRIVATE_FILE_MODE = 0o600;

/** Makes the folder (with `recursive`, its missing parents too, each private); EEXIST as mkdir has it. */
export async function makePrivateDir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
  if (!options.recursive) {
    await mkdir(path, { mode: 0o700 });
    await shareDirWithQemu(path);
    return;
  }
  const first = await mkdir(path, { recursive: true, mode: 0o700 });
  if (first !== undefined) for (const dir of chain(first, path)) await shareDirWithQemu(dir);
}

/** Makes folder `name` in the folder `parent` holds (its path is not walked again), private. */
export async function makePrivateDirAt(parent: FileHandle, name: string): Promise<void> {
  const path = `/proc/self/fd/${parent.fd}/${name}`;
  await mkdir(path, { mode: 0o700 });
  await shareDirWithQemu(path);
}

/** makePrivateDir -p at start-up (datastore roots, made before vmctld serves), where no await fits. */
export function makePrivateDirSync(path: string): void {
  const first = mkdirSync(path, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  const identity = qemuIdentity();
  for (const dir of chain(first, path)) {
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      if (identity) fchownSync(fd, -1, identity.gid);
      fchmodSync(fd, identity ? 0o710 : 0o700);
    } finally {
      closeSync(fd);
    }
  }
}

/** A file made by another program (qemu-img) with the default umask: 0600 from now on. */
export async function makeFilePrivate(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
  } finally {
    await handle.close();
  }
}

/** The folders from `first` (the top one mkdir -p made) down to `last`. */
function chain(first: string, last: string): string[] {
  const dirs: string[] = [];
  for (let dir = last; dir.length >= first.length; dir = dirname(dir)) {
    dirs.unshift(dir);
    if (dir === first || dirname(dir) === dir) break;
  }
  return dirs;
}
