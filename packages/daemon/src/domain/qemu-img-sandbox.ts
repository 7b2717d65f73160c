// qemu-img never parses an image as root: imported disks come from outside, and a VM's own disks
// were written by its QEMU, which runs as the QEMU user and may have been taken over by its guest
// (which then rewrites the qcow2 metadata at will). So every qemu-img that reads an image (imports,
// full clones, exports, the disk list, resizes and internal snapshots of a stopped VM) runs as the
// QEMU user: a memory-safety bug in its VMDK or qcow2 parsing, or a file swapped after the
// inspection, then reaches only what that user may. It is lent read access to exactly the files
// the inspection listed for the time of the command, owns an image it changes in place for that
// time, and writes a new image into a target vmctld made for it (in a folder where it may create
// nothing itself).
import { constants, type Stats } from "node:fs";
import { open, readlink, type FileHandle } from "node:fs/promises";
import { VmctlError } from "@vmctl/api-types";
import { convertImage, createConvertTarget, imageInfo, type ImageFile, type InspectFormat, type QemuRunAs } from "@vmctl/qemu";
import { within } from "./datastores.js";
import { assertImageTrusted, type TrustScope } from "./image-trust.js";
import { qemuRunAs } from "./vm-sandbox.js";
import { QEMU_USER, folderBlockingQemu, ownForQemu, qemuGroupIds, takeFromQemu } from "../security/qemu-user.js";

export interface SandboxedConversion {
  source: string;
  sourceFormat: InspectFormat;
  /** Every file qemu-img reads for the source, as assertImageTrusted listed them right before. */
  files: ImageFile[];
  /** The trust scope's roots: a file is lent only while it still lies inside one. */
  roots: string[];
  target: string;
  targetFormat: "qcow2" | "raw" | "vmdk";
  /** -o for the new target (e.g. "subformat=streamOptimized"), given where the target is created. */
  targetOptions?: string;
  /** Read the source as it was at this internal snapshot (-U: a running QEMU may hold it). */
  snapshot?: string;
  /** For messages: `disk "a.vmdk"`, `CD-ROM "tools.iso"`. */
  label: string;
  /** What qemu-img does, for the message when it cannot reach a file: "converts imported disks". */
  purpose?: string;
  signal: AbortSignal;
  onProgress?: (percent: number) => void;
}

/** For imports (vm-import.ts): a qcow2 target keeps lazy refcounts, as every disk vmctld makes. */
export type ImportConversion = Omit<SandboxedConversion, "targetOptions" | "snapshot" | "purpose" | "targetFormat"> & { targetFormat: "qcow2" | "raw" };

/** Converts an imported disk (see convertAsQemu). */
export async function convertForImport(job: ImportConversion): Promise<void> {
  await convertAsQemu({ ...job, ...(job.targetFormat === "qcow2" ? { targetOptions: "lazy_refcounts=on" } : {}) });
}

/**
 * Converts `source` into `target` as the QEMU user (a vmctld that is not root converts as itself,
 * which is already unprivileged, and lets qemu-img create the target). The target ends as root's
 * 0600, as every disk of an unstarted VM. Answers the source's virtual size, as qemu-img read it.
 */
