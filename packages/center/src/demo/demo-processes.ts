// The cluster demo's processes: each started with its output in a log file, watched by pid, ended by
// pid (never by name); free loopback ports; and the QEMUs a host started, found by their pidfiles.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, closeSync, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A started process: its pid, argv and log, and whether it still runs. */
export interface DemoProcess {
  readonly pid: number;
  readonly command: string[];
  readonly log: string;
  /** Resolves with the exit code (or signal) once it ended. */
  readonly exited: Promise<string>;
  readonly child: ChildProcess;
}

/** Starts `command` (argv) with stdout and stderr appended to `log`; it does not end with its parent. */
export function startProcess(command: string[], log: string, env: NodeJS.ProcessEnv = process.env): DemoProcess {
  const fd = openSync(log, "a", 0o600);
  try {
    const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", fd, fd], env });
    if (child.pid === undefined) throw new Error(`${command[0]} could not be started (see ${log})`);
    const exited = new Promise<string>((resolve) => {
      child.once("exit", (code, signal) => resolve(signal ?? `exit ${code}`));
      child.once("error", (error) => resolve(`error ${error.message}`));
    });
    // The demo's caller decides when these end; an unref'd child never keeps Node's loop alive.
    child.unref();
    return { pid: child.pid, command, log, exited, child };
  } finally {
    closeSync(fd);
  }
}

/** Whether `pid` runs (a zombie, ended but not reaped, does not). */
export function isRunning(pid: number): boolean {
  // 0 and negative pids name process groups (ours among them), 1 is init: never ours to signal.
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** The argv of a running process, or [] when it is gone. */
export function commandLineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** Sends `signal` to `pid` (if it runs) and waits up to `timeoutMs` for it to end; SIGKILL after that. */
export async function endProcess(pid: number, signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<void> {
  if (!isRunning(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) {
      try { process.kill(pid, "SIGKILL"); } catch { /* ended meanwhile */ }
      const killDeadline = Date.now() + 5_000;
      while (isRunning(pid) && Date.now() < killDeadline) await sleep(20);
      return;
    }
    await sleep(20);
  }
}

/** A TCP port on 127.0.0.1 nobody listens on right now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** A process the demo waits for has ended: waiting longer cannot help. */
export class ProcessEnded extends Error {}

/**
 * Polls `probe` until it answers a value (not undefined), or fails after `timeoutMs` with `what()`;
 * at once when `probe` throws ProcessEnded (other errors are "not yet").
 */
export async function waitUntil<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: () => string, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof ProcessEnded) throw error;
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what()}${lastError ? ` (last error: ${lastError})` : ""}`);
    await sleep(intervalMs);
  }
}

/** The last lines of a log, to show why something did not start. */
export function tail(log: string, lines = 15): string {
  try {
    return readFileSync(log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** A VM's QEMU on a host, from `<home>/run/<vm>/qemu.pid`. */
export interface HostQemu { vm: string; pid: number; pidfile: string }

/**
 * The QEMUs a vmctld home's run/ folder names that still run, and are QEMUs of this home (their
 * argv names its run folder): a stale pidfile whose pid was reused is not one.
 */
export function hostQemus(home: string): HostQemu[] {
  const runDir = join(home, "run");
  if (!existsSync(runDir)) return [];
  const found: HostQemu[] = [];
  for (const vm of readdirSync(runDir)) {
    const pidfile = join(runDir, vm, "qemu.pid");
    let pid: number;
    try {
      pid = Number(readFileSync(pidfile, "utf8").trim());
    } catch {
      continue;
    }
    if (!Number.isInteger(pid) || pid <= 1 || !isRunning(pid)) continue;
    const argv = commandLineOf(pid);
    if (!/qemu-system/.test(argv[0] ?? "") || !argv.some((arg) => arg.includes(join(runDir, vm)))) continue;
    found.push({ vm, pid, pidfile });
  }
  return found;
}
