// qemu-img: create, inspect, convert and snapshot disk images of stopped VMs.
import { execFile, spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { VmctlError } from "@vmctl/api-types";
import { qemuEnvironment, sandboxedCommand, type QemuRunAs } from "./qemu-sandbox.js";

const execFileAsync = promisify(execFile);

/** How one qemu-img runs: its command line and, when sandboxed, its whole environment. */
export interface QemuImgCommand { command: string; args: string[]; env?: Record<string, string> }

/**
 * The command running `qemu-img args`. With `runAs` given, qemu-img parses an image someone else
 * wrote (an imported disk, or a VM's disk, which its QEMU and so an escaped guest could rewrite:
 * VMDK and qcow2 parsing is its attack surface): it runs through setpriv as that user (no
 * capabilities, no_new_privs; qemu-img has no -sandbox) with QEMU's clean environment, or with null
 * (vmctld is not root) as vmctld itself, still with that environment. Without it, as vmctld: for
 * images vmctld makes itself (a new disk, an overlay), whose headers are its own.
 */
export function qemuImgCommand(args: string[], runAs?: QemuRunAs | null): QemuImgCommand {
  if (runAs === undefined) return { command: "qemu-img", args };
  return { ...sandboxedCommand("qemu-img", args, runAs), env: qemuEnvironment() };
}

/** Runs qemu-img; a failure becomes a qemu_failed error carrying qemu-img's own message. */
async function run(command: string, args: string[], runAs?: QemuRunAs | null): Promise<{ stdout: string }> {
  const built = command === "qemu-img" ? qemuImgCommand(args, runAs) : { command, args };
  try {
    return await execFileAsync(built.command, built.args, { maxBuffer: 16 * 1024 * 1024, ...(built.env ? { env: built.env } : {}) });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new VmctlError("qemu_failed", `${command} ${args[0]} failed: ${stderr || (error as Error).message}`);
  }
}

export async function createImage(path: string, format: "qcow2" | "raw", sizeBytes: number): Promise<void> {
  await run("qemu-img", ["create", "-q", "-f", format, ...(format === "qcow2" ? ["-o", "lazy_refcounts=on"] : []), path, String(sizeBytes)]);
}

/**
 * An empty image for a convert to write in place (-n): made by vmctld, so that a qemu-img that may
 * not create files in the folder can fill it. `options` are the -o a convert would have created the
 * target with (a stream-optimized VMDK's subformat).
 */
export async function createConvertTarget(path: string, format: "qcow2" | "raw" | "vmdk", sizeBytes: number, options?: string): Promise<void> {
  await run("qemu-img", ["create", "-q", "-f", format, ...(options ? ["-o", options] : []), path, String(sizeBytes)]);
}

/** A qcow2 overlay whose reads fall through to `backing` (stored as given, so relative paths stay relative). */
export async function createOverlay(path: string, backing: string, backingFormat: "qcow2" | "raw"): Promise<void> {
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", "-b", backing, "-F", backingFormat, path]);
}

export interface ImageInfo { format: string; virtualSize: number; actualSize: number; backingFile?: string }

/**
 * Sizes of an image read in its declared format (never probed: a raw disk whose guest wrote a qcow2
 * header into it must not be read as qcow2). `shared` (-U) reads an image a running QEMU holds;
 * `runAs` as in qemuImgCommand (an image from outside is parsed unprivileged).
 */
export async function imageInfo(path: string, format: "qcow2" | "raw" | "vmdk", options: { shared?: boolean; runAs?: QemuRunAs | null } = {}): Promise<ImageInfo> {
  const { stdout } = await run("qemu-img", ["info", "--output=json", "-f", format, ...(options.shared ? ["-U"] : []), path], options.runAs);
  const info = JSON.parse(stdout) as { format: string; "virtual-size": number; "actual-size": number; "backing-filename"?: string };
  return { format: info.format, virtualSize: info["virtual-size"], actualSize: info["actual-size"], ...(info["backing-filename"] ? { backingFile: info["backing-filename"] } : {}) };
}

/** Grows an image of a stopped VM; `runAs` as in qemuImgCommand. */
export async function resizeImage(path: string, format: "qcow2" | "raw", sizeBytes: number, runAs?: QemuRunAs | null): Promise<void> {
  await run("qemu-img", ["resize", "-q", "-f", format, path, String(sizeBytes)], runAs);
}

export interface ImageSnapshot { id: string; name: string; vmStateBytes: number; date: string; vmClockNs: number }

/** Only qcow2 keeps snapshots; -U because a running VM's snapshots are listed too. */
export async function listImageSnapshots(path: string): Promise<ImageSnapshot[]> {
  const { stdout } = await run("qemu-img", ["info", "--output=json", "-f", "qcow2", "-U", path]);
  const info = JSON.parse(stdout) as { snapshots?: Array<{ id: string; name: string; "vm-state-size": number; "date-sec": number; "vm-clock-sec": number; "vm-clock-nsec": number }> };
  return (info.snapshots ?? []).map((s) => ({
    id: s.id, name: s.name, vmStateBytes: s["vm-state-size"], date: new Date(s["date-sec"] * 1000).toISOString(),
    vmClockNs: s["vm-clock-sec"] * 1e9 + s["vm-clock-nsec"],
  }));
}

/** Internal qcow2 snapshots of a stopped VM's image: create (-c), revert (-a) or delete (-d); `runAs` as in qemuImgCommand. */
export async function imageSnapshot(path: string, op: "create" | "apply" | "delete", tag: string, runAs?: QemuRunAs | null): Promise<void> {
  const flag = { create: "-c", apply: "-a", delete: "-d" }[op];
  // `qemu-img snapshot` has no -f: the format is given in a JSON name, so it is never probed, and
  // with no backing file (internal snapshots never read it), so a header's backing name is not opened.
  const image = JSON.stringify({ driver: "qcow2", backing: null, file: { driver: "file", filename: path } });
  await run("qemu-img", ["snapshot", "-q", flag, tag, `json:${image}`], runAs);
}

export interface ConvertOptions {
  source: string;
  /** Always given: qemu-img must never guess a format from the content. */
  sourceFormat: "qcow2" | "raw" | "vmdk";
  target: string;
  targetFormat: "qcow2" | "raw" | "vmdk";
  /** Read the image as it was at this internal snapshot. */
  snapshot?: string;
  /** Extra -o options, e.g. "subformat=streamOptimized" (not with existingTarget: nothing is created). */
  options?: string;
  /**
   * The target exists, made empty by the caller at the source's virtual size (so a qemu-img that
   * may not create files in its folder can write it): written in place (-n), its zeroes not
   * written again (--target-is-zero).
   */
  existingTarget?: boolean;
  /**
   * The existing target, opened by the caller: the child's descriptor 3, named /dev/fd/3, so that
   * qemu-img writes exactly that file and needs no search permission on the folders above it.
   */
  targetDescriptor?: number;
  /** Who qemu-img runs as (see qemuImgCommand); absent: vmctld itself, for its own images. */
  runAs?: QemuRunAs | null;
  onProgress?: (percent: number) => void;
  signal?: AbortSignal;
}

/** The qemu-img convert command for these options (pure: what convertImage runs). */
export function convertCommand(options: ConvertOptions): QemuImgCommand {
  if (options.existingTarget && options.options) throw new TypeError("convert options (-o) apply to a target qemu-img creates, not to an existing one");
  const args = ["convert", "-p", "-W", "-m", "8"];
  if (options.existingTarget) args.push("-n", "--target-is-zero");
  args.push("-f", options.sourceFormat);
  // A snapshot never changes, so it may be read while a running QEMU holds the image (-U).
  if (options.snapshot) args.push("-U", "-l", `snapshot.name=${options.snapshot}`);
  args.push("-O", options.targetFormat);
  if (options.options) args.push("-o", options.options);
  args.push(options.source, options.targetDescriptor === undefined ? options.target : "/dev/fd/3");
  return qemuImgCommand(args, options.runAs);
}

/** qemu-img convert, with its progress ("(42.00/100%)") reported as it goes; cancelled by the signal. */
export function convertImage(options: ConvertOptions): Promise<void> {
  const command = convertCommand(options);
  return new Promise((resolve, reject) => {
    const stdio: Array<"ignore" | "pipe" | number> = ["ignore", "pipe", "pipe", ...(options.targetDescriptor === undefined ? [] : [options.targetDescriptor])];
    // stdout and stderr are pipes (the stdio above), whatever the descriptor after them.
    const child = spawn(command.command, command.args, { stdio, signal: options.signal, ...(command.env ? { env: command.env } : {}) }) as ChildProcessByStdio<null, Readable, Readable>;
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const matches = [...chunk.matchAll(/\(([\d.]+)\/100%\)/g)];
      const last = matches.at(-1);
      if (last) options.onProgress?.(Number(last[1]));
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
    child.on("error", (error) => reject(error.name === "AbortError" ? new VmctlError("qemu_failed", "qemu-img convert was cancelled") : error));
    child.on("close", (code) => {
      if (code === 0) resolve();
      else if (!options.signal?.aborted) reject(new VmctlError("qemu_failed", `qemu-img convert failed: ${stderr.trim() || `exit ${code}`}`));
    });
  });
}

export async function qemuVersion(binary = "qemu-system-x86_64"): Promise<string | null> {
  try {
    const { stdout } = await run(binary, ["--version"]);
    return /version ([^\s]+)/.exec(stdout)?.[1] ?? null;
  } catch {
    return null;
  }
}
