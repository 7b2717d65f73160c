// QEMU as the VmDriver: the definition becomes an argv (build-argv.ts), the process is launched or
// re-attached (qemu-process.ts), and every request on the handle is a typed QMP command.
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { VmctlError } from "@vmctl/api-types";
import { GuestAgentClient, QmpError, qmpCommands as qmp, readQmpEvent, type RunState } from "@vmctl/qmp";
import { buildQemuArgv } from "./build-argv.js";
import { QemuProcess } from "./qemu-process.js";
import { runPaths } from "./run-paths.js";
import { readBytesNoFollow } from "./sandbox-files.js";
import { changeMedium, deleteSnapshotLive, hotplugDisk, resizeLive, snapshotLive, unplugDisk } from "./block-live.js";
import { loadState, saveState } from "./qemu-state.js";
import { hotplugNic, setLink, unplugNic } from "./nic-live.js";
import { QemuMetricsSampler } from "./qemu-metrics.js";
import { QemuMigration } from "./qemu-migration.js";
import type { ExitInfo, GuestStatus, HotplugDisk, HotplugNic, LogLine, ProgressListener, StartPlan, StartSpec, VmDriver, VmDriverEvent, VmHandle, VmMetricsSampler, VmRunFiles } from "./vm-driver.js";

export interface QemuDriverOptions {
  /** The qemu-system binary (vmctld.toml's qemu). */
  binary: string;
  /** How long QEMU may take to answer on its QMP socket. */
  timeoutMs?: number;
}

function guestStatus(status: RunState): GuestStatus {
  switch (status) {
    case "running": return "running";
    case "paused": case "prelaunch": case "postmigrate": case "finish-migrate": case "save-vm": case "restore-vm": case "suspended": case "debug": return "paused";
    case "inmigrate": return "incoming";
    case "shutdown": return "shutdown";
    case "guest-panicked": return "panicked";
    case "internal-error": case "io-error": return "error";
    default: return "other";
  }
}

/** Whether the guest has opened the agent's port (query-chardev's frontend-open for chardev qga0, build-argv.ts). */
async function agentPortOpen(proc: QemuProcess): Promise<boolean> {
  if (proc.qmp.isClosed) return false;
  const chardevs = await qmp.queryChardev(proc.qmp, 2000);
  return chardevs.some((c) => c.label === "qga0" && c["frontend-open"] === true);
}

/** Internal snapshots live on the format nodes vmctl names drive-<disk id> (build-argv.ts). */
const driveNode = (id: string) => `drive-${id}`;

export class QemuHandle implements VmHandle {
  /** The guest agent's channel (qga.sock); it writes only while the guest has its end open. */
  readonly agent: GuestAgentClient;
  /** Live migration to (or from) another host's QEMU over TCP. */
  readonly migration: QemuMigration;

  constructor(private readonly proc: QemuProcess) {
    this.migration = new QemuMigration(proc);
    this.agent = new GuestAgentClient(proc.paths.qga, { isOpen: () => agentPortOpen(proc) });
    void proc.wait().then(() => this.agent.close());
  }

  get pid(): number { return this.proc.pid; }
  get files(): VmRunFiles {
    const { dir, serial, serialLog, vnc, log } = this.proc.paths;
    return { dir, serial, serialLog, vnc, log };
  }

  async status(): Promise<GuestStatus> { return guestStatus((await this.proc.status()).status); }
  async pause(): Promise<void> { await this.proc.pause(); }
  async resume(): Promise<void> { await this.proc.resume(); }
  async reset(): Promise<void> { await this.proc.reset(); }
  powerButton(): Promise<void> { return this.proc.powerButton(); }
  stop(timeoutMs: number, log?: LogLine): Promise<ExitInfo> { return this.proc.stop(timeoutMs, log); }
  forceStop(log?: LogLine): Promise<ExitInfo> { return this.proc.forceStop(log); }
  wait(): Promise<ExitInfo> { return this.proc.wait(); }
  detach(): void { this.agent.close(); this.proc.detach(); }

  onEvent(listener: (event: VmDriverEvent) => void): () => void {
    return this.proc.onEvent((raw) => {
      const event = readQmpEvent(raw);
      switch (event?.event) {
        case "STOP": return listener({ type: "paused" });
        case "RESUME": return listener({ type: "resumed" });
        case "GUEST_PANICKED": return listener({ type: "guest-panicked", info: event.info });
        case "DEVICE_DELETED": if (event.device) listener({ type: "device-deleted", device: event.device }); return;
        default: return;
      }
    });
  }

