// A VmDriver that models VMs in memory, for unit tests of the domain's logic (never used by
// vmctld): run state, exits on stop and power button, internal snapshots in a map, plugged disks,
// and failures on demand (a start that fails, a guest that ignores the power button, a QEMU that
// ignores quit, a process that dies). The stop escalation is the real one (stop-escalation.ts).
import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { VmctlError } from "@vmctl/api-types";
import {
  forceStopWithEscalation, stopWithEscalation,
  type ExitInfo, type GuestStatus, type HotplugDisk, type HotplugNic, type LogLine, type StartPlan, type StartSpec, type StopPrimitives,
  type VmDriver, type VmDriverEvent, type VmHandle, type VmMetricsSampler, type VmRunFiles,
} from "@vmctl/qemu";

export interface FakeBehaviour {
  /** The guest powers off when the power button is pressed (default true). */
  honoursPowerButton: boolean;
  /** The hypervisor ends on quit (default true); false: only the kill ends it. */
  honoursQuit: boolean;
  /** The guest releases a disk asked to unplug (default true). */
  releasesDisks: boolean;
  /** How long the escalation waits for quit before it kills (the real driver: 5 s). */
  quitGraceMs: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Beyond the kernel's largest pid_max (2^22): a fake pid is never a real process. */
let nextPid = 5_000_000;

export class FakeVm implements VmHandle {
  readonly pid = nextPid++;
  readonly files: VmRunFiles;
  guest: GuestStatus = "paused";
  readonly calls: string[] = [];
  readonly snapshots = new Map<string, { disks: string[]; memory: boolean }>();
  readonly plugged = new Set<string>();
  /** NIC id → its link ("up"/"down") and backend, as the guest would see them. */
  readonly nics = new Map<string, { link: "up" | "down"; backend: string }>();
  readonly media = new Map<string, string | null>();
  readonly sizes = new Map<string, number>();
  readonly keys: string[][] = [];
  detached = false;
  private readonly listeners = new Set<(event: VmDriverEvent) => void>();
  private readonly failures = new Map<string, Error>();
  private ended: ExitInfo | undefined;
  private settle!: (info: ExitInfo) => void;
  private readonly exited = new Promise<ExitInfo>((resolve) => { this.settle = resolve; });

  constructor(readonly spec: StartSpec, readonly behaviour: FakeBehaviour) {
    this.files = fakeRunFiles(spec.runDir);
    for (const id of Object.keys(spec.def.disks)) this.plugged.add(id);
    for (const [id, nic] of Object.entries(spec.def.nics)) this.nics.set(id, { link: nic.link, backend: spec.nics?.[id]?.kind ?? "user" });
    for (const [id, cdrom] of Object.entries(spec.def.cdroms)) this.media.set(id, cdrom.iso ?? null);
  }

  get alive(): boolean { return this.ended === undefined; }

  /** The next call of `method` fails with `error` (a QMP error, a timeout…). */
  failNext(method: keyof VmHandle, error: Error = new VmctlError("qemu_failed", `fake ${method} failed`)): void {
    this.failures.set(method, error);
  }

  /** The process ends by itself: a crash (killed from outside), a guest panic, or the guest powering off. */
  die(reason: ExitInfo["reason"] = "crash"): void {
    const detail = { crash: "the fake QEMU died", "guest-panic": "the guest kernel panicked", "guest-shutdown": "the guest powered off", "host-stop": "quit", killed: "killed" }[reason];
    if (reason === "guest-panic") this.emit({ type: "guest-panicked", info: { reason: "test" } });
    this.end({ reason, detail });
  }

  /** The hypervisor paused the guest by itself (an I/O error, a debugger). */
  pausedByHypervisor(): void {
    this.guest = "paused";
    this.emit({ type: "paused" });
  }

  private end(info: ExitInfo): void {
    if (this.ended) return;
    this.ended = info;
    this.guest = "shutdown";
    this.settle(info);
  }

  private emit(event: VmDriverEvent): void {
    if (!this.detached) for (const listener of this.listeners) listener(event);
  }

  private async call(method: keyof VmHandle, detail = ""): Promise<void> {
    this.calls.push(detail ? `${method} ${detail}` : method);
    const failure = this.failures.get(method);
    if (failure) { this.failures.delete(method); throw failure; }
    if (!this.alive) throw new VmctlError("qemu_failed", `fake QEMU pid ${this.pid} has exited before "${method}"`);
  }

  async status(): Promise<GuestStatus> { await this.call("status"); return this.guest; }
  async pause(): Promise<void> { await this.call("pause"); this.guest = "paused"; this.emit({ type: "paused" }); }
  async resume(): Promise<void> { await this.call("resume"); this.guest = "running"; this.emit({ type: "resumed" }); }
  async reset(): Promise<void> { await this.call("reset"); }
  async powerButton(): Promise<void> {
    await this.call("powerButton");
    if (this.behaviour.honoursPowerButton) queueMicrotask(() => this.end({ reason: "guest-shutdown", detail: "the guest powered off" }));
  }

  private primitives(): StopPrimitives {
    return {
      exited: this.exited,
      powerButton: () => this.powerButton().catch(() => {}),
      quit: async () => {
        this.calls.push("quit");
        if (this.behaviour.honoursQuit) queueMicrotask(() => this.end({ reason: "host-stop", detail: "QEMU stopped by the host (host-qmp-quit)" }));
      },
      kill: () => {
        this.calls.push("kill");
        queueMicrotask(() => this.end({ reason: "killed", detail: "QEMU was killed after ignoring quit" }));
      },
    };
  }

