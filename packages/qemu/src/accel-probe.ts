// accel = "auto": a /dev/kvm node is not enough (nested hosts often expose one whose guests hang),
// so the probe boots a real Linux kernel under KVM for a few seconds and only trusts KVM if the
// kernel got far enough to panic for want of a root filesystem. The answer is cached per host boot.
import { spawn } from "node:child_process";
import { access, readFile, writeFile, rename, mkdtemp, rm, rmdir, open, type FileHandle } from "node:fs/promises";
import { constants, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import type { Accel } from "./build-argv.js";
import { qemuEnvironment, sandboxedCommand, SANDBOX_OPTION, type QemuRunAs } from "./qemu-sandbox.js";

export interface AccelChoice { accel: Accel; reason: string }

export interface ProbeOptions {
  qemuBinary?: string;
  /** Kernels to try, first existing wins; the demo guest's kernel is the usual one. */
  kernels?: string[];
  timeoutMs?: number;
  /** A JSON file that caches the answer until the host reboots or QEMU changes. */
  cacheFile?: string;
  /** The probe's QEMU runs as VMs do: this user, sandboxed, clean environment. */
  runAs?: QemuRunAs | null;
}

// A real-mode boot sector that writes 1 to the isa-debug-exit port: QEMU then exits with status 3.
// Only a fallback when no kernel is at hand: real mode works even on hosts whose KVM hangs later.
function bootSector(): Buffer {
  const sector = Buffer.alloc(512);
  Buffer.from([0xb0, 0x01, 0xe6, 0xf4, 0xf4, 0xeb, 0xfe]).copy(sector); // mov al,1; out 0xf4,al; hlt; jmp $
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

function hostKernels(): string[] {
  try {
    return readdirSync("/boot").filter((f) => f.startsWith("vmlinuz")).map((f) => join("/boot", f));
  } catch {
    return [];
  }
}

async function bootId(): Promise<string> {
  return (await readFile("/proc/sys/kernel/random/boot_id", "utf8").catch(() => "unknown")).trim();
}

function runQemu(binary: string, args: string[], timeoutMs: number, runAs: QemuRunAs | null): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  const command = sandboxedCommand(binary, ["-sandbox", SANDBOX_OPTION, ...args], runAs);
  return new Promise((resolve) => {
    const child = spawn(command.command, command.args, { stdio: ["ignore", "pipe", "pipe"], env: qemuEnvironment() });
    let output = "";
    let timedOut = false;
    const collect = (chunk: Buffer) => { if (output.length < 65536) output += chunk.toString("latin1"); };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, timeoutMs);
    child.on("error", (error) => { clearTimeout(timer); resolve({ code: null, output: String(error), timedOut }); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, output, timedOut }); });
  });
}

