// Lists every file QEMU (or qemu-img) would read for an image opened in an explicit format: the
// image, its backing chain, VMDK extents and parents, qcow2 external data files. Headers are read
// here, never by qemu-img (which would open the files while listing them); each reference is shown
// to the caller's check before it is opened, so a refused file is never touched.
import { constants } from "node:fs";
import { open, realpath, stat, type FileHandle } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { VmctlError } from "@vmctl/api-types";
import { parseQcow2Extensions, parseQcow2Fixed, QCOW2_MAGIC } from "./image-inspect-qcow2.js";
import { hasParentHint, parseVmdk4Header, parseVmdkExtents, VMDK3_MAGIC, VMDK4_MAGIC, VMDK_DESCRIPTOR_MAX, VMDK_PARENT_SCAN } from "./image-inspect-vmdk.js";

export type InspectFormat = "qcow2" | "raw" | "vmdk";
export type ImageFileRole = "image" | "backing file" | "VMDK extent" | "external data file";

export interface ImageFile {
  /** The path as QEMU opens it (relative names joined to the referring image's folder, not normalised). */
  path: string;
  /** The same with every symlink and ".." resolved (for a missing file, resolved lexically). */
  realPath: string;
  role: ImageFileRole;
  /** How the file will be read: an image format QEMU interprets, or "data" (raw bytes). */
  format: InspectFormat | "data";
  /** The file that names it, and the name as written there (absent for the image itself). */
  referrer?: string;
  reference?: string;
  /** The format its first bytes look like (informative: QEMU never probes in an explicit format). */
  looksLike: string | null;
}

export interface InspectOptions {
  /** Called before a file is opened; throw to refuse it. */
  check: (file: ImageFile) => void;
  /** The longest chain of images referring to images (default 16). */
  maxDepth?: number;
  /** The most files one image may bring in (default 1024: a 2 TB twoGbMaxExtentSparse has 1000 extents). */
  maxFiles?: number;
}

/** The files in the order they are reached; throws image_unsafe for what QEMU must not be given. */
export async function inspectImage(path: string, format: InspectFormat, options: InspectOptions): Promise<ImageFile[]> {
  const walk = new Walk(options);
  await walk.visit({ path: resolve(path), role: "image", format }, 0);
  return walk.files;
}

interface Pending { path: string; role: ImageFileRole; format: InspectFormat | "data"; referrer?: string; reference?: string; descriptorDir?: string }

class Walk {
  readonly files: ImageFile[] = [];
  private readonly maxDepth: number;
  private readonly maxFiles: number;

  constructor(private readonly options: InspectOptions) {
    this.maxDepth = options.maxDepth ?? 16;
    this.maxFiles = options.maxFiles ?? 1024;
  }

  async visit(pending: Pending, depth: number): Promise<void> {
    const top = this.files[0]?.path ?? pending.path;
    if (depth > this.maxDepth) throw unsafe(top, `its chain of images is deeper than ${this.maxDepth} (at "${pending.path}")`);
    if (this.files.length >= this.maxFiles) throw unsafe(top, `it refers to more than ${this.maxFiles} files`);
    const realPath = await realpath(pending.path).catch(() => resolve(pending.path));
    const file: ImageFile = { path: pending.path, realPath, role: pending.role, format: pending.format, looksLike: null,
      ...(pending.referrer !== undefined ? { referrer: pending.referrer } : {}), ...(pending.reference !== undefined ? { reference: pending.reference } : {}) };
    this.options.check(file);
    const handle = await openRegular(file, top);
    try {
      const head = await readAt(handle, 0, 4096);
      file.looksLike = detectFormat(head);
      this.files.push(file);
      if (file.format === "qcow2") await this.qcow2(file, handle, head, depth);
      else if (file.format === "vmdk") await this.vmdk(file, handle, head, depth, pending.descriptorDir ?? dirname(file.path), pending.role === "VMDK extent");
    } finally {
      await handle.close();
    }
  }

