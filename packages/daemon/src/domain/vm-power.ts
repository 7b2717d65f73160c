// Power operations on VMs: start (QEMU paused, console attached, then run), graceful stop with
// escalation, pause/resume/reset, what happens when QEMU exits, and re-attaching after a restart.
import { pendingChanges, readStartedWith, writeStartedWith } from "./pending-changes.js";
import { join } from "node:path";
import { rename, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import type { Logger } from "pino";
import { VmctlError, desiredStep, hasProcess, guestPanicData, type DesiredState, type PowerRequest, type Task } from "@vmctl/api-types";
import { assertNotTemplate } from "./templates.js";
import type { Accel, ExitInfo, GuestAgent, NicBackend, StartPlan, VmDriver, VmHandle } from "@vmctl/qemu";
import { rm } from "node:fs/promises";
import type { RuntimeTable } from "./vm-runtime.js";
import { desiredStateError, type VmLifecycle } from "./vm-lifecycle.js";
import type { Inventory } from "./inventory.js";
import type { Datastores } from "./datastores.js";
import type { EventLog } from "./event-log.js";
import { currentEventCause, withEventCause, type EventCause } from "./event-context.js";
import type { TaskContext, TaskManager } from "./task-manager.js";
import { SerialConsole } from "./serial-console.js";
import { qemuHostFiles, type VmHostFiles } from "./vm-host-files.js";
import type { VmPreparer } from "./vm-prepare.js";
import type { GuestAgentWatch } from "./guest-agent-watch.js";
import { removeCloudInitSeed, writeCloudInitSeed } from "./cloud-init.js";
import type { VmDefinition } from "@vmctl/api-types";

/** The host side of a VM's NICs (domain/host-networks.ts): taps made before QEMU starts, removed once it has ended. */
export interface VmNics {
  attach(vm: string, uuid: string | undefined, def: VmDefinition): Promise<Record<string, NicBackend>>;
  detach(vm: string, uuid: string | undefined, def: VmDefinition): Promise<void>;
  reattach(vm: { name: string; uuid: string | undefined; def: VmDefinition }): Promise<void>;
}

export interface PowerDeps {
  runtimes: RuntimeTable;
  lifecycle: VmLifecycle;
  inventory: Inventory;
  datastores: Datastores;
  events: EventLog;
  tasks: TaskManager;
  prepare: Pick<VmPreparer, "forStart">;
  runDir: string;
  /** The hypervisor (QEMU in production, a fake in unit tests). */
  driver: VmDriver;
  /** Ownership of the VM's files around its process (vm-sandbox.ts unless a test passes a fake). */
  hostFiles?: VmHostFiles | undefined;
  accelerator: () => Promise<{ accel: Accel; reason: string }>;
  /** The NICs' taps; without it every NIC gets QEMU's user-mode networking. */
  nics?: VmNics | undefined;
  /** The guest agents (guest-agent-watch.ts); without it a stop starts at the ACPI power button. */
  agents?: Pick<GuestAgentWatch, "agentOf" | "poke"> | undefined;
  /** Whether this host may start the VM on its own (a joined host leaves an HA VM on shared storage to vmcenter). */
  mayStartItself?: ((name: string) => boolean) | undefined;
  log: Logger;
}

/** A QEMU that a live migration brought to this host, handed to the power controller. */
export interface Arrival { arrivedFrom: string; startedAt?: string }

const CONSOLE_LOG_ROTATE_BYTES = 8 * 1024 * 1024;
/** How long a guest whose memory came back may take for its agent to answer (only while it has the channel open). */
const AGENT_AFTER_RESTORE_MS = 15_000;
const CRASH_RESTART_LIMIT = 5;
const CRASH_RESTART_WINDOW_MS = 10 * 60_000;

export class PowerController {
  private readonly hostFiles: VmHostFiles;
  /** Per running VM: removes the taps made for the QEMU it runs (called once it has ended). */
  private readonly nicRelease = new Map<string, () => Promise<void>>();
  /** The removal under way, which a start right after an exit (on_crash = restart) waits for: it would remove the new taps. */
  private readonly nicReleasing = new Map<string, Promise<void>>();
  /** Who asked for the exit under way (a stop, a suspend): the state change it ends in is theirs. */
  private readonly exitCauses = new Map<string, EventCause>();

  constructor(private readonly deps: PowerDeps) {
    this.hostFiles = deps.hostFiles ?? qemuHostFiles;
  }

  /** A power action as a task; refused at once (409) unless the state accepts it, and checked again in the VM's section. */
  request(name: string, request: PowerRequest, user: string, parentId?: string): Task {
    const entry = this.deps.inventory.get(name);
    if (request.action === "start") assertNotTemplate(name, entry.def, "never starts", `deploy a VM from it with \`vmctl clone ${name} <new-name> --linked\`, or `);
    this.deps.lifecycle.assertAllowed(name, request.action);
    // A stop queued behind another operation that finds the VM stopped has nothing left to do.
    const choose = (state: string) => (request.action === "stop" && (state === "stopped" || state === "crashed") ? undefined : request.action);
    return this.queue(name, `vm.${request.action}`, user, parentId, (ctx) => this.deps.lifecycle.runChosen(name, choose, async (action) => {
      ctx.begin();
      if (action === undefined) ctx.log(`"${name}" is ${this.deps.lifecycle.state(name)} already`);
      else await this.perform(name, request, ctx);
    }));
  }

  /**
   * PUT /vms/{name}/state: undefined when the VM is there already (or as near as it gets: a crashed
   * VM counts as stopped), else the task that gets it there, deciding again in the VM's section.
   */
  desired(name: string, desired: DesiredState, user: string): Task | undefined {
    const entry = this.deps.inventory.get(name);
    const state = this.deps.lifecycle.state(name);
    const step = desiredStep(desired, state);
    if (step.kind === "there") return undefined;
    if (step.kind === "refused") throw desiredStateError(desired, name, state, step.hint);
    if (desired === "running") assertNotTemplate(name, entry.def, "never starts", `deploy a VM from it with \`vmctl clone ${name} <new-name> --linked\`, or `);
    if (step.kind === "action") this.deps.lifecycle.assertAllowed(name, step.action);
    const choose = (now: Parameters<typeof desiredStep>[1]) => {
      const next = desiredStep(desired, now);
      if (next.kind === "there") return undefined;
      if (next.kind === "action") return next.action;
      throw desiredStateError(desired, name, now, next.kind === "refused" ? next.hint : "another operation holds it; ask again");
    };
    return this.queue(name, "vm.set_state", user, undefined, (ctx) => this.deps.lifecycle.runChosen(name, choose, async (action) => {
      ctx.begin();
      if (action === undefined) ctx.log(`"${name}" is ${this.deps.lifecycle.state(name)} already`);
      else {
        ctx.log(`${action} to get "${name}" ${desired}`);
        await this.perform(name, { action }, ctx);
      }
    }));
  }

  /** A task for one VM's power work; the task manager bounds how many tasks may wait for one VM (MAX_QUEUED_PER_TARGET). */
  private queue(name: string, op: string, user: string, parentId: string | undefined, work: (ctx: TaskContext) => Promise<void>): Task {
    return this.deps.tasks.run(op, `vm/${name}`, user, work, { queued: true, ...(parentId ? { parentId } : {}) });
  }

  private async perform(name: string, request: PowerRequest, ctx: TaskContext): Promise<void> {
    const def = this.deps.inventory.definition(name);
    const timeoutMs = (request.timeout ?? def.policy.stop_timeout) * 1000;
    const suspended = this.deps.runtimes.get(name).state === "suspended";
    switch (request.action) {
      case "start": return this.start(name, ctx);
      case "suspend": return this.suspend(name, ctx);
      case "stop":
        if (suspended) return this.discardSuspended(name, ctx);
        return this.stop(name, request.force ? 0 : timeoutMs, ctx);
      case "shutdown": return this.shutdown(name, timeoutMs, ctx);
      case "restart":
        await this.stop(name, timeoutMs, ctx);
        return this.start(name, ctx);
      case "reset":
        await this.process(name).reset();
        ctx.log("hardware reset");
        this.deps.events.record("vm.reset", name);
        return;
      case "pause":
        await this.process(name).pause();
        this.deps.lifecycle.transition(name, "paused");
        return;
      case "resume":
        if (suspended) return this.start(name, ctx);
        await this.process(name).resume();
        this.deps.lifecycle.transition(name, "running");
        return;
    }
  }

  private process(name: string): VmHandle {
    const proc = this.deps.runtimes.get(name).process;
    if (!proc) throw new VmctlError("vm_wrong_state", `VM "${name}" has no running QEMU`);
    return proc;
  }

  /** Where a suspended VM's state is kept: beside its definition, like ESXi's .vmss. */
  statePath(name: string): string {
    return join(this.deps.inventory.get(name).dir, `${name}.vmstate`);
  }

  /** Starts QEMU; with loadSnapshot it starts from that internal snapshot (memory and disks), paused unless resume. */
  async start(name: string, ctx: TaskContext, from: { loadSnapshot?: string; resume?: boolean } = {}): Promise<void> {
    const { runtimes, inventory, datastores } = this.deps;
    const entry = inventory.get(name);
    const restoring = runtimes.get(name).state === "suspended";
    await runtimes.get(name).filesReturned;
    const def = await this.deps.prepare.forStart(entry, ctx);
    const choice = def.accel === "auto" ? await this.deps.accelerator() : { accel: def.accel, reason: `accel = "${def.accel}" in the definition` };
    ctx.log(`accelerator: ${choice.accel} (${choice.reason})`);
    const runDir = join(this.deps.runDir, name);
    const resolvePath = (ds: string | undefined, path: string) => datastores.resolve(ds ?? entry.datastore, path);
    await this.nicReleasing.get(name);
    // The cloud-init seed ([cloud_init]) QEMU attaches; it goes with the taps once QEMU has ended.
    await writeCloudInitSeed(def, this.deps.runDir, runDir);
    const nics = await this.deps.nics?.attach(name, def.uuid, def);
    const releaseNics = async () => { await removeCloudInitSeed(runDir); await this.deps.nics?.detach(name, def.uuid, def); };
    let plan: StartPlan;
    let runAs: Awaited<ReturnType<VmHostFiles["prepare"]>>;
    try {
      plan = this.deps.driver.plan({
        def, runDir, accel: choice.accel, incoming: restoring,
        ...(from.loadSnapshot ? { loadSnapshot: from.loadSnapshot } : {}),
        ...(nics ? { nics } : {}),
        resolvePath,
      });
      if (!restoring) await rotateConsoleLog(this.deps.driver.runFiles(runDir).serialLog);
      runAs = await this.hostFiles.prepare(def, datastores, entry.datastore, entry.dir, runDir);
    } catch (error) {
      await releaseNics();
      throw error;
    }
    this.deps.lifecycle.transition(name, "starting", restoring ? { reason: "resuming from saved state" } : {});
    const rt = runtimes.get(name);
    let proc: VmHandle;
    try {
      proc = await plan.launch(runAs);
    } catch (error) {
      await releaseNics();
      this.deps.lifecycle.transition(name, restoring ? "suspended" : "stopped", { reason: "start failed", error: (error as Error).message });
      throw error;
    }
    this.nicRelease.set(name, releaseNics);
    try {
      await this.hostFiles.lockRunDir(runDir, proc.pid, def);
    } catch (error) {
      await proc.forceStop().catch(() => {});
      await this.takeNicsBack(name);
      this.deps.lifecycle.transition(name, restoring ? "suspended" : "stopped", { reason: "start failed", error: (error as Error).message });
      throw error;
    }
    // What runs until the next start (pendingChanges); without it no pending change is shown.
    await writeStartedWith(runDir, def).catch((error: unknown) => this.deps.log.warn({ vm: name, err: error }, "could not record what QEMU was started with"));
    ctx.progress(50);
    rt.process = proc;
    rt.pid = proc.pid;
    rt.accel = choice.accel;
    rt.stopping = false;
    // The serial socket serves one client: vmctld takes it before the guest runs, so nothing is missed.
    if (def.console.serial) {
      rt.console = new SerialConsole(proc.files.serial, proc.files.serialLog);
      await rt.console.connect({ seedFromLog: restoring });
    }
    this.watch(name, proc);
    if (restoring) {
      ctx.log("loading the saved state");
      try {
        await proc.loadState(this.statePath(name), (percent) => ctx.progress(50 + percent / 2));
      } catch (error) {
        rt.exitState = "suspended";
        await proc.forceStop();
        await this.settled(name, proc);
        throw error;
      }
      await rm(this.statePath(name), { force: true });
    }
    rt.startedAt = new Date().toISOString();
    if (from.loadSnapshot && from.resume === false) {
      this.deps.lifecycle.transition(name, "paused", { pid: proc.pid, accel: choice.accel, reason: `reverted to snapshot "${from.loadSnapshot}", paused as it was taken` });
      ctx.log(`QEMU running as pid ${proc.pid}, guest paused`);
      return;
    }
    await proc.resume();
    this.deps.lifecycle.transition(name, "running", { pid: proc.pid, accel: choice.accel });
    ctx.log(`QEMU running as pid ${proc.pid}`);
    this.deps.agents?.poke(name);
    // The guest's clock stood still while it was saved: the agent sets it to the host's.
    if (restoring) await this.syncGuestClock(name, ctx);
  }

  /** The VM's guest agent when one answers now (a few seconds at most; patienceMs more while the guest has its channel open), else undefined. */
  async guestAgent(name: string, patienceMs = 0): Promise<GuestAgent | undefined> {
    return this.deps.agents?.agentOf(name, patienceMs);
  }

  /**
   * After the guest's memory came back (resume from suspend, revert to a snapshot with memory): its
   * filesystems may have been frozen when that memory was saved (a snapshot freezes them), and its
   * clock is behind. Both are put right through the agent; without one the log says what was not done.
   */
  async syncGuestClock(name: string, ctx: TaskContext, thawIfFrozen = false): Promise<void> {
    // The guest has just come back: its agent may take a few seconds to answer the new channel.
    const agent = await this.guestAgent(name, AGENT_AFTER_RESTORE_MS);
    if (!agent) {
      ctx.log("agent: not connected: the guest's clock was not set to the host's time");
      return;
    }
    try {
      if (thawIfFrozen && (await agent.fsfreezeStatus()) === "frozen") ctx.log(`filesystems thawed: ${await agent.fsfreezeThaw()} (frozen when the snapshot was taken)`);
      await agent.setTime(new Date());
      ctx.log("set the guest's clock to the host's time (guest agent)");
    } catch (error) {
      ctx.log(`the guest agent could not set the guest's clock: ${(error as Error).message}`);
    }
  }

  async stop(name: string, timeoutMs: number, ctx: TaskContext): Promise<void> {
    const rt = this.deps.runtimes.get(name);
    const proc = this.process(name);
    rt.stopping = true;
    this.exitCauses.set(name, currentEventCause());
    this.deps.lifecycle.transition(name, "stopping");
    const left = timeoutMs > 0 ? await this.agentShutdown(name, proc, timeoutMs, ctx) : 0;
    const info = left === "exited" ? await proc.wait() : await proc.stop(left, (line) => ctx.log(line));
    await this.settled(name, proc);
    ctx.log(`stopped: ${info.detail}`);
  }

  /**
   * A graceful stop's first step: the guest agent's guest-shutdown, given half the stop timeout.
   * Returns "exited" when the guest powered off, else the time left for the ACPI power button.
   */
  private async agentShutdown(name: string, proc: VmHandle, timeoutMs: number, ctx: TaskContext): Promise<number | "exited"> {
    const started = Date.now();
    const left = () => Math.max(1000, timeoutMs - (Date.now() - started));
    const agent = this.deps.agents ? await this.guestAgent(name) : undefined;
    if (!agent) {
      if (this.deps.agents) ctx.log("agent: not connected: no guest agent to ask");
      return left();
    }
    ctx.log("asked the guest agent to shut down");
    try {
      await agent.shutdown("powerdown");
    } catch (error) {
      ctx.log(`the guest agent refused to shut down (${(error as Error).message}): pressing the ACPI power button`);
      return left();
    }
    const budget = Math.max(0, Math.floor(timeoutMs / 2) - (Date.now() - started));
    const ended = await Promise.race([proc.wait().then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), budget).unref())]);
    if (ended) {
      ctx.log(`the guest powered off through its agent in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return "exited";
    }
    ctx.log(`no answer from the agent in ${Math.round(budget / 1000)} s: pressing the ACPI power button`);
    return left();
  }

  /** Saves the VM's memory and devices to disk and ends QEMU; start or resume continues from there. */
  async suspend(name: string, ctx: TaskContext): Promise<void> {
    const rt = this.deps.runtimes.get(name);
    const proc = this.process(name);
    const path = this.statePath(name);
    // The saved state resumes with the definition as it is then: changes waiting for the next start would not load.
    const runningWith = readStartedWith(proc.files.dir);
    const { def } = this.deps.inventory.get(name);
    const pending = runningWith && def ? pendingChanges(runningWith, def) : [];
    if (pending.length > 0) throw new VmctlError("vm_wrong_state", `"${name}" runs with other ${pending.map((c) => c.field).join(", ")} than its definition now says (changed for its next start), and its saved state would not resume with them; restart it first, or stop it`, { pending });
    ctx.log(`saving the VM's state to ${path}`);
    try {
      await proc.saveState(path, (percent) => ctx.progress(percent));
    } catch (error) {
      await rm(path, { force: true });
      await proc.resume().catch(() => {});
      throw error;
    }
    rt.stopping = true;
    rt.exitState = "suspended";
    this.exitCauses.set(name, currentEventCause());
    await proc.forceStop();
    await this.settled(name, proc);
  }

  async discardSuspended(name: string, ctx: TaskContext): Promise<void> {
    await rm(this.statePath(name), { force: true });
    ctx.log("discarded the saved state");
    this.deps.lifecycle.transition(name, "stopped", { reason: "saved state discarded" });
  }

  async shutdown(name: string, timeoutMs: number, ctx: TaskContext): Promise<void> {
    const proc = this.process(name);
    ctx.log("asking the guest to power off (ACPI power button); it will not be forced");
    await proc.powerButton();
    const ended = await Promise.race([proc.wait(), new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs).unref())]);
    if (!ended) {
      throw new VmctlError("timeout", `the guest of "${name}" did not power off within ${Math.round(timeoutMs / 1000)} s; it is still running. \`vmctl stop ${name}\` forces it after asking`);
    }
    await this.settled(name, proc);
  }

  /** Watches a QEMU for guest-side pauses and for its exit. */
  private watch(name: string, proc: VmHandle): void {
    const rt = this.deps.runtimes.get(name);
    proc.onEvent((event) => {
      if (rt.process !== proc) return;
      if (event.type === "paused" && rt.state === "running" && !rt.stopping) this.deps.lifecycle.observe(name, "guest-pause", "paused", { reason: "QEMU paused the guest" });
      if (event.type === "resumed" && rt.state === "paused") this.deps.lifecycle.observe(name, "guest-resume", "running");
      if (event.type === "guest-panicked") this.deps.events.record("vm.guest_panicked", name, guestPanicData(event.info));
    });
    void proc.wait().then((info) => this.onExit(name, proc, info))
      .catch((error: unknown) => this.deps.log.error({ vm: name, err: error }, "recording the exit of the VM's QEMU failed"));
  }

  /** Resolves once onExit has recorded the new state for this process and its disks are root's again. */
  private async settled(name: string, proc: VmHandle): Promise<void> {
    await proc.wait();
    const rt = this.deps.runtimes.get(name);
    while (rt.process === proc) await new Promise((resolve) => setImmediate(resolve));
    await rt.filesReturned;
    // And its taps are gone: a stop answers once `ip link` no longer shows them (CI read one still there).
    await this.nicReleasing.get(name);
  }

  private onExit(name: string, proc: VmHandle, info: ExitInfo): void {
    const { runtimes, events, log } = this.deps;
    const rt = runtimes.get(name);
    if (rt.process !== proc) return;
    rt.process = undefined;
    rt.console?.close();
    void this.takeNicsBack(name);
    const { def, datastore } = this.deps.inventory.get(name);
    if (def) {
      rt.filesReturned = this.hostFiles.takeBack(def, (ds, path) => this.deps.datastores.resolve(ds ?? datastore, path))
        .catch((error: unknown) => log.warn({ vm: name, err: error }, "could not give the VM's disks back to root"));
    }
    rt.lastExitReason = info.reason;
    const unexpected = !rt.stopping && (info.reason === "crash" || info.reason === "guest-panic");
    const exitState = rt.exitState ?? "stopped";
    // An exit a stop or suspend asked for is that action's (its user, its task), not the context QEMU was started in.
    const cause = rt.stopping ? this.exitCauses.get(name) : undefined;
    this.exitCauses.delete(name);
    rt.stopping = false;
    rt.exitState = undefined;
    if (!unexpected) {
      const observe = () => this.deps.lifecycle.observe(name, "qemu-exit", exitState, { reason: exitState === "suspended" ? "state saved to disk" : info.reason, detail: info.detail });
      if (cause) withEventCause(cause, observe);
      else observe();
      return;
    }
    log.warn({ vm: name, reason: info.reason }, info.detail);
    this.deps.lifecycle.observe(name, "qemu-exit", "crashed", { reason: info.reason, detail: info.detail });
    events.record("vm.crashed", name, { reason: info.reason, detail: info.detail });
    this.applyCrashPolicy(name);
  }

  private applyCrashPolicy(name: string): void {
    const entry = this.deps.inventory.get(name);
    if (entry.def?.policy.on_crash !== "restart") return;
    if (this.deps.mayStartItself && !this.deps.mayStartItself(name)) {
      this.deps.log.info({ vm: name }, "on_crash = restart left to vmcenter: an HA VM on a shared datastore is restarted where vmcenter places it");
      return;
    }
    const rt = this.deps.runtimes.get(name);
    const now = Date.now();
    rt.crashRestarts = rt.crashRestarts.filter((t) => now - t < CRASH_RESTART_WINDOW_MS);
    if (rt.crashRestarts.length >= CRASH_RESTART_LIMIT) {
      this.deps.events.record("vm.restart_limit", name, { restarts: rt.crashRestarts.length, windowMinutes: CRASH_RESTART_WINDOW_MS / 60_000 });
      return;
    }
    rt.crashRestarts.push(now);
    try {
      this.request(name, { action: "start" }, "system (on_crash = restart)");
    } catch (error) {
      this.deps.log.warn({ vm: name, err: (error as Error).message }, "on_crash restart not requested");
    }
  }

  /**
   * After a vmctld restart: re-attach every QEMU still running; a VM whose QEMU vanished while it
   * should have run is marked crashed and its policy applied.
   */
  reconcile(name: string, arrival?: Arrival): Promise<void> {
    return this.deps.lifecycle.exclusive(name, () => this.reattach(name, arrival));
  }

  /** `arrival`: the QEMU is one a live migration brought here (not a vmctld restart): its start time is the source's. */
  private async reattach(name: string, arrival?: Arrival): Promise<void> {
    const { runtimes, events } = this.deps;
    const rt = runtimes.get(name);
    const runDir = join(this.deps.runDir, name);
    const proc = await this.deps.driver.attach(runDir);
    if (proc) {
      await this.hostFiles.lockRunDir(runDir, proc.pid).catch((error: unknown) => this.deps.log.warn({ vm: name, err: error }, "could not take the run dir back from QEMU's user"));
      rt.process = proc;
      rt.pid = proc.pid;
      rt.stopping = false;
      if (existsSync(proc.files.serial)) {
        rt.console = new SerialConsole(proc.files.serial, proc.files.serialLog);
        await rt.console.connect({ seedFromLog: true }).catch(() => { rt.console = undefined; });
      }
      const def = this.deps.inventory.get(name).def;
      if (def && this.deps.nics) {
        const nics = this.deps.nics;
        await nics.reattach({ name, uuid: def.uuid, def });
        this.nicRelease.set(name, () => removeCloudInitSeed(runDir).then(() => nics.detach(name, def.uuid, def)));
      }
      this.watch(name, proc);
      const status = await proc.status();
      if (status === "incoming" && rt.state === "starting") {
        // vmctld went away while this QEMU waited to load the saved state (a resume): it never ran the
        // guest. It is ended and the VM is suspended again with its state file, which the next resume loads.
        rt.stopping = true;
        rt.exitState = "suspended";
        await proc.forceStop();
        await this.settled(name, proc);
        return;
      }
      // Only a running guest counts as running; paused, panicked, waiting or in error, its vCPUs do not run.
      const state = status === "running" ? "running" : "paused";
      if (arrival) {
        rt.startedAt = arrival.startedAt ?? new Date().toISOString();
        this.deps.lifecycle.observe(name, "reconcile", state, { reason: `arrived by live migration from ${arrival.arrivedFrom}` });
        runtimes.persist(name);
        return; // the caller records vm.migrated
      }
      rt.startedAt ??= new Date().toISOString();
      this.deps.lifecycle.observe(name, "reconcile", state, { reason: "re-attached after vmctld restart" });
      runtimes.persist(name);
      events.record("vm.reattached", name, { pid: proc.pid, state });
      return;
    }
    if (rt.state === "cloning" || rt.state === "exporting") {
      this.deps.lifecycle.observe(name, "reconcile", "stopped", { reason: `vmctld restarted while ${rt.state === "cloning" ? "a clone" : "an export"} of this VM was made; that task failed` });
      return;
    }
    if (hasProcess(rt.state)) {
      const { def, datastore } = this.deps.inventory.get(name);
      if (def) rt.filesReturned = this.hostFiles.takeBack(def, (ds, path) => this.deps.datastores.resolve(ds ?? datastore, path)).catch(() => {});
      if (rt.state === "starting" && existsSync(this.statePath(name))) {
        // A resume from the saved state that vmctld's exit cut off: the state file was never loaded (it goes once it is).
        this.deps.lifecycle.observe(name, "reconcile", "suspended", { reason: "resume cut off by a vmctld restart; the saved state is kept" });
        return;
      }
      if (rt.state === "stopping") {
        // vmctld was stopping it when it went away: the stop it was asked for happened, no crash policy.
        rt.lastExitReason = "host-stop";
        this.deps.lifecycle.observe(name, "reconcile", "stopped", { reason: "host-stop", detail: "QEMU had ended when vmctld restarted during the stop" });
        return;
      }
      rt.lastExitReason = "crash";
      this.deps.lifecycle.observe(name, "reconcile", "crashed", { reason: "crash", detail: "QEMU vanished while vmctld was down" });
      events.record("vm.crashed", name, { reason: "crash", detail: "QEMU vanished while vmctld was down" });
      this.applyCrashPolicy(name);
    }
  }

  /** Removes the taps of the QEMU that ran the VM (once), logging what fails. */
  private takeNicsBack(name: string): Promise<void> {
    const release = this.nicRelease.get(name);
    if (!release) return this.nicReleasing.get(name) ?? Promise.resolve();
    this.nicRelease.delete(name);
    const done = release().catch((error: unknown) => this.deps.log.warn({ vm: name, err: error }, "could not remove the VM's taps"))
      .finally(() => { if (this.nicReleasing.get(name) === done) this.nicReleasing.delete(name); });
    this.nicReleasing.set(name, done);
    return done;
  }

  /** vmctld is going away: drop QMP and console connections, leave every QEMU running. */
  detachAll(names: string[]): void {
    for (const name of names) {
      const rt = this.deps.runtimes.get(name);
      rt.process?.detach();
      rt.console?.close();
      rt.process = undefined;
      rt.console = undefined;
    }
  }
}

async function rotateConsoleLog(path: string): Promise<void> {
  try {
    if ((await stat(path)).size > CONSOLE_LOG_ROTATE_BYTES) await rename(path, `${path}.1`);
  } catch { /* no log yet */ }
}