export async function convertAsQemu(job: SandboxedConversion): Promise<{ virtualSize: number }> {
  const runAs = qemuRunAs();
  const shared = job.snapshot !== undefined;
  const common = {
    source: job.source, sourceFormat: job.sourceFormat, target: job.target, targetFormat: job.targetFormat, signal: job.signal,
    ...(job.snapshot !== undefined ? { snapshot: job.snapshot } : {}), ...(job.onProgress ? { onProgress: job.onProgress } : {}),
  };
  if (!runAs) {
    await convertImage({ ...common, ...(job.targetOptions ? { options: job.targetOptions } : {}), runAs: null });
    return { virtualSize: (await imageInfo(job.source, job.sourceFormat, { shared, runAs: null })).virtualSize };
  }
  // The target is handed over as an open descriptor: only the files read need reachable folders.
  await assertQemuReaches(job.files.map((file) => file.path), job.label, job.purpose);
  const giveBack = await lendToQemu(job.files, job.roots, job.label, runAs);
  try {
    // The size comes from qemu-img's own reading of the header, so that reading is unprivileged too.
    const { virtualSize } = await imageInfo(job.source, job.sourceFormat, { shared, runAs });
    await createConvertTarget(job.target, job.targetFormat, virtualSize, job.targetOptions);
    await ownForQemu(job.target, 0o600);
    const target = await open(job.target, constants.O_RDWR | constants.O_NOFOLLOW);
    try {
      await convertImage({ ...common, runAs, existingTarget: true, targetDescriptor: target.fd });
    } finally {
      await target.close();
    }
    await takeFromQemu(job.target);
    return { virtualSize };
  } finally {
    await giveBack();
  }
}

export interface VmImage {
  path: string;
  format: InspectFormat;
  /** The datastores, checked again right before qemu-img opens the image. */
  scope: TrustScope;
  /** For messages: `disks.root.file "web/root.qcow2"`. */
  label: string;
  /** qemu-img changes the image in place (resize, snapshot): the QEMU user owns it (0600) meanwhile. */
  write?: boolean;
  /** qemu-img opens the backing chain too (resize); without, only the image and its data file (info, snapshot). */
  chain?: boolean;
}

/**
 * Runs `work` (one or more qemu-img commands on a VM's disk, as `runAs`) with the image's files,
 * inspected just before, lent to the QEMU user and given back after. A vmctld that is not root runs
 * it as itself (runAs null). A disk the QEMU user holds already (its VM runs) is left as it is.
 */
export async function onVmImageAsQemu<T>(image: VmImage, work: (runAs: QemuRunAs | null) => Promise<T>): Promise<T> {
  const runAs = qemuRunAs();
  if (!runAs) return work(null);
  const listed = await assertImageTrusted(image.path, image.format, image.scope, image.label);
  const files = image.chain ? listed : listed.filter((file) => file.role === "image" || file.role === "external data file");
  await assertQemuReaches(files.map((file) => file.path), image.label, "reads and writes VM disks");
  const giveBack = await lendToQemu(files, image.scope.roots, image.label, runAs, { writeImage: image.write ?? false });
  try {
    return await work(runAs);
  } finally {
    await giveBack();
  }
}

/** Refuses, naming the folder and the fix, files behind a folder the QEMU user cannot traverse. */
export async function assertQemuReaches(paths: string[], label: string, purpose = "converts imported disks"): Promise<void> {
  for (const path of paths) {
    const blocking = await folderBlockingQemu(path);
    if (!blocking) continue;
    const mode = blocking.mode.toString(8).padStart(4, "0");
    throw new VmctlError("qemu_failed",
      `${label}: qemu-img ${purpose} as the unprivileged user "${QEMU_USER}", which cannot reach "${path}": the folder "${blocking.dir}" (mode ${mode}, owner uid ${blocking.uid}) does not let it pass. ` +
      `Keep datastores out of private folders (e.g. under /srv/vmstore), or let that user traverse it: \`chgrp ${QEMU_USER} ${blocking.dir} && chmod g+x ${blocking.dir}\``,
      { path, folder: blocking.dir });
  }
}

interface Access { uid: number; gid: number; mode: number }

/**
 * A file made readable (or, for an image changed in place, owned) by the QEMU user: its owner,
 * group and mode before, restored through the same descriptor by the last user of the loan.
 */
interface Loan { handle: FileHandle; before: Access; lent: Access; users: number }

/** By device and inode: two commands reading one file share one loan, returned by the last. */
const loans = new Map<string, Loan>();