  private async qcow2(file: ImageFile, handle: FileHandle, head: Buffer, depth: number): Promise<void> {
    let refs;
    try {
      if (head.length < 4 || head.readUInt32BE(0) !== QCOW2_MAGIC) throw new Error(`it is not a qcow2 image${file.looksLike ? ` (it looks like ${file.looksLike})` : ""}`);
      const fixed = parseQcow2Fixed(head);
      const extEnd = fixed.backingOffset !== 0 ? fixed.backingOffset : fixed.clusterSize;
      const area = extEnd > fixed.headerLength ? await readAt(handle, fixed.headerLength, extEnd - fixed.headerLength, true) : Buffer.alloc(0);
      const name = fixed.backingOffset !== 0 ? await readAt(handle, fixed.backingOffset, fixed.backingSize, true) : null;
      refs = parseQcow2Extensions(area, name, fixed.incompatible);
    } catch (error) {
      throw unsafe(file.path, (error as Error).message);
    }
    if (refs.dataFile !== undefined) {
      const name = plainName(file, refs.dataFile, "external data file");
      // QEMU opens the data file by its name as written, relative to its own working directory.
      if (!isAbsolute(name)) throw unsafe(file.path, `its external data file "${name}" is relative, so it depends on QEMU's working directory`);
      await this.visit({ path: name, role: "external data file", format: "data", referrer: file.path, reference: refs.dataFile }, depth + 1);
    } else if (refs.usesDataFile) {
      throw unsafe(file.path, "it declares an external data file but does not name it");
    }
    if (refs.backing === undefined) return;
    const name = plainName(file, refs.backing, "backing file");
    if (refs.backingFormat === undefined) throw unsafe(file.path, `its backing file "${name}" has no declared format, so QEMU would probe it; set one (qemu-img rebase -u -F raw|qcow2)`);
    if (refs.backingFormat !== "qcow2" && refs.backingFormat !== "raw" && refs.backingFormat !== "vmdk") {
      throw unsafe(file.path, `its backing file "${name}" is declared as "${refs.backingFormat}"; only qcow2, raw and vmdk are allowed`);
    }
    await this.visit({ path: joinAsQemu(dirname(file.path), name), role: "backing file", format: refs.backingFormat, referrer: file.path, reference: refs.backing }, depth + 1);
  }

  /** A VMDK, or one of its extents: an extent is a sparse VMDK or plain data, never a descriptor. */
  private async vmdk(file: ImageFile, handle: FileHandle, head: Buffer, depth: number, descriptorDir: string, extent: boolean): Promise<void> {
    const magic = head.length >= 4 ? head.readUInt32BE(0) : 0;
    let descriptor: Buffer | null;
    if (magic === VMDK4_MAGIC || magic === VMDK3_MAGIC) {
      if (hasParentHint(await readAt(handle, 0x200, VMDK_PARENT_SCAN, true))) throw unsafe(file.path, "it is a VMDK delta disk (parentFileNameHint): vmctl does not follow VMDK parents");
      const header = parseVmdk4Header(head);
      descriptor = null;
      // A sparse header with no capacity and a descriptor offset is a descriptor in disguise: QEMU
      // parses that descriptor's extents. Otherwise the embedded descriptor's extents are ignored.
      if (header && header.capacity === 0n && header.descriptorOffset !== 0n) {
        const offset = header.descriptorOffset * 512n;
        const { size } = await handle.stat();
        if (offset >= BigInt(size)) throw unsafe(file.path, "its embedded descriptor lies beyond the end of the file");
        descriptor = await readAt(handle, Number(offset), Math.min(size, VMDK_DESCRIPTOR_MAX));
      }
    } else if (extent) {
      return;
    } else {
      if (file.looksLike !== null && file.looksLike !== "vmdk") throw unsafe(file.path, `it is not a VMDK (it looks like ${file.looksLike})`);
      descriptor = await readAt(handle, 0, VMDK_DESCRIPTOR_MAX);
      if (hasParentHint(descriptor)) throw unsafe(file.path, "it is a VMDK delta disk (parentFileNameHint): vmctl does not follow VMDK parents");
    }
    if (!descriptor) return;
    for (const extent of parseVmdkExtents(descriptor)) {
      const name = plainName(file, extent.file, "VMDK extent");
      const path = isAbsolute(name) ? name : joinAsQemu(descriptorDir, name);
      // An extent that is a sparse VMDK is interpreted in turn; its relative extents are still
      // taken from the first descriptor's folder, as QEMU does.
      await this.visit({ path, role: "VMDK extent", format: "vmdk", referrer: file.path, reference: extent.file, descriptorDir }, depth + 1);
    }
  }
}

