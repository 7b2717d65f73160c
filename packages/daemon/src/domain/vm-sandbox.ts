// Who QEMU runs as, and the files it is given right before it opens them (libvirt's "dynamic
// ownership"): disks it writes become its own (0600), what it only reads is made readable to it,
// and every folder above them must let it pass; otherwise the start fails naming that folder.
import { constants } from "node:fs";
import { execFile } from "node:child_process";
import { lstat, mkdir, open, readdir, readlink, realpath, rm, rmdir } from "node:fs/promises";
import type { Stats } from "node:fs";
import { basename, dirname, isAbsolute, join } from "node:path";
import { VmctlError, type VmDefinition } from "@vmctl/api-types";
import { qemuEnvironment, readQcow2Backing, runPaths, sandboxedCommand, type QemuRunAs } from "@vmctl/qemu";
import { within } from "./datastores.js";
import { QEMU_USER, folderBlockingQemu, giveReadableToQemu, kindOf, ownForQemu, qemuIdentity, shareDirWithQemu, takeDirFromQemu, takeFromQemu } from "../security/qemu-user.js";

/** A file QEMU opens: its path, whether QEMU writes it, and the definition field that names it. */
export interface QemuFile { path: string; writable: boolean; field: string; format?: "qcow2" | "raw" }

/** The datastores: nothing outside them is ever given to the QEMU user. */
export interface QemuFileRoots { names(): string[]; root(name: string): string }

const MAX_BACKING_DEPTH = 16;

/**
 * The user every QEMU runs as: the QEMU user when vmctld is root, null (vmctld's own, already
 * unprivileged user) otherwise. A root vmctld without that user refuses: never QEMU as root.
 */
export function qemuRunAs(): QemuRunAs | null {
  if (process.getuid?.() !== 0) return null;
  const identity = qemuIdentity();
  if (!identity) {
    throw new VmctlError("qemu_failed", `vmctld runs as root, and the system user "${QEMU_USER}" that runs QEMU does not exist; run the set-up as root (\`sudo bash scripts/setup.sh\`, or \`npm start\`), which creates it, then restart vmctld: it never runs QEMU as root`);
  }
  return identity;
}

/** Every file QEMU opens for this definition (backing files come with their disk, see giveToQemu). */
export function definitionFiles(def: VmDefinition, resolve: (datastore: string | undefined, path: string) => string): QemuFile[] {
  const files: QemuFile[] = [];
  if (def.boot.kernel) files.push({ path: resolve(def.boot.datastore, def.boot.kernel), writable: false, field: "boot.kernel" });
  if (def.boot.initrd) files.push({ path: resolve(def.boot.datastore, def.boot.initrd), writable: false, field: "boot.initrd" });
  for (const [id, disk] of Object.entries(def.disks)) {
    files.push({ path: resolve(disk.datastore, disk.file), writable: !disk.readonly, field: `disks.${id}.file`, format: disk.format });
  }
  for (const [id, cdrom] of Object.entries(def.cdroms)) {
    if (cdrom.iso) files.push({ path: resolve(cdrom.datastore, cdrom.iso), writable: false, field: `cdroms.${id}.iso` });
  }
  return files;
}

/** Refuses a file behind a folder the QEMU user cannot traverse, naming that folder and the fix. */
async function assertReachable(file: QemuFile): Promise<void> {
  const blocking = await folderBlockingQemu(file.path);
  if (!blocking) return;
  const mode = blocking.mode.toString(8).padStart(4, "0");
  throw new VmctlError("qemu_failed",
    `${file.field}: QEMU runs as the unprivileged user "${QEMU_USER}", which cannot reach "${file.path}": the folder "${blocking.dir}" (mode ${mode}, owner uid ${blocking.uid}) does not let it pass. ` +
    `Keep datastores out of private folders (e.g. under /srv/vmstore), or let that user traverse it: \`chgrp ${QEMU_USER} ${blocking.dir} && chmod g+x ${blocking.dir}\``,
    { field: file.field, path: file.path, folder: blocking.dir });
}

/**
 * The file and, for a qcow2 disk, its whole backing chain (read-only to QEMU), each checked
 * reachable. The image checks (image-trust.ts) refuse a chain leaving the datastores before this
 * runs; this is the backstop that keeps the chown/chmod below from ever touching a host file
 * (/etc/shadow named as a backing file by a header a QEMU rewrote).
 */
