// A running QEMU, launched by us or re-attached after a vmctld restart: its QMP connection, how it
// ended, and the stop escalation (ACPI powerdown → quit → SIGKILL).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { QmpClient, QmpError, qmpCommands, readQmpEvent, type QmpEvent, type StatusInfo } from "@vmctl/qmp";
import { VmctlError } from "@vmctl/api-types";
import { runPaths, type RunPaths } from "./run-paths.js";
import { findOurQemu, isAlive, isOurQemu, waitForExit } from "./process-liveness.js";
import { qemuEnvironment, sandboxedCommand, type QemuRunAs } from "./qemu-sandbox.js";
import { openAppendNoFollow, readNoFollow } from "./sandbox-files.js";
import { forceStopWithEscalation, stopWithEscalation, type StopPrimitives } from "./stop-escalation.js";

import type { ExitInfo } from "./vm-driver.js";

export type { ExitInfo };

export interface LaunchOptions {
  binary?: string;
  /** How long QEMU may take to answer on its QMP socket. */
  timeoutMs?: number;
  /** The unprivileged user QEMU runs as (null: vmctld's own user, when vmctld is not root). */
  runAs?: QemuRunAs | null;
}

export class QemuProcess {
  readonly pid: number;
  readonly paths: RunPaths;
  readonly qmp: QmpClient;
  private shutdown: { guest: boolean; reason: string } | undefined;
  private panicked = false;
  private killed = false;
  private readonly exited: Promise<ExitInfo>;
  private readonly eventListeners = new Set<(event: QmpEvent) => void>();

  private constructor(pid: number, paths: RunPaths, qmp: QmpClient) {
    this.pid = pid;
    this.paths = paths;
    this.qmp = qmp;
    qmp.on("event", (event) => {
      const known = readQmpEvent(event);
      if (known?.event === "SHUTDOWN") this.shutdown = { guest: known.guest, reason: known.reason };
      if (known?.event === "GUEST_PANICKED") this.panicked = true;
      for (const listener of this.eventListeners) listener(event);
    });
    this.exited = new Promise((resolve) => {
      qmp.once("close", () => { void this.settleExit().then(resolve); });
    });
  }

  /**
   * Starts QEMU in a session of its own (it outlives vmctld), sandboxed and as `runAs`, and
   * connects QMP. Its stdout and stderr go to qemu.log; a QEMU that exits before its QMP socket
   * answers fails the launch with what it wrote there.
   */
  static async launch(args: string[], runDir: string, options: LaunchOptions = {}): Promise<QemuProcess> {
    const paths = runPaths(runDir);
    await mkdir(runDir, { recursive: true, mode: 0o700 });
    await Promise.all([paths.qmp, paths.serial, paths.vnc, paths.qga, paths.pidfile].map((p) => rm(p, { force: true })));
    const binary = options.binary ?? "qemu-system-x86_64";
    const runAs = options.runAs ?? null;
    const command = sandboxedCommand(binary, args, runAs, { outlivesVmctld: true });
    const log = await openAppendNoFollow(paths.log);
    let child: ChildProcess;
    let logStart: number;
    try {
      await log.write(`${new Date().toISOString()} ${runAs ? `as ${runAs.user}: ` : ""}${binary} ${args.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(" ")}\n`);
      logStart = (await log.stat()).size;
      child = spawn(command.command, command.args, { detached: true, stdio: ["ignore", log.fd, log.fd], env: qemuEnvironment() });
    } finally {
      await log.close();
    }
    const ended = new Promise<string>((resolve) => {
      child.once("error", (error) => resolve(`cannot run ${command.command}: ${error.message}; install the ${command.command === "setpriv" ? "util-linux" : "qemu-system-x86"} package`));
      child.once("exit", (code, signal) => resolve(signal ? `killed by ${signal}` : `exit status ${code}`));
    });
    let exit: string | undefined;
    void ended.then((how) => { exit = how; });
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let lastError = "";
    for (;;) {
      if (exit === undefined) {
        try {
          const qmp = await QmpClient.connect(paths.qmp, { timeoutMs: Math.max(1000, deadline - Date.now()) });
          child.unref();
          return new QemuProcess(child.pid!, paths, qmp);
        } catch (error) {
          lastError = (error as Error).message;
        }
      }
      if (exit !== undefined) {
        const output = (await readNoFollow(paths.log, 65536, logStart)) ?? "";
        throw new VmctlError("qemu_failed", `QEMU did not start: ${launchFailure(output, runAs) || exit}`, { log: paths.log });
      }
      if (Date.now() > deadline) {
        if (child.pid && isAlive(child.pid)) process.kill(child.pid, "SIGKILL");
        throw new VmctlError("qemu_failed", `QEMU started but its QMP socket did not answer: ${lastError}`, { log: paths.log });
      }
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
  }

  /**
   * Re-attaches to the QEMU of runDir, or returns null when none is alive: found by its pidfile, or by
   * its command line naming runDir's QMP socket when a vmctld killed during the launch left a QEMU
   * that had not written the pidfile yet. One that does not answer QMP within timeoutMs (a launch
   * cut off before QEMU came up, a hung QEMU) is killed, as a launch does: nothing may hold the VM's
   * disks behind vmctld's back, where a new start would fail on their locks.
   */
  static async attach(runDir: string, timeoutMs = 5000): Promise<QemuProcess | null> {
    const paths = runPaths(runDir);
    // The pidfile is the QEMU user's to write: read as a plain file, and the pid then proven ours.
    const recorded = Number(((await readNoFollow(paths.pidfile, 32)) ?? "").trim());
    const pid = recorded && isAlive(recorded) && isOurQemu(recorded, paths.qmp) ? recorded : await findOurQemu(paths.qmp);
    if (pid === undefined) return null;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return new QemuProcess(pid, paths, await QmpClient.connect(paths.qmp, { timeoutMs: Math.max(1000, deadline - Date.now()) }));
      } catch { /* not listening yet, or not answering */ }
      if (!isAlive(pid)) return null;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    process.kill(pid, "SIGKILL");
    await waitForExit(pid, 10_000);
    return null;
  }

  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Resolves when QEMU has exited, with the reason read from QMP events (or their absence). */
  wait(): Promise<ExitInfo> {
    return this.exited;
  }

