// The unprivileged system user every QEMU runs as (made by the set-up, as libvirt's "libvirt-qemu"),
// and the ownership of what QEMU must open: files it writes are its own (0600), files it only reads
// are readable to it, and the folders above them root's with group QEMU user, traverse only (0710).
import { execFileSync } from "node:child_process";
import { constants } from "node:fs";
import { open, realpath, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { dirname } from "node:path";
import { VmctlError } from "@vmctl/api-types";

export const QEMU_USER = "vmctl-qemu";

export interface QemuIdentity { user: string; uid: number; gid: number }

let cached: QemuIdentity | null | undefined;

/**
 * The QEMU user's uid and gid when vmctld runs as root and the user exists; null otherwise (a
 * vmctld run by an ordinary user starts QEMU as itself, which is already unprivileged).
 */
export function qemuIdentity(): QemuIdentity | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.getuid?.() !== 0) return cached;
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, QEMU_USER], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    const uid = id("-u");
    const gid = id("-g");
    if (Number.isInteger(uid) && Number.isInteger(gid) && uid > 0) cached = { user: QEMU_USER, uid, gid };
  } catch {
    // No such user: the set-up makes it (useradd --system vmctl-qemu).
  }
  return cached;
}

/**
 * Gives a file or folder to the QEMU user (when there is one) with this mode. Never through a
 * symlink: the change is made on what was opened with O_NOFOLLOW, so a link planted where a VM file
 * was expected (by a guest that escaped into the QEMU user) cannot hand a host file to that user.
 * Nor through a hard link: what was opened must be a folder or a plain file with one name (a second
 * name for a root file, planted in a start window, would otherwise be handed over with it; today
 * only fs.protected_hardlinks=1 forbids making one), and never a device, FIFO or socket.
 */
export async function ownForQemu(path: string, mode: number): Promise<void> {
  const identity = qemuIdentity();
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile() && !info.isDirectory()) {
      throw new VmctlError("qemu_failed", `"${path}" is not a plain file or folder (${kindOf(info)}): only those are given to the QEMU user "${QEMU_USER}"`, { path });
    }
    if (info.isFile() && info.nlink !== 1) {
      throw new VmctlError("qemu_failed", `"${path}" has ${info.nlink} hard links: only a file with one name is given to the QEMU user "${QEMU_USER}" (another name could be a host file's)`, { path });
    }
    if (identity) await handle.chown(identity.uid, identity.gid);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

/** What a file is, in words, for an error message. */
export function kindOf(info: Stats): string {
  if (info.isSymbolicLink()) return "a symlink";
  if (info.isSocket()) return "a socket";
  if (info.isDirectory()) return "a folder";
  if (info.isFIFO()) return "a FIFO";
  if (info.isBlockDevice()) return "a block device";
  if (info.isCharacterDevice()) return "a character device";
  return "a plain file";
}

let groupsCached: number[] | undefined;

/** Every group of the QEMU user (its own and kvm): what decides the folders it may traverse. */
export function qemuGroupIds(): number[] {
  const identity = qemuIdentity();
  if (!identity) return [];
  if (groupsCached) return groupsCached;
  try {
    groupsCached = execFileSync("id", ["-G", identity.user], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim().split(/\s+/).map(Number).filter(Number.isInteger);
  } catch {
    groupsCached = [identity.gid];
  }
  return groupsCached;
}

/**
 * A folder of vmctld's that QEMU must pass through but never change (vmctld's home, run/, a VM
 * folder): group QEMU user, mode 0710, so it can traverse but not create, rename or plant links.
 * The owner stays (root). Without a QEMU user: 0700.
 */
export async function shareDirWithQemu(path: string): Promise<void> {
  const identity = qemuIdentity();
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    if (identity) await handle.chown(-1, identity.gid);
    await handle.chmod(identity ? 0o710 : 0o700);
  } finally {
    await handle.close();
  }
}

/** Gives a file back to root (0600 or the mode given), never through a symlink. */
export async function takeFromQemu(path: string, mode = 0o600): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    await handle.chown(process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

/**
 * Takes a folder back from the QEMU user: owner vmctld (root), group QEMU user, 0710. A running
 * QEMU keeps what it opened but can no longer create, rename or replace names there.
 */
export async function takeDirFromQemu(path: string): Promise<void> {
  const identity = qemuIdentity();
  const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    if (identity) await handle.chown(process.getuid?.() ?? 0, identity.gid);
    await handle.chmod(identity ? 0o710 : 0o700);
  } finally {
    await handle.close();
  }
}

/**
 * Lets the QEMU user read a file it must never write (kernel, initrd, ISO, read-only disk, the
 * backing file of a linked clone): left as it is when that user may already read it, otherwise
 * group QEMU user with read and no write for the group. The owner keeps its rights.
 */
export async function giveReadableToQemu(path: string): Promise<void> {
  const identity = qemuIdentity();
  if (!identity) return;
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (permits(info, 0o4)) return;
    await handle.chown(-1, identity.gid);
    await handle.chmod((info.mode & 0o707) | 0o040);
  } finally {
    await handle.close();
  }
}

/** Whether the QEMU user holds `bits` (4 read, 2 write, 1 search) on a file of this owner and mode. */
function permits(info: { uid: number; gid: number; mode: number }, bits: number): boolean {
  const identity = qemuIdentity();
  if (!identity) return true;
  if (info.uid === identity.uid) return ((info.mode >> 6) & bits) === bits;
  if (qemuGroupIds().includes(info.gid)) return ((info.mode >> 3) & bits) === bits;
  return (info.mode & bits) === bits;
}

/**
 * The first folder above `path` that the QEMU user may not search (traverse), or null: along the
 * path as QEMU is given it and along its real path (a symlinked folder needs both).
 */
export async function folderBlockingQemu(path: string): Promise<{ dir: string; mode: number; uid: number } | null> {
  if (!qemuIdentity()) return null;
  const real = await realpath(path).catch(() => path);
  for (const start of new Set([path, real])) {
    for (const folder of foldersAbove(start)) {
      const info = await stat(folder).catch(() => null);
      if (info && !permits(info, 0o1)) return { dir: folder, mode: info.mode & 0o7777, uid: info.uid };
    }
  }
  return null;
}

/** "/a/b/c" → ["/", "/a", "/a/b"]. */
function foldersAbove(path: string): string[] {
  const chain: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dirname(dir) === dir) return chain;
  }
}