/**
 * Lends each file to the QEMU user for reading (group QEMU user, group read, no group write),
 * unless that user may read it already; with `writeImage`, the image itself (role "image") is
 * owned by that user, 0600, unless it is already. Returns what gives every loan back. Each file is
 * opened without following a link and must still be a plain file with one name inside the roots,
 * so a swap since the inspection cannot make vmctld hand out a host file.
 */
export async function lendToQemu(files: ImageFile[], roots: string[], label: string, runAs: QemuRunAs, options: { writeImage?: boolean } = {}): Promise<() => Promise<void>> {
  const taken: string[] = [];
  const giveBack = async () => {
    for (const key of taken.splice(0).reverse()) await returnLoan(key);
  };
  try {
    for (const file of files) {
      const key = await lend(file, roots, label, runAs, options.writeImage === true && file.role === "image");
      if (key) taken.push(key);
    }
  } catch (error) {
    await giveBack();
    throw error;
  }
  return giveBack;
}

async function lend(file: ImageFile, roots: string[], label: string, runAs: QemuRunAs, write: boolean): Promise<string | null> {
  const refuse = (reason: string) => new VmctlError("image_unsafe", `${label}: "${file.realPath}" ${reason}; it was not given to qemu-img`, { file: file.realPath, reason });
  const handle = await open(file.realPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ELOOP") throw refuse("was replaced by a symlink since it was inspected");
    throw error;
  });
  let kept = false;
  try {
    const info = await handle.stat();
    const at = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!info.isFile()) throw refuse("is not a regular file");
    if (!roots.some((root) => within(root, at))) throw refuse(`now lies at "${at}", outside what qemu-img may read`);
    if (info.nlink !== 1) throw refuse(`has ${info.nlink} hard links: only a file with one name is lent to the QEMU user`);
    const key = `${info.dev}:${info.ino}`;
    const owned: Access = { uid: runAs.uid, gid: runAs.gid, mode: 0o600 };
    // Looked up before the mode: a file another command lent is readable only for that loan's time.
    const existing = loans.get(key);
    if (existing) {
      existing.users++;
      if (write && existing.lent.uid !== runAs.uid) {
        await apply(existing.handle, owned);
        existing.lent = owned;
      }
      return key;
    }
    if (write ? info.uid === runAs.uid && (info.mode & 0o600) === 0o600 : readableBy(runAs, info)) return null;
    const before: Access = { uid: info.uid, gid: info.gid, mode: info.mode & 0o7777 };
    const loan: Loan = { handle, before, lent: write ? owned : { uid: info.uid, gid: runAs.gid, mode: (info.mode & 0o707) | 0o040 }, users: 1 };
    loans.set(key, loan);
    kept = true;
    try {
      await apply(handle, loan.lent);
    } catch (error) {
      loans.delete(key);
      kept = false;
      throw error;
    }
    return key;
  } finally {
    if (!kept) await handle.close();
  }
}

async function apply(handle: FileHandle, access: Access): Promise<void> {
  await handle.chown(access.uid, access.gid);
  await handle.chmod(access.mode);
}

async function returnLoan(key: string): Promise<void> {
  const loan = loans.get(key);
  if (!loan || --loan.users > 0) return;
  loans.delete(key);
  try {
    const now = await loan.handle.stat();
    // Changed since by vmctld itself (a VM start made it its disk): that owner's now, left as it is.
    if (now.uid === loan.lent.uid && now.gid === loan.lent.gid && (now.mode & 0o7777) === loan.lent.mode) await apply(loan.handle, loan.before);
  } finally {
    await loan.handle.close();
  }
}

/** Whether the QEMU user may read a file of this owner, group and mode. */
function readableBy(runAs: QemuRunAs, info: Stats): boolean {
  if (info.uid === runAs.uid) return (info.mode & 0o400) !== 0;
  if (info.gid === runAs.gid || qemuGroupIds().includes(info.gid)) return (info.mode & 0o040) !== 0;
  return (info.mode & 0o004) !== 0;
}