  status(): Promise<StatusInfo> { return qmpCommands.queryStatus(this.qmp); }
  pause(): Promise<unknown> { return qmpCommands.stop(this.qmp); }
  resume(): Promise<unknown> { return qmpCommands.cont(this.qmp); }
  reset(): Promise<unknown> { return qmpCommands.systemReset(this.qmp); }

  /** Presses the ACPI power button; the guest decides what to do. */
  async powerButton(): Promise<void> {
    await qmpCommands.systemPowerdown(this.qmp);
  }

  /** Graceful stop with escalation: ACPI powerdown, after timeoutMs "quit", then SIGKILL. */
  stop(timeoutMs: number, log: (line: string) => void = () => {}): Promise<ExitInfo> {
    return stopWithEscalation(this.stopPrimitives(), timeoutMs, log);
  }

  /** Power off at once: QMP quit, and SIGKILL if QEMU does not go. */
  forceStop(log: (line: string) => void = () => {}): Promise<ExitInfo> {
    return forceStopWithEscalation(this.stopPrimitives(), log);
  }

  private stopPrimitives(): StopPrimitives {
    return {
      exited: this.exited,
      powerButton: () => this.powerButton().catch(ignoreClosed),
      quit: () => qmpCommands.quit(this.qmp).then(() => undefined, ignoreClosed),
      kill: () => {
        this.killed = true;
        if (isAlive(this.pid)) process.kill(this.pid, "SIGKILL");
      },
    };
  }

  /** Drops our connection without touching QEMU (vmctld shutting down leaves VMs running). */
  detach(): void {
    this.qmp.removeAllListeners("close");
    this.qmp.close();
  }

  private async settleExit(): Promise<ExitInfo> {
    // QMP closes a moment before the process is gone; wait so a restart never races the old QEMU.
    if (!(await waitForExit(this.pid, 10_000)) && isAlive(this.pid)) {
      this.killed = true;
      process.kill(this.pid, "SIGKILL");
      await waitForExit(this.pid, 5000);
    }
    await rm(this.paths.pidfile, { force: true });
    if (this.panicked || this.shutdown?.reason === "guest-panic") return { reason: "guest-panic", detail: "the guest kernel panicked" };
    if (this.shutdown?.guest) return { reason: "guest-shutdown", detail: "the guest powered off" };
    if (this.shutdown) return { reason: "host-stop", detail: `QEMU stopped by the host (${this.shutdown.reason})` };
    if (this.killed) return { reason: "killed", detail: "QEMU was killed after ignoring quit" };
    return { reason: "crash", detail: "QEMU exited without a shutdown event (killed or crashed)" };
  }
}

function ignoreClosed(error: unknown): void {
  if (error instanceof QmpError && (error.kind === "closed" || error.kind === "timeout")) return;
  throw error;
}

/** QEMU's own error lines (timestamps and warnings dropped); a refused open says who QEMU runs as. */
function launchFailure(output: string, runAs: QemuRunAs | null): string {
  const lines = output.split("\n")
    .map((line) => line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, "").trim())
    .filter((line) => line && !/warning:/.test(line));
  const message = lines.join("; ");
  if (/^setpriv: failed to execute/m.test(output)) return `${message}; install the qemu-system-x86 package (or set qemu = "…" in vmctld.toml)`;
  const denied = /Could not open '([^']+)': Permission denied/.exec(message) ?? /'([^']+)'[^;]*Permission denied/.exec(message);
  if (denied && runAs) {
    return `QEMU runs as the unprivileged user "${runAs.user}", which may not open "${denied[1]}": every folder above it needs search permission for that user and the file must be its own (vmctld gives it the files of a VM at start); move the datastore out of a private folder (e.g. to /srv/vmstore). QEMU said: ${message}`;
  }
  return message;
}
