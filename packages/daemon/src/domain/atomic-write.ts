// Atomic file writes (temp file, fsync, rename, fsync of the folder): a crash leaves the old file or
// the new one, never half of each. Definitions go through definition-store.ts, which uses these.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import { dirname, basename, join } from "node:path";

const tempName = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);

/** Writes `data` to `path` atomically; an existing file keeps its mode, a new one gets `mode`. */
export async function writeFileAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const kept = await stat(path).then((s) => s.mode & 0o777, () => mode);
  const temp = tempName(path);
  const handle = await open(temp, "wx", kept);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const dir = await open(dirname(path), "r");
  try { await dir.sync(); } finally { await dir.close(); }
}

/** writeFileAtomic's synchronous twin, for small writes a caller waits on (a VM's uuid, a folder's owner); `mode` for a new file, else the old file's. */
export function writeFileAtomicSync(path: string, data: string, mode?: number): void {
  const temp = tempName(path);
  const fd = openSync(temp, "wx", mode ?? (statSync(path).mode & 0o777));
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  const dir = openSync(dirname(path), "r");
  try { fsyncSync(dir); } finally { closeSync(dir); }
}
