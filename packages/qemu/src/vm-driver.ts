// The driver interface: everything the domain asks of a hypervisor, with nothing of QEMU in it.
// A VmDriver starts or re-attaches a VM and hands back a VmHandle, the one running instance; QEMU
// (qemu-driver.ts) is the implementation today, the fake driver the one unit tests use.
import type { ExitReason, VmDefinition, VmMetrics } from "@vmctl/api-types";

export type { VmMetrics };
import type { Accel, NicBackend } from "./build-argv.js";
import type { QemuRunAs } from "./qemu-sandbox.js";
import type { GuestAgentClient } from "@vmctl/qmp";

/** How a VM's process ended, and why (read from the hypervisor's events, or their absence). */
export interface ExitInfo { reason: ExitReason; detail: string }

/** Where a VM's sockets and files live while it runs (the console and VNC proxies connect to them). */
export interface VmRunFiles {
  dir: string;
  serial: string;
  serialLog: string;
  vnc: string;
  log: string;
}

/** What to start: the definition and where the host put things for it. */
export interface StartSpec {
  def: VmDefinition;
  runDir: string;
  accel: Accel;
  /** Resolves a datastore-relative path to an absolute one (the daemon knows the datastores). */
  resolvePath: (datastore: string | undefined, path: string) => string;
  /** Wait for a saved state (loaded with loadState) or a live migration (migration.listen) instead of booting. */
  incoming?: boolean;
  /**
   * With incoming: the guest runs the moment a live migration's stream completes, if it ran on the
   * source (a paused one stays paused): QEMU's own switch-over, no resume() round trip in the downtime.
   */
  runOnArrival?: boolean;
  /** Start from this internal snapshot (memory and disks). */
  loadSnapshot?: string;
  /** Each NIC's way to its network (default: user-mode). */
  nics?: Record<string, NicBackend>;
}

/** A start checked and planned, nothing touched yet: launching it is the side effect. */
export interface StartPlan {
  /** Starts the VM as `runAs` (null: vmctld's own user) with its vCPUs stopped; resume() lets it run. */
  launch(runAs: QemuRunAs | null): Promise<VmHandle>;
}

/** The guest's run state as the hypervisor reports it. */
export type GuestStatus = "running" | "paused" | "incoming" | "shutdown" | "panicked" | "error" | "other";

/** Events the domain reacts to while a VM runs (its exit comes through wait()). */
export type VmDriverEvent =
  | { type: "paused" }
  | { type: "resumed" }
  | { type: "guest-panicked"; info: Record<string, unknown> | undefined }
  | { type: "device-deleted"; device: string };

/** A disk to plug into a running VM. */
export interface HotplugDisk {
  id: string;
  path: string;
  format: "qcow2" | "raw";
  readonly: boolean;
  machine: "q35" | "pc" | "microvm";
}

/** A NIC to plug into a running VM: its backend made by the host (a tap) or QEMU's user-mode stack. */
export interface HotplugNic {
  id: string;
  mac: string;
  model: "virtio" | "e1000" | "rtl8139";
  backend: NicBackend;
  link: "up" | "down";
  machine: "q35" | "pc" | "microvm";
}

/** Live figures (the wire's VmMetrics: a figure the driver cannot measure is left out). A sampler
 * keeps what a rate needs (the previous CPU reading): one per viewer. */
export interface VmMetricsSampler { sample(): Promise<VmMetrics> }

export type ProgressListener = (percent: number) => void;
export type LogLine = (line: string) => void;

/** How far a live migration has got: RAM bytes sent (re-sent dirty pages included), left and in all. */
export interface MigrationProgress { percent: number; transferred: number; remaining: number; total: number; mbps?: number }

/** What a completed live migration measured (the hypervisor's own figures). */
export interface MigrationOutcome { downtimeMs: number; totalMs: number; bytes: number }

export interface MigrationSendOptions {
  /** Where the target listens ("tcp:<host>:<port>", as its listen() answered). */
  uri: string;
  /** Bytes per second the stream may use (default: as fast as it goes). */
  maxBandwidth?: number;
  /** The longest pause the hypervisor aims for at switch-over (default 300 ms). */
  downtimeLimitMs?: number;
  /** Aborting it cancels the migration: the VM runs on here. */
  signal?: AbortSignal;
}

/**
 * Live migration to another host: a handle that can migrate sets `migration`; the domain checks
 * for it and refuses otherwise. QEMU implements it (qemu-migration.ts) over TCP.
 */
