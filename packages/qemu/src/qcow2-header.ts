// Reads a qcow2 image's backing file name straight from its header: cheap enough to ask of every
// disk on the host (which VMs are linked clones of a template?) without running qemu-img.
import { open } from "node:fs/promises";

const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

/** The backing file as stored in the image (often relative to the image's folder), or null. */
export async function readQcow2Backing(path: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch {
    return null;
  }
  try {
    const header = Buffer.alloc(20);
    const { bytesRead } = await handle.read(header, 0, 20, 0);
    if (bytesRead < 20 || header.readUInt32BE(0) !== QCOW2_MAGIC) return null;
    const offset = Number(header.readBigUInt64BE(8));
    const size = header.readUInt32BE(16);
    if (offset === 0 || size === 0 || size > 1023) return null;
    const name = Buffer.alloc(size);
    await handle.read(name, 0, size, offset);
    return name.toString("utf8");
  } finally {
    await handle.close();
  }
}