  saveState(path: string, onProgress?: ProgressListener): Promise<void> { return saveState(this.proc, path, onProgress); }
  loadState(path: string, onProgress?: ProgressListener): Promise<void> { return loadState(this.proc, path, onProgress); }

  snapshotSave(tag: string, diskIds: string[], memory: boolean, onProgress?: ProgressListener): Promise<void> {
    return snapshotLive(this.proc, tag, diskIds.map(driveNode), memory, onProgress);
  }
  snapshotDelete(tag: string, diskIds: string[]): Promise<void> {
    return deleteSnapshotLive(this.proc, tag, diskIds.map(driveNode));
  }

  hotplugDisk(disk: HotplugDisk): Promise<void> { return hotplugDisk(this.proc, disk); }
  unplugDisk(id: string, timeoutMs?: number): Promise<void> { return unplugDisk(this.proc, id, timeoutMs); }
  changeMedium(driveId: string, path: string | null): Promise<void> { return changeMedium(this.proc, driveId, path); }
  resizeDisk(id: string, sizeBytes: number): Promise<void> { return resizeLive(this.proc, id, sizeBytes); }

  hotplugNic(nic: HotplugNic): Promise<void> { return hotplugNic(this.proc, nic); }
  unplugNic(id: string, timeoutMs?: number): Promise<void> { return unplugNic(this.proc, id, timeoutMs); }
  setLink(id: string, up: boolean): Promise<void> { return setLink(this.proc, id, up); }

  /** QEMU writes the PNG into io/ (the one folder it may create files in); it is read as a plain file, never a link. */
  async screenshot(maxBytes: number): Promise<Buffer> {
    const file = join(this.proc.paths.scratch, `screenshot-${randomUUID()}.png`);
    try {
      await qmp.screendump(this.proc.qmp, file, "png");
      const png = await readBytesNoFollow(file, maxBytes);
      if (!png) throw new VmctlError("qemu_failed", "QEMU's screenshot is not a plain file in its run dir");
      return png;
    } finally {
      await rm(file, { force: true });
    }
  }

  async sendKeys(keys: string[]): Promise<void> {
    try {
      await qmp.sendKey(this.proc.qmp, keys.map((key) => ({ type: "qcode", data: key })));
    } catch (error) {
      // QEMU refuses an unknown qcode: that is the caller's mistake, said in QEMU's words.
      if (error instanceof QmpError && error.kind === "command") throw new VmctlError("bad_request", `keys: ${error.message.replace(/^QMP "send-key" failed: /, "")}`);
      throw error;
    }
  }

  metricsSampler(shape: { vcpus: number; memoryBytes: number; taps?: () => Record<string, string> }): VmMetricsSampler {
    return new QemuMetricsSampler(this.proc.qmp, this.proc.pid, shape.vcpus, shape.memoryBytes, shape.taps);
  }
}

export class QemuDriver implements VmDriver {
  readonly kind = "qemu";
  constructor(private readonly options: QemuDriverOptions) {}

  runFiles(runDir: string): VmRunFiles {
    const { dir, serial, serialLog, vnc, log } = runPaths(runDir);
    return { dir, serial, serialLog, vnc, log };
  }

  plan(spec: StartSpec): StartPlan {
    const argv = buildQemuArgv(spec.def, {
      runDir: spec.runDir, accel: spec.accel, startPaused: !(spec.incoming && spec.runOnArrival), incoming: spec.incoming ?? false,
      ...(spec.loadSnapshot ? { loadSnapshot: spec.loadSnapshot } : {}),
      ...(spec.nics ? { nics: spec.nics } : {}),
      resolvePath: spec.resolvePath,
    });
    return {
      launch: async (runAs) => {
        const proc = await QemuProcess.launch(argv, spec.runDir, {
          binary: this.options.binary, runAs,
          ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
        });
        // A NIC's link has no command-line option: one kept down is set so before the guest runs (QEMU starts paused).
        try {
          for (const [id, nic] of Object.entries(spec.def.nics)) if (nic.link === "down") await setLink(proc, id, false);
        } catch (error) {
          await proc.forceStop().catch(() => {});
          throw error;
        }
        return new QemuHandle(proc);
      },
    };
  }

  async attach(runDir: string): Promise<VmHandle | null> {
    const proc = await QemuProcess.attach(runDir);
    return proc ? new QemuHandle(proc) : null;
  }
}
