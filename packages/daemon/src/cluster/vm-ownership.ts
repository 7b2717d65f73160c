// Which host owns a VM folder on a shared datastore: `.vmctl-owner` in the folder holds the owning
// host's id. Every host of a cluster sees the folder; only its owner lists, runs and changes the VM.
// The file is written atomically (temp file, fsync, rename, fsync of the folder) so a crash leaves
// the old owner or the new one, never an empty file two hosts could both read as "not owned".
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomicSync } from "../domain/atomic-write.js";

export const OWNER_FILE = ".vmctl-owner";

const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** The owning host's id, or null when the folder has no owner file (or an unreadable or garbled one). */
export function readOwner(vmDir: string): string | null {
  let text: string;
  try {
    // Only a small regular file counts: a link or a FIFO planted there is no owner (and never blocks the scan).
    const path = join(vmDir, OWNER_FILE);
    const stat = lstatSync(path);
    if (!stat.isFile() || stat.size > 256) return null;
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  const id = text.trim();
  return HOST_ID.test(id) ? id : null;
}

/** Makes `hostId` the folder's owner, atomically; the previous owner (if any) is replaced. */
export function writeOwner(vmDir: string, hostId: string): void {
  if (!HOST_ID.test(hostId)) throw new Error(`writeOwner: "${hostId}" is not a host id`);
  writeFileAtomicSync(join(vmDir, OWNER_FILE), `${hostId}\n`, 0o644);
}

/** Whether this host may list and run the VM in `vmDir`: always on a datastore of its own, else only as its owner. */
export function ownedHere(vmDir: string, shared: boolean, hostId: string | undefined): boolean {
  if (!shared || hostId === undefined) return true;
  return readOwner(vmDir) === hostId;
}
