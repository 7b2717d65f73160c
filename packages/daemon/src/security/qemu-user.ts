// The unprivileged system user every QEMU runs as (made by the set-up, as libvirt's "libvirt-qemu"),
// and the ownership of the files QEMU must open: VM folders 0700 and files 0600, owned by that user.
import { execFileSync } from "node:child_process";
import { constants } from "node:fs";
import { open } from "node:fs/promises";

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
 */
export async function ownForQemu(path: string, mode: number): Promise<void> {
  const identity = qemuIdentity();
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (identity) await handle.chown(identity.uid, identity.gid);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}