export async function probeKvm(options: ProbeOptions = {}): Promise<AccelChoice> {
  const binary = options.qemuBinary ?? "qemu-system-x86_64";
  const timeoutMs = options.timeoutMs ?? 5000;
  const runAs = options.runAs ?? null;
  if (!existsSync("/dev/kvm")) return { accel: "tcg", reason: "no /dev/kvm on this host (no hardware virtualization): using TCG emulation" };
  if (!runAs) {
    try {
      await access("/dev/kvm", constants.R_OK | constants.W_OK);
    } catch {
      return { accel: "tcg", reason: "/dev/kvm is not accessible to vmctld (add the user to the kvm group): using TCG emulation" };
    }
  }
  const base = ["-nodefaults", "-no-user-config", "-display", "none", "-accel", "kvm", "-cpu", "host", "-m", "128", "-no-reboot"];
  const kernel = [...(options.kernels ?? []), ...hostKernels()].find((k) => existsSync(k));
  // The QEMU user may not reach the kernel where it lies (the guest cache is under /root): the
  // probe gets a copy of its own, in a folder of root's that the QEMU user may only traverse.
  const dir = await makeProbeDir(runAs);
  try {
    const denied = (output: string) => (runAs && /Permission denied/.test(output) ? ` (QEMU runs as "${runAs.user}": it needs group kvm, which the set-up adds)` : "");
    if (kernel) {
      const copy = await writeProbeFile(dir, "vmlinuz", { copyOf: kernel }, runAs, false);
      const run = await runQemu(binary, [...base, "-serial", "stdio", "-kernel", copy, "-append", "console=ttyS0 panic=-1 loglevel=4"], timeoutMs, runAs);
      if (run.timedOut) return { accel: "tcg", reason: `KVM is present but a test kernel made no progress in ${timeoutMs} ms (nested virtualization off?): using TCG emulation` };
      if (/Kernel panic|Linux version/.test(run.output)) return { accel: "kvm", reason: "KVM booted a test kernel" };
      return { accel: "tcg", reason: `KVM failed to run a test kernel: ${run.output.trim().split("\n").slice(-1)[0] ?? "no output"}${denied(run.output)}; using TCG emulation` };
    }
    // QEMU opens an IDE disk read-write: the image is the QEMU user's own, given through the handle.
    const image = await writeProbeFile(dir, "probe.img", { data: bootSector() }, runAs, true);
    const run = await runQemu(binary, [...base, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-drive", `file=${image},format=raw,if=ide`], timeoutMs, runAs);
    if (run.code === 3) return { accel: "kvm", reason: "KVM ran a real-mode test (no kernel was at hand for a fuller check)" };
    return { accel: "tcg", reason: run.timedOut ? `KVM hung on a test boot sector: using TCG emulation` : `KVM failed: ${run.output.trim()}${denied(run.output)}; using TCG emulation` };
  } finally {
    // Named files, not a recursive delete: only root creates names in the folder.
    await Promise.all(PROBE_FILES.map((name) => rm(join(dir, name), { force: true })));
    await rmdir(dir).catch(() => {});
  }
}

const PROBE_FILES = ["vmlinuz", "probe.img"];

/**
 * The probe's folder: made by mkdtemp (root's, 0700), then given group QEMU user and mode 0710
 * through a handle, so the QEMU user can reach the files in it but never create, rename or plant
 * a link there. Without a QEMU user it stays 0700.
 */
export async function makeProbeDir(runAs: QemuRunAs | null, parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, "vmctl-probe-"));
  try {
    const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      if (runAs) await handle.chown(process.getuid?.() ?? 0, runAs.gid);
      await handle.chmod(runAs ? 0o710 : 0o700);
    } finally {
      await handle.close();
    }
  } catch (error) {
    await rmdir(dir).catch(() => {});
    throw error;
  }
  return dir;
}

/**
 * Creates `name` in the probe folder (O_CREAT|O_EXCL|O_NOFOLLOW: whatever already holds the name,
 * a planted symlink included, makes this fail and is left untouched), fills it through the handle
 * and gives it to QEMU through that same handle: read-only as root:QEMU group 0640, or when QEMU
 * must write it, the QEMU user's own 0600. Returns the file's path.
 */
export async function writeProbeFile(dir: string, name: string, content: { data: Buffer } | { copyOf: string }, runAs: QemuRunAs | null, writable: boolean): Promise<string> {
  const path = join(dir, name);
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.nlink !== 1) throw new Error(`${path} is not a fresh plain file`);
    if ("data" in content) await handle.writeFile(content.data);
    else await copyInto(content.copyOf, handle);
    if (runAs) {
      if (writable) await handle.chown(runAs.uid, runAs.gid);
      else await handle.chown(process.getuid?.() ?? 0, runAs.gid);
      await handle.chmod(writable ? 0o600 : 0o640);
    } else {
      await handle.chmod(0o600);
    }
  } catch (error) {
    await handle.close();
    await rm(path, { force: true });
    throw error;
  }
  await handle.close();
  return path;
}

async function copyInto(source: string, target: FileHandle): Promise<void> {
  const input = await open(source, constants.O_RDONLY);
  try {
    const buffer = Buffer.alloc(1 << 20);
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      await target.write(buffer, 0, bytesRead);
    }
  } finally {
    await input.close();
  }
}

interface CacheEntry extends AccelChoice { bootId: string; qemu: string; user?: string | null }

/** The probe's answer, from the cache when the host has not rebooted and QEMU is the same. */
export async function chooseAccelerator(qemuVersion: string, options: ProbeOptions = {}): Promise<AccelChoice & { cached: boolean }> {
  const id = await bootId();
  if (options.cacheFile) {
    try {
      const cached = JSON.parse(await readFile(options.cacheFile, "utf8")) as CacheEntry;
      if (cached.bootId === id && cached.qemu === qemuVersion && (cached.user ?? null) === (options.runAs?.user ?? null)) return { accel: cached.accel, reason: cached.reason, cached: true };
    } catch { /* no cache yet */ }
  }
  const choice = await probeKvm(options);
  if (options.cacheFile) {
    const entry: CacheEntry = { ...choice, bootId: id, qemu: qemuVersion, user: options.runAs?.user ?? null };
    const temp = `${options.cacheFile}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(entry));
    await rename(temp, options.cacheFile);
  }
  return { ...choice, cached: false };
}