  stop(timeoutMs: number, log?: LogLine): Promise<ExitInfo> { return stopWithEscalation(this.primitives(), timeoutMs, log, this.behaviour.quitGraceMs); }
  forceStop(log?: LogLine): Promise<ExitInfo> { return forceStopWithEscalation(this.primitives(), log, this.behaviour.quitGraceMs); }
  wait(): Promise<ExitInfo> { return this.exited; }
  onEvent(listener: (event: VmDriverEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  detach(): void {
    this.detached = true;
    this.listeners.clear();
  }

  async saveState(path: string): Promise<void> {
    await this.call("saveState", path);
    this.guest = "paused";
    await writeFile(path, `fake state of pid ${this.pid}\n`);
  }
  async loadState(path: string): Promise<void> { await this.call("loadState", path); }

  async snapshotSave(tag: string, diskIds: string[], memory: boolean): Promise<void> {
    await this.call("snapshotSave", tag);
    if (this.snapshots.has(tag)) throw new VmctlError("qemu_failed", `fake: a snapshot "${tag}" exists`);
    this.snapshots.set(tag, { disks: diskIds, memory });
  }
  async snapshotDelete(tag: string): Promise<void> {
    await this.call("snapshotDelete", tag);
    this.snapshots.delete(tag);
  }

  async hotplugDisk(disk: HotplugDisk): Promise<void> {
    await this.call("hotplugDisk", disk.id);
    if (this.plugged.has(disk.id)) throw new VmctlError("qemu_failed", `fake: device "${disk.id}" exists`);
    this.plugged.add(disk.id);
  }
  async unplugDisk(id: string): Promise<void> {
    await this.call("unplugDisk", id);
    if (!this.behaviour.releasesDisks) throw new VmctlError("timeout", `the guest did not release disk "${id}"`);
    this.plugged.delete(id);
    this.emit({ type: "device-deleted", device: id });
  }
  async hotplugNic(nic: HotplugNic): Promise<void> {
    await this.call("hotplugNic", nic.id);
    if (this.nics.has(nic.id) || this.plugged.has(nic.id)) throw new VmctlError("qemu_failed", `fake: device "${nic.id}" exists`);
    this.nics.set(nic.id, { link: nic.link, backend: nic.backend.kind });
  }
  async unplugNic(id: string): Promise<void> {
    await this.call("unplugNic", id);
    if (!this.behaviour.releasesDisks) throw new VmctlError("timeout", `the guest did not release NIC "${id}"`);
    this.nics.delete(id);
    this.emit({ type: "device-deleted", device: id });
  }
  async setLink(id: string, up: boolean): Promise<void> {
    await this.call("setLink", `${id} ${up ? "up" : "down"}`);
    const nic = this.nics.get(id);
    if (!nic) throw new VmctlError("qemu_failed", `fake: no NIC "${id}"`);
    nic.link = up ? "up" : "down";
  }
  async changeMedium(driveId: string, path: string | null): Promise<void> {
    await this.call("changeMedium", `${driveId} ${path ?? "(eject)"}`);
    this.media.set(driveId, path);
  }
  async resizeDisk(id: string, sizeBytes: number): Promise<void> {
    await this.call("resizeDisk", `${id} ${sizeBytes}`);
    this.sizes.set(id, sizeBytes);
  }

  async screenshot(): Promise<Buffer> { await this.call("screenshot"); return PNG_SIGNATURE; }
  async sendKeys(keys: string[]): Promise<void> { await this.call("sendKeys", keys.join("+")); this.keys.push(keys); }
  metricsSampler(shape: { vcpus: number; memoryBytes: number }): VmMetricsSampler {
    return { sample: async () => ({ memory: { used: 0, total: shape.memoryBytes, source: "host" } }) };
  }
}

function fakeRunFiles(runDir: string): VmRunFiles {
  return { dir: runDir, serial: join(runDir, "serial.sock"), serialLog: join(runDir, "serial.log"), vnc: join(runDir, "vnc.sock"), log: join(runDir, "qemu.log") };
}

export class FakeDriver implements VmDriver {
  readonly kind = "fake";
  /** Every VM started, newest last; a VM outlives a "vmctld restart" as QEMU does. */
  readonly started: FakeVm[] = [];
  behaviour: FakeBehaviour = { honoursPowerButton: true, honoursQuit: true, releasesDisks: true, quitGraceMs: 20 };
  private startFailure: Error | undefined;

  /** The next launch fails as QEMU refusing to start would. */
  failNextStart(message = "fake QEMU refused to start"): void {
    this.startFailure = new VmctlError("qemu_failed", `QEMU did not start: ${message}`);
  }

  /** The VM now running for `name` (its run dir's name), if any. */
  vm(name: string): FakeVm | undefined {
    return this.started.filter((vm) => vm.alive && basename(vm.spec.runDir) === name).at(-1);
  }

  runFiles(runDir: string): VmRunFiles { return fakeRunFiles(runDir); }

  plan(spec: StartSpec): StartPlan {
    return {
      launch: async () => {
        const failure = this.startFailure;
        this.startFailure = undefined;
        if (failure) throw failure;
        const vm = new FakeVm(spec, { ...this.behaviour });
        this.started.push(vm);
        return vm;
      },
    };
  }

  async attach(runDir: string): Promise<VmHandle | null> {
    const vm = this.started.filter((v) => v.alive && v.spec.runDir === runDir).at(-1);
    if (!vm) return null;
    vm.detached = false;
    return vm;
  }
}