async function withBackingChain(file: QemuFile, datastores: QemuFileRoots): Promise<QemuFile[]> {
  const chain = [file];
  await assertReachable(file);
  if (file.format !== "qcow2") return chain;
  let image = file.path;
  for (let depth = 0; depth < MAX_BACKING_DEPTH; depth++) {
    const backing = await readQcow2Backing(image);
    if (!backing || backing.startsWith("json:")) break;
    image = isAbsolute(backing) ? backing : join(dirname(image), backing);
    const link: QemuFile = { path: image, writable: false, field: `${file.field} (backing file "${backing}")` };
    const real = await realpath(image).catch(() => image);
    if (!datastores.names().some((name) => within(datastores.root(name), real))) {
      throw new VmctlError("image_unsafe", `${link.field} is "${real}", outside every datastore: a disk may only read files in a datastore`, { field: file.field, file: real });
    }
    await assertReachable(link);
    chain.push(link);
  }
  return chain;
}

/** Writable files become the QEMU user's (0600), the others readable to it; never through a symlink. */
async function give(files: QemuFile[]): Promise<void> {
  for (const file of files) {
    if (file.writable) await ownForQemu(file.path, 0o600);
    else await giveReadableToQemu(file.path);
  }
}

/**
 * Gives one file to QEMU right before it opens it (a hot-plugged disk, an ISO put in a drive):
 * checked reachable first, with its backing chain, so a refusal changes nothing.
 */
export async function giveToQemu(file: QemuFile, datastores: QemuFileRoots): Promise<void> {
  if (!qemuRunAs()) return;
  await give(await withBackingChain(file, datastores));
}

/**
 * Everything a start needs on disk for QEMU to run as `runAs`: the VM's folder traversable, each
 * file of the definition given, and the run dir the QEMU user's own (it makes its sockets,
 * pidfile and serial log there). Returns who QEMU runs as.
 */
export async function prepareForQemu(def: VmDefinition, datastores: QemuFileRoots & { resolve(datastore: string, path: string): string }, defaultDatastore: string, vmDir: string, runDir: string): Promise<QemuRunAs | null> {
  const runAs = qemuRunAs();
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  if (!runAs) {
    await makeScratch(runDir);
    return null;
  }
  // Every file checked before any is changed: a start refused leaves the disk as it was.
  const files: QemuFile[] = [];
  const resolve = (ds: string | undefined, path: string) => datastores.resolve(ds ?? defaultDatastore, path);
  for (const file of definitionFiles(def, resolve)) files.push(...(await withBackingChain(file, datastores)));
  await shareDirWithQemu(vmDir);
  await give(files);
  // QEMU makes its sockets and pidfile here at start; lockRunDir takes the folder back before
  // the guest runs.
  await ownForQemu(runDir, 0o700);
  await makeScratch(runDir);
  // A console log left by an older vmctld (QEMU as root) is root's: QEMU must append to it.
  const serialLog = runPaths(runDir).serialLog;
  const existing = await open(serialLog, constants.O_RDONLY | constants.O_NOFOLLOW).then((h) => h.close().then(() => true), () => false);
  if (existing) await ownForQemu(serialLog, 0o600);
  return runAs;
}

/** The sockets QEMU makes in its run dir, as named by runPaths. */
export type QemuSocket = "qmp" | "serial" | "vnc" | "qga";

/** The sockets QEMU is told to make for this definition (as build-argv.ts does: no VNC on microvm). */
export function qemuSockets(def: VmDefinition): QemuSocket[] {
  const sockets: QemuSocket[] = ["qmp"];
  if (def.console.serial) sockets.push("serial");
  if (def.console.vnc && def.machine !== "microvm") sockets.push("vnc");
  if (def.machine !== "microvm") sockets.push("qga");
  return sockets;
}

/** What lockRunDir knows of the QEMU whose run dir it takes back. */
export interface RunDirQemu {
  /** Its pid: killed when one of its sockets was replaced. */
  pid?: number;
  /** The sockets it was told to make (qemuSockets); unknown (a re-attach): each one found is checked. */
  sockets?: QemuSocket[];
}

/**
 * Once QEMU has made its sockets, its run dir is taken back (root's, traverse-only for QEMU): a
 * guest that escapes into QEMU can then no longer swap qmp.sock, serial.sock, vnc.sock or the logs
 * for links to other sockets or files that vmctld (root) would connect to, read or append to.
 * QEMU still writes through what it opened, and creates files only in io/.
 *
 * Until then the folder was the QEMU user's, so another escaped QEMU (the same uid) may have
 * renamed a link to vmctld.sock over a socket: once the folder is root's nothing can change there
 * any more, and each socket is checked to be one that user made (a socket, not a link, owned by
 * the user QEMU runs as, one name) and a socket QEMU was not told to make must not be there.
 * Otherwise that QEMU is killed, the name removed and the start fails naming the file: vmctld
 * connects to serial.sock and vnc.sock only after this.
 */