/** A referenced name as a file path, refusing what QEMU would take for a protocol or JSON, or what is not UTF-8. */
function plainName(file: ImageFile, latin1: string, what: string): string {
  const name = Buffer.from(latin1, "latin1").toString("utf8");
  if (!Buffer.from(name, "utf8").equals(Buffer.from(latin1, "latin1"))) throw unsafe(file.path, `its ${what} has a name that is not UTF-8`);
  const colon = name.indexOf(":");
  const slash = name.indexOf("/");
  if (colon !== -1 && (slash === -1 || colon < slash)) throw unsafe(file.path, `its ${what} "${name}" is a protocol or JSON name, not a file`);
  if (name === "") throw unsafe(file.path, `its ${what} has an empty name`);
  return name;
}

/** QEMU joins a relative name to the folder as a string; the kernel then resolves ".." after symlinks. */
function joinAsQemu(dir: string, name: string): string {
  if (isAbsolute(name)) return name;
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

/** Opens without blocking on a FIFO and without following a last-moment symlink swap to a non-file. */
async function openRegular(file: ImageFile, top: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file.path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? (error as Error).message})`;
    throw unsafe(top, file.role === "image" ? `it ${why}` : `it refers to "${file.reference ?? file.path}" (a ${file.role}), which ${why}`);
  }
  const stats = await handle.stat();
  const checked = await stat(file.realPath).catch(() => null);
  let why: string | null = null;
  if (!stats.isFile()) why = "is not a regular file";
  // What was checked (the resolved path) must be what was opened: a symlink swapped in between is refused.
  else if (!checked || checked.ino !== stats.ino || checked.dev !== stats.dev) why = "changed while it was being checked";
  if (why !== null) {
    await handle.close();
    throw unsafe(top, file.role === "image" ? `it ${why}` : `it refers to "${file.reference ?? file.path}" (a ${file.role}), which ${why}`);
  }
  return handle;
}

/** Up to `length` bytes at `offset`; with `pad`, a short read is filled with zeros as QEMU's reads past the end are. */
async function readAt(handle: FileHandle, offset: number, length: number, pad = false): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buffer, got, length - got, offset + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return pad ? buffer : buffer.subarray(0, got);
}

/** The format an image's first bytes announce, for messages and for refusing a mislabelled import. */
export function detectFormat(head: Buffer): string | null {
  const ascii = (at: number, text: string) => head.length >= at + text.length && head.toString("latin1", at, at + text.length) === text;
  if (head.length >= 4 && head.readUInt32BE(0) === QCOW2_MAGIC) return head.length >= 8 && head.readUInt32BE(4) === 1 ? "qcow" : "qcow2";
  if (head.length >= 4 && (head.readUInt32BE(0) === VMDK4_MAGIC || head.readUInt32BE(0) === VMDK3_MAGIC)) return "vmdk";
  if (ascii(0, "# Disk DescriptorFile")) return "vmdk";
  if (ascii(0, "QED\0")) return "qed";
  if (ascii(0, "vhdxfile")) return "vhdx";
  if (ascii(0, "conectix")) return "vpc";
  if (ascii(0, "LUKS\xba\xbe")) return "luks";
  if (ascii(0, "WithoutFreeSpace") || ascii(0, "WithouFreSpacExt")) return "parallels";
  if (ascii(0, "Bochs Virtual HD Image")) return "bochs";
  if (ascii(0, "#!/bin/sh\n#V2.0 Format\n")) return "cloop";
  if (head.length >= 68 && head.readUInt32LE(64) === 0xbeda107f) return "vdi";
  return null;
}

function unsafe(image: string, reason: string): VmctlError {
  return new VmctlError("image_unsafe", `disk image "${image}" cannot be used: ${reason}`, { image, reason });
}
