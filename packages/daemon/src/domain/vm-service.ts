// Defining, changing and destroying VMs, and describing them to the API.
import { rm, readdir, rmdir } from "node:fs/promises";
import { statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { VmctlError, hasProcess, type VmAgent, type VmDefinition, type VmDetail, type VmSummary } from "@vmctl/api-types";
import { assertNotTemplate } from "./templates.js";
import { parseDefinitionToml, DefinitionError } from "@vmctl/definition";
import type { Inventory, InventoryEntry } from "./inventory.js";
import { nameNewDisksInText, renderDefinition, type DefinitionStore } from "./definition-store.js";
import type { Datastores } from "./datastores.js";
import type { RuntimeTable } from "./vm-runtime.js";
import type { VmLifecycle } from "./vm-lifecycle.js";
import type { EventLog } from "./event-log.js";
import type { VmPreparer } from "./vm-prepare.js";
import { Reverter } from "./reverter.js";
import { makePrivateDir } from "./private-files.js";
import { markFinished, markUnfinished } from "./unfinished-vm-folders.js";
import { removeRunDir } from "./vm-sandbox.js";
import { pendingChanges, readStartedWith } from "./pending-changes.js";
import type { VmAddresses } from "./vm-addresses.js";

/** Checks, before anything is written, that the requester may have the VM use the files it names. */
export type CreateAuthorizer = (def: VmDefinition, datastore: string, dir: string) => Promise<void>;
/** The same for a changed definition: `before` is what it was (undefined if it did not parse). */
export type UpdateAuthorizer = (before: VmDefinition | undefined, after: VmDefinition, datastore: string) => Promise<void>;

export interface CreateRequest { toml?: string; json?: unknown; datastore?: string; authorize?: CreateAuthorizer }

/**
 * The parts of a definition that QEMU was started with and that may not change while it runs; the
 * rest may (policy, description, notes), and cpus, memory, firmware and boot are kept for the next
 * start: pendingChanges lists them while the running QEMU has the old values.
 */
/** The fields a running QEMU keeps until its next start (pendingChanges lists them). */
function nextStartOf(def: VmDefinition): string {
  return JSON.stringify([def.cpus, def.memoryBytes, def.firmware, def.boot]);
}

function hardwareOf(def: VmDefinition): string {
  const { policy: _policy, description: _description, notes: _notes, uuid: _uuid, cpus: _cpus, memory: _memory, memoryBytes: _memoryBytes, firmware: _firmware, boot: _boot, ...hardware } = def;
  return JSON.stringify(hardware);
}

export class VmService {
  constructor(
    private readonly inventory: Inventory,
    private readonly definitions: DefinitionStore,
    private readonly datastores: Datastores,
    private readonly runtimes: RuntimeTable,
    private readonly events: EventLog,
    private readonly prepare: VmPreparer,
    private readonly runDir: string,
    /** Which VMs read through to this one's disks (the linked clones of a template). */
    private readonly linkedClones: (name: string) => Promise<string[]>,
    private readonly lifecycle: VmLifecycle,
    /** The NICs' IP addresses (DHCP leases, the guest agent); none without it. */
    private readonly addresses?: VmAddresses,
  ) {}

  /** The guest agent's view of a VM (guest-agent-watch.ts), set by the host: connected only in a listing. */
  agentInfo: ((name: string, detail: boolean) => VmAgent) | undefined;

  summary(entry: InventoryEntry): VmSummary {
    const rt = this.runtimes.get(entry.name);
    const summary: VmSummary = {
      name: entry.name, state: rt.state, cpus: entry.def?.cpus ?? 0, memoryBytes: entry.def?.memoryBytes ?? 0,
      datastore: entry.datastore, lastStateChange: rt.lastChange, autostart: entry.def?.policy.autostart ?? false,
      addresses: this.addresses?.of(entry.name, entry.def, hasProcess(rt.state)) ?? [],
    };
    if (entry.def?.uuid) summary.uuid = entry.def.uuid;
    if (entry.error) summary.definitionError = entry.error.message;
    if (entry.def?.template) summary.template = true;
    if (rt.pid !== undefined) summary.pid = rt.pid;
    if (rt.startedAt) summary.startedAt = rt.startedAt;
    if (rt.lastExitReason) summary.lastExitReason = rt.lastExitReason;
    if (rt.accel && rt.pid !== undefined) summary.accel = rt.accel;
    if (this.agentInfo) summary.agent = this.agentInfo(entry.name, false);
    if (entry.def?.description) summary.description = entry.def.description;
    if (entry.def) summary.diskBytes = Object.values(entry.def.disks).reduce((sum, disk) => sum + (disk.sizeBytes ?? this.fileBytes(disk.datastore ?? entry.datastore, disk.file)), 0);
    return summary;
  }

  /**
   * The size of a disk file declared without a size: one stat, remembered for 30 s, so a listing of
   * many VMs stays a memory read (never qemu-img); 0 for a file that is missing or outside the datastores.
   */
  private fileBytes(datastore: string, file: string): number {
    const key = `${datastore}\0${file}`;
    const known = this.fileSizes.get(key);
    if (known && Date.now() - known.at < 30_000) return known.bytes;
    let bytes = 0;
    try { bytes = statSync(this.datastores.resolve(datastore, file)).size; } catch { /* missing: counts nothing */ }
    if (this.fileSizes.size > 10_000) this.fileSizes.clear();
    this.fileSizes.set(key, { bytes, at: Date.now() });
    return bytes;
  }
  private readonly fileSizes = new Map<string, { bytes: number; at: number }>();

  list(): VmSummary[] {
    return this.inventory.list().map((entry) => this.summary(entry));
  }

  detail(name: string): VmDetail {
    const entry = this.inventory.get(name);
    const summary = this.summary(entry);
    const started = hasProcess(summary.state) && entry.def ? readStartedWith(join(this.runDir, name)) : undefined;
    const pending = started && entry.def ? pendingChanges(started, entry.def) : [];
    return { ...summary, ...(this.agentInfo ? { agent: this.agentInfo(name, true) } : {}), definitionPath: entry.file, etag: entry.etag, definition: entry.def ?? null, runDir: join(this.runDir, name), pendingChanges: pending };
  }

  async create(request: CreateRequest): Promise<VmDetail> {
    const datastore = request.datastore ?? "local";
    this.datastores.root(datastore);
    let text: string;
    let def: VmDefinition;
    if (request.toml !== undefined) {
      text = nameNewDisksInText(request.toml);
      def = parseDefinitionToml(text, { file: "<request body>" });
    } else {
      ({ text, def } = renderDefinition(request.json));
    }
    this.inventory.assertNameFree(def.name, `choose another name or \`vmctl destroy ${def.name}\` first`);
    const dir = join(this.datastores.root(datastore), def.name);
    await request.authorize?.(def, datastore, dir);
    this.prepare.assertMacsFree(def);
    const reverter = new Reverter();
    try {
      await makePrivateDir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "EEXIST") throw new VmctlError("file_exists", `folder "${dir}" already exists; move it away or pick another name`);
        throw error;
      });
      reverter.add(() => rm(dir, { recursive: true, force: true }));
      await markUnfinished(dir);
      this.inventory.claim(def.name, datastore); // a shared datastore: this host owns the new VM
      // A new VM is a new identity, even when the body carries a uuid (copied from another VM, say).
      text = this.prepare.allocateUuid(this.prepare.allocateMacs(text, def), def, { fresh: true });
      def = parseDefinitionToml(text);
      await this.prepare.ensureFiles(def, datastore, reverter);
      await this.definitions.write(def.name, datastore, text);
      await markFinished(dir);
      reverter.success();
    } catch (error) {
      await reverter.revert();
      this.inventory.forget(def.name);
      throw error;
    }
    this.lifecycle.created(def.name);
    this.events.record("vm.created", def.name, { datastore });
    return this.detail(def.name);
  }

  /**
   * Replaces the definition text (or the text `edit` makes of the current entry), in the VM's
   * exclusive section; hardware may only change while QEMU is not running.
   */
  async updateDefinition(name: string, text: string | ((entry: InventoryEntry) => string), ifMatch?: string, authorize?: UpdateAuthorizer): Promise<VmDetail> {
    this.inventory.get(name);
    return this.lifecycle.run(name, "edit", () => this.update(name, typeof text === "string" ? text : text(this.inventory.get(name)), ifMatch, authorize));
  }

  private async update(name: string, given: string, ifMatch?: string, authorize?: UpdateAuthorizer): Promise<VmDetail> {
    const text = nameNewDisksInText(given);
    const entry = this.inventory.get(name);
    if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== entry.etag) {
      throw new VmctlError("precondition_failed", `the definition of "${name}" changed since you read it (ETag ${entry.etag}, yours ${ifMatch}); read it again and reapply your change`);
    }
    const def = parseDefinitionToml(text, { file: entry.file });
    if (def.template) assertNotTemplate(name, entry.def, "does not change", "set template = false in this edit, or ");
    if (entry.def?.template && !def.template) {
      const clones = await this.linkedClones(name);
      if (clones.length > 0) throw new VmctlError("in_use", `template "${name}" has linked clones (${clones.join(", ")}) reading its disks; it stays a template until they are gone`, { vms: clones });
    }
    if (def.name !== name) throw new DefinitionError([{ field: "name", message: `is "${def.name}"; renaming is not supported, keep name = "${name}"` }], entry.file);
    // The uuid is the VM's identity (grants follow it): an edit that leaves it out keeps it, one that changes it is refused.
    const uuid = entry.def?.uuid;
    if (uuid !== undefined && def.uuid !== undefined && def.uuid !== uuid) {
      throw new DefinitionError([{ field: "uuid", message: `is "${def.uuid}"; the uuid is the VM's identity and cannot change, keep uuid = "${uuid}" or leave it out` }], entry.file);
    }
    // A VM without a uuid yet (its file did not parse) may be given none that another VM holds: it would take that VM's grants.
    const holder = uuid === undefined && def.uuid !== undefined ? this.inventory.list().find((e) => e.name !== name && e.def?.uuid === def.uuid) : undefined;
    if (holder) {
      throw new DefinitionError([{ field: "uuid", message: `is VM "${holder.name}"'s uuid; a uuid is one VM's identity: leave the uuid line out and vmctld gives "${name}" one of its own` }], entry.file);
    }
    if (entry.def && hardwareOf(entry.def) !== hardwareOf(def)) this.lifecycle.assertAllowed(name, "edit-hardware");
    // A suspended VM resumes from its saved state, which holds the CPUs and memory it had: nothing of it may wait for the next start.
    if (entry.def && nextStartOf(entry.def) !== nextStartOf(def) && this.lifecycle.state(name) === "suspended") {
      this.lifecycle.assertAllowed(name, "edit-hardware", "it resumes from its saved state with the CPUs, memory and boot it had: resume and restart it, or stop it to change hardware");
    }
    await authorize?.(entry.def, def, entry.datastore);
    this.prepare.assertMacsFree(def, entry.def);
    const prepared = this.prepare.allocateUuid(this.prepare.allocateMacs(text, def), def, uuid === undefined ? {} : { keep: uuid });
    await this.prepare.ensureFiles(parseDefinitionToml(prepared, { file: entry.file }), entry.datastore);
    await this.definitions.write(name, entry.datastore, prepared);
    this.events.record("vm.definition_changed", name, {});
    return this.detail(name);
  }

  /** Removes the VM, in its exclusive section: its folder, or with keepDisks everything but the disk images. */
  async destroy(name: string, keepDisks: boolean): Promise<{ removed: string[]; kept: string[] }> {
    this.inventory.get(name);
    // Refused at once in a state that does not accept it (a start under way, say), not after waiting for that operation: checked again in the section.
    this.lifecycle.assertAllowed(name, "destroy");
    return this.lifecycle.run(name, "destroy", () => this.remove(name, keepDisks));
  }

  private async remove(name: string, keepDisks: boolean): Promise<{ removed: string[]; kept: string[] }> {
    const entry = this.inventory.get(name);
    if (entry.def?.template) {
      const clones = await this.linkedClones(name);
      if (clones.length > 0) throw new VmctlError("in_use", `template "${name}" has linked clones (${clones.join(", ")}) that read its disks; destroy them first`, { vms: clones });
    }
    const diskPaths = new Set(Object.values(entry.def?.disks ?? {}).map((d) => this.datastores.resolve(d.datastore ?? entry.datastore, d.file)));
    const removed: string[] = [];
    const kept: string[] = [];
    for (const file of await readdir(entry.dir)) {
      const path = join(entry.dir, file);
      if (keepDisks && diskPaths.has(path)) { kept.push(path); continue; }
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
    // Disks outside the VM's folder (shared images) are never deleted.
    for (const disk of diskPaths) if (relative(entry.dir, disk).split(sep)[0] === "..") kept.push(disk);
    if (!keepDisks) await rmdir(entry.dir).catch(() => {});
    await removeRunDir(join(this.runDir, name));
    this.inventory.forget(name);
    this.runtimes.forget(name);
    this.events.record("vm.destroyed", { name, uuid: entry.def?.uuid }, { keepDisks, kept, ...(entry.def?.uuid ? { uuid: entry.def.uuid } : {}) });
    return { removed, kept };
  }
}