export async function lockRunDir(runDir: string, qemu: RunDirQemu = {}): Promise<void> {
  if (qemuIdentity() && process.getuid?.() === 0) {
    await takeDirFromQemu(runDir);
    await makeScratch(runDir);
  }
  const problem = await replacedSocket(runDir, qemu.sockets);
  if (!problem) return;
  if (qemu.pid && qemu.pid > 0) {
    try { process.kill(qemu.pid, "SIGKILL"); } catch { /* already gone */ }
  }
  // The folder is root's now: unlinking the name cannot be steered, and no later re-attach finds it.
  await rm(problem.path, { force: true }).catch(() => {});
  throw new VmctlError("qemu_failed", `${problem.message}; QEMU was stopped and vmctld connected to none of its console sockets`, { path: problem.path });
}

/** The first socket of the run dir that is not what QEMU made, with why; null when all are. */
async function replacedSocket(runDir: string, expected: QemuSocket[] | undefined): Promise<{ path: string; message: string } | null> {
  const paths = runPaths(runDir);
  const owner = qemuIdentity()?.uid ?? process.getuid?.() ?? 0;
  const ownerName = qemuIdentity() ? `the QEMU user "${QEMU_USER}" (uid ${owner})` : `vmctld's user (uid ${owner})`;
  for (const socket of ["qmp", "serial", "vnc", "qga"] as const) {
    const path = paths[socket];
    const shown = `run/${basename(runDir)}/${basename(path)}`;
    const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    const wanted = expected === undefined ? info !== null : expected.includes(socket);
    if (!info) {
      if (wanted) return { path, message: `${shown} is missing: it was removed or renamed while QEMU started` };
      continue;
    }
    if (!wanted) return { path, message: `${shown} was planted while QEMU started (${await describe(path, info)}): QEMU was not told to make it` };
    if (info.isSymbolicLink() || !info.isSocket()) return { path, message: `${shown} was replaced while QEMU started (${await describe(path, info)})` };
    if (info.uid !== owner) return { path, message: `${shown} was replaced while QEMU started (a socket owned by uid ${info.uid}, not by ${ownerName})` };
    if (info.nlink !== 1) return { path, message: `${shown} was replaced while QEMU started (a socket with ${info.nlink} links)` };
  }
  return null;
}

/** "a symlink to "…"", "a plain file", … */
async function describe(path: string, info: Stats): Promise<string> {
  if (!info.isSymbolicLink()) return kindOf(info);
  const target = await readlink(path).catch(() => "?");
  return `a symlink to "${target}"`;
}

/** io/ in the run dir, the QEMU user's own (a QEMU re-attached from an older vmctld may lack it). */
async function makeScratch(runDir: string): Promise<void> {
  const scratch = runPaths(runDir).scratch;
  await rm(scratch, { force: true }).catch(() => {}); // anything but a folder goes; rm refuses a folder
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  if (qemuIdentity() && process.getuid?.() === 0) await ownForQemu(scratch, 0o700);
}

/**
 * After QEMU exits, the disks it wrote go back to root (0600), as libvirt restores owners: an
 * escaped guest reaches only the disks of VMs that run. What QEMU only read stays readable (other
 * running VMs may share it: ISOs, a template's disk).
 */
export async function takeBackFromQemu(def: VmDefinition, resolve: (datastore: string | undefined, path: string) => string): Promise<void> {
  for (const file of definitionFiles(def, resolve)) if (file.writable) await takeBackOneFromQemu(file.path);
}

/** One disk QEMU no longer has open (stopped, or hot-unplugged) back to root 0600. */
export async function takeBackOneFromQemu(path: string): Promise<void> {
  if (!qemuIdentity() || process.getuid?.() !== 0) return;
  await takeFromQemu(path).catch(() => {}); // a disk deleted meanwhile has nothing to return
}

/**
 * Removes a stopped VM's run dir with no recursive delete as root where the QEMU user may create
 * names (io/, or the whole run dir after a start was cut off): a swapped-in link could steer such a
 * delete into another folder. What that user made goes first, removed as that user (rm -rf under
 * setpriv: it can only remove what the user may); root then unlinks names one level deep and never
 * descends into a folder. Whatever an escaped QEMU keeps re-creating meanwhile is left behind.
 */
export async function removeRunDir(runDir: string): Promise<void> {
  const identity = process.getuid?.() === 0 ? qemuIdentity() : null;
  if (!identity) {
    await rm(runDir, { recursive: true, force: true });
    return;
  }
  const asQemu = sandboxedCommand("rm", ["-rf", "--", runPaths(runDir).scratch], identity);
  await new Promise<void>((resolve) => { execFile(asQemu.command, asQemu.args, { env: qemuEnvironment(), timeout: 60_000 }, () => resolve()); });
  for (const entry of await readdir(runDir, { withFileTypes: true }).catch(() => [])) {
    const path = join(runDir, entry.name);
    await (entry.isDirectory() ? rmdir(path) : rm(path, { force: true })).catch(() => {});
  }
  await rmdir(runDir).catch(() => {});
}