export interface VmMigration {
  /** Sends the running VM to a target listening at `uri`; resolves once the target has it (this VM is then paused for good). */
  send(options: MigrationSendOptions, onProgress?: (progress: MigrationProgress) => void): Promise<MigrationOutcome>;
  /** Cancels the outgoing migration under way; send() then rejects and the VM runs on here. */
  cancel(): Promise<void>;
  /** On the target (a handle started with incoming): listens on `address`, a free port; answers the uri to give the source. */
  listen(address: string): Promise<{ uri: string }>;
  /** On the target: resolves once the stream has completed; the guest stays paused until resume(). */
  receive(onProgress?: (progress: MigrationProgress) => void, signal?: AbortSignal): Promise<void>;
}

/**
 * The agent inside the guest (the QEMU guest agent over the VM's virtio-serial channel). Every call
 * fails within a few seconds, with kind "not-connected" when no agent answers; connected() never throws.
 */
export type GuestAgent = Pick<GuestAgentClient, "connected" | "channelOpen" | "info" | "osInfo" | "hostName" | "networkInterfaces" | "shutdown" | "fsfreezeFreeze" | "fsfreezeThaw" | "fsfreezeStatus" | "setTime" | "setUserPassword">;

/** One running VM. */
export interface VmHandle {
  readonly pid: number;
  readonly files: VmRunFiles;
  status(): Promise<GuestStatus>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  reset(): Promise<void>;
  /** Presses the ACPI power button; the guest decides what to do. */
  powerButton(): Promise<void>;
  /** Graceful stop with escalation: power button, after timeoutMs a hypervisor quit, then a kill. */
  stop(timeoutMs: number, log?: LogLine): Promise<ExitInfo>;
  /** Power off at once (quit, then kill). */
  forceStop(log?: LogLine): Promise<ExitInfo>;
  /** Resolves when the VM's process has exited, with the reason. */
  wait(): Promise<ExitInfo>;
  onEvent(listener: (event: VmDriverEvent) => void): () => void;
  /** Drops vmctld's connection and leaves the VM running (vmctld is going away). */
  detach(): void;

  /** Pauses the guest and writes memory and devices to `path`; the caller ends the VM after. */
  saveState(path: string, onProgress?: ProgressListener): Promise<void>;
  /** Loads a state saved by saveState into a handle started with incoming; the guest stays paused. */
  loadState(path: string, onProgress?: ProgressListener): Promise<void>;

  /** An internal snapshot on the given disks, with memory (stored in the first) or crash-consistent. */
  snapshotSave(tag: string, diskIds: string[], memory: boolean, onProgress?: ProgressListener): Promise<void>;
  snapshotDelete(tag: string, diskIds: string[]): Promise<void>;

  hotplugDisk(disk: HotplugDisk): Promise<void>;
  /** Asks the guest to release the disk and waits for it (timeoutMs) before removing it. */
  unplugDisk(id: string, timeoutMs?: number): Promise<void>;
  /** Puts an ISO into a CD-ROM drive, or empties it (path null). */
  changeMedium(driveId: string, path: string | null): Promise<void>;
  resizeDisk(id: string, sizeBytes: number): Promise<void>;

  /** Adds a NIC: its backend, then the device on a free hot-plug slot. */
  hotplugNic(nic: HotplugNic): Promise<void>;
  /** Asks the guest to release the NIC, waits for it (timeoutMs), then drops its backend. */
  unplugNic(id: string, timeoutMs?: number): Promise<void>;
  /** The NIC's link as the guest sees it (a cable plugged in or pulled). */
  setLink(id: string, up: boolean): Promise<void>;

  /** The screen as PNG bytes (at most maxBytes). */
  screenshot(maxBytes: number): Promise<Buffer>;
  /** Presses the keys (QEMU qcodes: "ctrl", "alt", "delete", "a") together. */
  sendKeys(keys: string[]): Promise<void>;
  /** `taps`: each NIC on a tap (its id → the tap's name) as it is now, asked at every sample (NICs come and go). */
  metricsSampler(shape: { vcpus: number; memoryBytes: number; taps?: () => Record<string, string> }): VmMetricsSampler;

  readonly migration?: VmMigration;
  /** The guest agent's channel; absent on a backend (or machine) without one. */
  readonly agent?: GuestAgent;
}

export interface VmDriver {
  /** The backend's name ("qemu", "fake"). */
  readonly kind: string;
  /** The run files a VM will have in runDir (known before it starts: the console log rotates first). */
  runFiles(runDir: string): VmRunFiles;
  /** Checks what the backend refuses in the definition (throws, naming the field) and plans the start. */
  plan(spec: StartSpec): StartPlan;
  /** Re-attaches to the VM still running from runDir (after a vmctld restart), or null when none is. */
  attach(runDir: string): Promise<VmHandle | null>;
}
