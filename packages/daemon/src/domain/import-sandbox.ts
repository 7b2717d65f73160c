// An imported disk is converted by qemu-img running as the QEMU user, never as root: a memory-safety
// bug in its VMDK or qcow2 parsing, or a file swapped after the inspection, then reaches only what
// that user may. It is lent read access to exactly the files the inspection listed, for the time
// of the convert, and writes into a target vmctld made for it in the VM's folder (where it may
// create nothing itself).
import { constants, type Stats } from "node:fs";
import { open, readlink, type FileHandle } from "node:fs/promises";
import { VmctlError } from "@vmctl/api-types";
import { convertImage, createImage, imageInfo, type ImageFile, type InspectFormat, type QemuRunAs } from "@vmctl/qemu";
import { within } from "./datastores.js";
import { qemuRunAs } from "./vm-sandbox.js";
import { QEMU_USER, folderBlockingQemu, ownForQemu, qemuGroupIds, takeFromQemu } from "../security/qemu-user.js";

export interface ImportConversion {
  source: string;
  sourceFormat: InspectFormat;
  /** Every file qemu-img reads for the source, as assertImageTrusted listed them right before. */
  files: ImageFile[];
  /** The trust scope's roots: a file is lent only while it still lies inside one. */
  roots: string[];
  target: string;
  targetFormat: "qcow2" | "raw";
  /** For messages: `disk "a.vmdk"`, `CD-ROM "tools.iso"`. */
  label: string;
  signal: AbortSignal;
  onProgress?: (percent: number) => void;
}

/**
 * Converts `source` into `target` as the QEMU user (a vmctld that is not root converts as itself,
 * which is already unprivileged). The target ends as root's 0600, as every disk of an unstarted VM.
 */
export async function convertForImport(job: ImportConversion): Promise<void> {
  const runAs = qemuRunAs();
  const common = { source: job.source, sourceFormat: job.sourceFormat, target: job.target, targetFormat: job.targetFormat, signal: job.signal, ...(job.onProgress ? { onProgress: job.onProgress } : {}) };
  if (!runAs) {
    await convertImage({ ...common, runAs: null });
    return;
  }
  await assertQemuReaches([...job.files.map((file) => file.path), job.target], job.label);
  const giveBack = await lendToQemu(job.files, job.roots, job.label, runAs);
  try {
    // The size comes from qemu-img's own reading of the header, so that reading is unprivileged too.
    const { virtualSize } = await imageInfo(job.source, job.sourceFormat, { runAs });
    await createImage(job.target, job.targetFormat, virtualSize);
    await ownForQemu(job.target, 0o600);
    await convertImage({ ...common, runAs, existingTarget: true });
    await takeFromQemu(job.target);
  } finally {
    await giveBack();
  }
}

/** Refuses, naming the folder and the fix, files behind a folder the QEMU user cannot traverse. */
export async function assertQemuReaches(paths: string[], label: string): Promise<void> {
  for (const path of paths) {
    const blocking = await folderBlockingQemu(path);
    if (!blocking) continue;
    const mode = blocking.mode.toString(8).padStart(4, "0");
    throw new VmctlError("qemu_failed",
      `${label}: qemu-img converts imported disks as the unprivileged user "${QEMU_USER}", which cannot reach "${path}": the folder "${blocking.dir}" (mode ${mode}, owner uid ${blocking.uid}) does not let it pass. ` +
      `Keep datastores out of private folders (e.g. under /srv/vmstore), or let that user traverse it: \`chgrp ${QEMU_USER} ${blocking.dir} && chmod g+x ${blocking.dir}\``,
      { path, folder: blocking.dir });
  }
}

/** A file made readable to the QEMU user: its owner's group and mode before, restored through the same descriptor. */
interface Loan { handle: FileHandle; uid: number; gid: number; mode: number; lentGid: number; lentMode: number; users: number }

/** By device and inode: two imports reading one datastore file share one loan, returned by the last. */
const loans = new Map<string, Loan>();

/**
 * Lends each file to the QEMU user for reading (group QEMU user, group read, no group write),
 * unless that user may read it already; returns what gives every loan back. Each file is opened
 * without following a link and must still be a plain file with one name inside the roots, so a
 * swap since the inspection cannot make vmctld hand out a host file.
 */
export async function lendToQemu(files: ImageFile[], roots: string[], label: string, runAs: QemuRunAs): Promise<() => Promise<void>> {
  const taken: string[] = [];
  const giveBack = async () => {
    for (const key of taken.splice(0).reverse()) await returnLoan(key);
  };
  try {
    for (const file of files) {
      const key = await lend(file, roots, label, runAs);
      if (key) taken.push(key);
    }
  } catch (error) {
    await giveBack();
    throw error;
  }
  return giveBack;
}

async function lend(file: ImageFile, roots: string[], label: string, runAs: QemuRunAs): Promise<string | null> {
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
    if (!roots.some((root) => within(root, at))) throw refuse(`now lies at "${at}", outside what the import may read`);
    if (info.nlink !== 1) throw refuse(`has ${info.nlink} hard links: only a file with one name is lent to the QEMU user`);
    const key = `${info.dev}:${info.ino}`;
    // Looked up before the mode: a file another import lent is readable only for that loan's time.
    const existing = loans.get(key);
    if (existing) {
      existing.users++;
      return key;
    }
    if (readableBy(runAs, info)) return null;
    const loan: Loan = { handle, uid: info.uid, gid: info.gid, mode: info.mode & 0o7777, lentGid: runAs.gid, lentMode: (info.mode & 0o707) | 0o040, users: 1 };
    loans.set(key, loan);
    kept = true;
    try {
      await handle.chown(-1, loan.lentGid);
      await handle.chmod(loan.lentMode);
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

async function returnLoan(key: string): Promise<void> {
  const loan = loans.get(key);
  if (!loan || --loan.users > 0) return;
  loans.delete(key);
  try {
    const now = await loan.handle.stat();
    // Changed since by vmctld itself (a VM start made it its disk): that owner's now, left as it is.
    if (now.uid === loan.uid && now.gid === loan.lentGid && (now.mode & 0o7777) === loan.lentMode) {
      await loan.handle.chown(-1, loan.gid);
      await loan.handle.chmod(loan.mode);
    }
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
