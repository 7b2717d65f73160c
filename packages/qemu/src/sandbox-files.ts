// vmctld (root) reading and writing in a folder the QEMU user owns (a VM's run dir): that user
// may have swapped any name there for a symlink or a hard link to a host file, so nothing here
// follows a link or touches a file with more than one name.
import { constants } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";

const NOFOLLOW = constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** True when the opened file is what we expect to find: a plain file with one name. */
async function plainFile(handle: FileHandle): Promise<boolean> {
  const info = await handle.stat();
  return info.isFile() && info.nlink === 1;
}

/**
 * Opens `path` to append, creating it if needed. A symlink, hard link or socket found in its place
 * is removed (rm unlinks the name, never what it points to) and a fresh file made.
 */
export async function openAppendNoFollow(path: string, mode = 0o600): Promise<FileHandle> {
  for (let attempt = 0; ; attempt++) {
    // A folder in its place is refused, not removed: a recursive delete in a folder the QEMU
    // user writes could be steered by it through a swapped-in link.
    try {
      const handle = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW, mode);
      if (await plainFile(handle)) return handle;
      await handle.close();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ELOOP" && code !== "ENXIO" && code !== "EOPNOTSUPP") throw error;
    }
    if (attempt >= 3) throw new Error(`${path} keeps being replaced by something other than a file`);
    await rm(path, { force: true });
  }
}

/** Appends text to a file, never through a link. */
export async function appendNoFollow(path: string, text: string): Promise<void> {
  const handle = await openAppendNoFollow(path);
  try {
    await handle.write(text);
  } finally {
    await handle.close();
  }
}

/** The bytes of a plain file (at most maxBytes from position), or null when it is missing or not a plain file. */
export async function readBytesNoFollow(path: string, maxBytes: number, position = 0): Promise<Buffer | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | NOFOLLOW);
  } catch {
    return null;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.nlink !== 1) return null;
    const length = Math.max(0, Math.min(maxBytes, info.size - position));
    const buffer = Buffer.alloc(length);
    const { bytesRead } = length > 0 ? await handle.read(buffer, 0, length, position) : { bytesRead: 0 };
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The text of a plain file (at most maxBytes from position), or null when it is missing or not a plain file. */
export async function readNoFollow(path: string, maxBytes = 65536, position = 0): Promise<string | null> {
  return (await readBytesNoFollow(path, maxBytes, position))?.toString("utf8") ?? null;
}
