// Snapshots are internal qcow2 snapshots: the data stays inside each disk image (copy-on-write
// clusters, so taking one costs the same whatever the disk's size), a snapshot with memory stores
// the RAM and device state in the first disk, and reverting never has to merge overlay chains.
// What qcow2 does not keep (the tree, descriptions, the definition at that moment) is kept in
// <vm>/snapshots.json beside the definition, so it travels with the VM's folder.
import { pendingChanges, readStartedWith } from "./pending-changes.js";
import { readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { VmctlError, type Snapshot, type SnapshotRequest, type Task, type VmDefinition, type VmState } from "@vmctl/api-types";
import { assertNotTemplate } from "./templates.js";
import { parseDefinitionToml, setTopLevelValue } from "@vmctl/definition";
import type { UpdateAuthorizer } from "./vm-service.js";
import { writeFileAtomic } from "./atomic-write.js";
import type { TaskContext } from "./task-manager.js";
import type { StorageDeps } from "./storage-deps.js";
import { vmDiskScope } from "./image-trust.js";
import { qemuImgSnapshot, type StoppedDiskSnapshot } from "./stopped-disk-snapshot.js";

interface StoredSnapshot {
  name: string;
  description: string;
  parent: string | null;
  createdAt: string;
  memory: boolean;
  vmState: VmState;
  /** Ids of the disks that hold this snapshot. */
  disks: string[];
  /** The definition as it was, restored by a revert. */
  definition: string;
}

interface SnapshotFile { current: string | null; snapshots: StoredSnapshot[] }

export type SnapshotDeps = StorageDeps;

export class SnapshotService {
  /** stoppedDisks: qemu-img unless a unit test passes its own. */
  constructor(private readonly deps: SnapshotDeps, private readonly stoppedDisks: StoppedDiskSnapshot = qemuImgSnapshot) {}

  private file(name: string): string {
    return join(this.deps.inventory.get(name).dir, "snapshots.json");
  }

  async read(name: string): Promise<SnapshotFile> {
    const path = this.file(name);
    if (!existsSync(path)) return { current: null, snapshots: [] };
    return JSON.parse(await readFile(path, "utf8")) as SnapshotFile;
  }

  private async write(name: string, data: SnapshotFile): Promise<void> {
    await writeFileAtomic(this.file(name), `${JSON.stringify(data, null, 2)}\n`);
  }

  async list(name: string): Promise<{ current: string | null; snapshots: Snapshot[] }> {
    const data = await this.read(name);
    return {
      current: data.current,
      snapshots: data.snapshots.map((s) => ({
        name: s.name, description: s.description, parent: s.parent, createdAt: s.createdAt, memory: s.memory, vmState: s.vmState,
        disks: s.disks, current: s.name === data.current, children: data.snapshots.filter((c) => c.parent === s.name).map((c) => c.name),
      })),
    };
  }

  /** The disks a snapshot covers: every writable one, and each must be qcow2. */
  private snapshotDisks(name: string, def: VmDefinition): string[] {
    const writable = Object.entries(def.disks).filter(([, d]) => !d.readonly);
    const raw = writable.filter(([, d]) => d.format !== "qcow2").map(([id]) => id);
    if (raw.length > 0) {
      throw new VmctlError("unsupported_format", `cannot snapshot "${name}": disk ${raw.map((id) => `"${id}"`).join(", ")} ${raw.length > 1 ? "are" : "is"} raw, and only qcow2 keeps snapshots; convert with \`qemu-img convert -O qcow2\` and point the disk at the new file, or mark it readonly = true`, { disks: raw });
    }
    if (writable.length === 0) {
      throw new VmctlError("unsupported_format", `cannot snapshot "${name}": it has no writable qcow2 disk to hold the snapshot; add one with \`vmctl disk add ${name} --size 1GiB\``);
    }
    return writable.map(([id]) => id);
  }

  private path(name: string, def: VmDefinition, id: string): string {
    const disk = def.disks[id]!;
    return this.deps.datastores.resolve(disk.datastore ?? this.deps.inventory.get(name).datastore, disk.file);
  }

  /**
   * An internal snapshot of a stopped VM's disk, made, applied or deleted by qemu-img as the QEMU
   * user (its QEMU, or an escaped guest, may have rewritten the header), which owns the image
   * meanwhile; it goes back to its owner after.
   */
  private async onStoppedDisk(name: string, def: VmDefinition, id: string, op: "create" | "apply" | "delete", tag: string): Promise<void> {
    const path = this.path(name, def, id);
    const image = { path, format: "qcow2" as const, scope: vmDiskScope(this.deps.datastores, this.deps.inventory.list(), name), label: `disks.${id}.file "${def.disks[id]!.file}"`, write: true };
    await this.stoppedDisks(image, op, tag);
  }

  private assertState(name: string, action: "snapshot" | "revert"): VmState {
    return this.deps.lifecycle.assertAllowed(name, action);
  }

  async create(name: string, request: SnapshotRequest, user: string): Promise<Task> {
    const def = this.deps.inventory.definition(name);
    assertNotTemplate(name, def, "does not change (snapshots belong to VMs)");
    if (/^\d+$/.test(request.name)) throw new VmctlError("bad_request", `snapshot name "${request.name}" is all digits, which qcow2 confuses with snapshot ids; add a letter, e.g. "s${request.name}"`, { field: "name" });
    const state = this.assertState(name, "snapshot");
    const live = state === "running" || state === "paused";
    if (request.memory && !live) throw new VmctlError("vm_wrong_state", `a snapshot with memory needs "${name}" running; it is ${state}. Leave memory off for a snapshot of the disks`, { state });
    this.snapshotDisks(name, def);
    if ((await this.read(name)).snapshots.some((s) => s.name === request.name)) {
      throw new VmctlError("snapshot_exists", `VM "${name}" already has a snapshot "${request.name}"; choose another name or delete that one first`);
    }
    return this.deps.tasks.run("vm.snapshot", `vm/${name}`, user, (ctx) => this.deps.lifecycle.run(name, "snapshot", async () => {
      ctx.begin();
      await this.take(name, request, ctx);
    }), { queued: true });
  }

  private async take(name: string, request: SnapshotRequest, ctx: TaskContext): Promise<void> {
    const entry = this.deps.inventory.get(name);
    const def = this.deps.inventory.definition(name);
    const state = this.assertState(name, "snapshot");
    const data = await this.read(name);
    if (data.snapshots.some((s) => s.name === request.name)) throw new VmctlError("snapshot_exists", `VM "${name}" already has a snapshot "${request.name}"`);
    const disks = this.snapshotDisks(name, def);
    const rt = this.deps.runtimes.get(name);
    const live = rt.process !== undefined && (state === "running" || state === "paused");
    const memory = live && request.memory !== false;
    // The memory saved is of the QEMU that runs; a revert starts one from the definition saved beside it.
    const runningWith = memory && rt.process ? readStartedWith(rt.process.files.dir) : undefined;
    const pending = runningWith ? pendingChanges(runningWith, def) : [];
    if (pending.length > 0) {
      throw new VmctlError("vm_wrong_state", `"${name}" runs with other ${pending.map((c) => c.field).join(", ")} than its definition now says (changed for its next start), and a snapshot with memory would not load with them; restart it first, or take the snapshot without memory (--no-memory)`, { pending });
    }
    const started = Date.now();
    if (live) {
      ctx.log(memory ? "saving memory, devices and disks (the guest pauses for the save)" : "taking a crash-consistent snapshot of the disks while the guest runs");
      this.deps.lifecycle.transition(name, "snapshotting", { snapshot: request.name });
      // A running guest's filesystems are frozen around the snapshot (its agent flushes them), and always thawed.
      const agent = state === "running" ? await this.deps.power.guestAgent(name) : undefined;
      if (state !== "running") ctx.log("the guest is paused: its filesystems were not frozen");
      else if (!agent) ctx.log("agent: not connected: the guest's filesystems were not frozen (the snapshot is crash-consistent)");
      let frozen = false;
      try {
        if (agent) {
          try {
            ctx.log(`filesystems frozen: ${await agent.fsfreezeFreeze()}`);
            frozen = true;
          } catch (error) {
            ctx.log(`the guest agent could not freeze the filesystems (${(error as Error).message}): the snapshot goes on unfrozen`);
          }
        }
        await rt.process!.snapshotSave(request.name, disks, memory, (p) => ctx.progress(p));
      } finally {
        // Thawed even when the freeze failed or timed out: a freeze the agent ran late must not stay.
        if (agent) {
          // A frozen guest cannot write at all: a thaw that fails is tried again (each try syncs afresh).
          for (let attempt = 1; attempt <= 3; attempt++) {
            const thawed = await agent.fsfreezeThaw().then((n) => { ctx.log(`filesystems thawed: ${n}`); return true; }, (error: unknown) => {
              if (frozen) ctx.log(`thawing the guest's filesystems failed${attempt < 3 ? ", trying again" : ""}: ${(error as Error).message}`);
              return false;
            });
            if (thawed || !frozen) break;
          }
        }
        const status = await rt.process?.status().catch(() => undefined);
        // A QEMU that ended meanwhile: its exit has moved the VM (or will), not the snapshot.
        if (rt.state === "snapshotting" && rt.process) this.deps.lifecycle.transition(name, status === "paused" ? "paused" : "running");
      }
    } else {
      const done: string[] = [];
      try {
        for (const id of disks) {
          await this.onStoppedDisk(name, def, id, "create", request.name);
          done.push(id);
          ctx.progress((done.length / disks.length) * 100);
        }
      } catch (error) {
        for (const id of done) await this.onStoppedDisk(name, def, id, "delete", request.name).catch(() => {});
        throw error;
      }
    }
    data.snapshots.push({
      name: request.name, description: request.description ?? "", parent: data.current, createdAt: new Date().toISOString(),
      memory, vmState: state, disks, definition: entry.text,
    });
    data.current = request.name;
    await this.write(name, data);
    ctx.log(`snapshot "${request.name}" taken in ${Date.now() - started} ms (${disks.length} disk${disks.length > 1 ? "s" : ""}${memory ? ", with memory" : ""})`);
    this.deps.events.record("vm.snapshot_created", name, { snapshot: request.name, memory });
  }

  private async find(name: string, snap: string): Promise<{ data: SnapshotFile; snapshot: StoredSnapshot }> {
    const data = await this.read(name);
    const snapshot = data.snapshots.find((s) => s.name === snap);
    if (!snapshot) throw new VmctlError("snapshot_not_found", `VM "${name}" has no snapshot "${snap}"; it has ${data.snapshots.map((s) => `"${s.name}"`).join(", ") || "none"}`);
    return { data, snapshot };
  }

  /** The definition saved with a snapshot (what a revert restores, and a clone of it copies). */
  async definitionAt(name: string, snap: string): Promise<VmDefinition> {
    const { snapshot } = await this.find(name, snap);
    return parseDefinitionToml(snapshot.definition, { file: this.deps.inventory.get(name).file });
  }

  /** `authorize`: refuses the files the snapshot's definition uses that the current one does not, if its requester may not give them. */
  async revert(name: string, snap: string, user: string, authorize?: UpdateAuthorizer): Promise<Task> {
    this.deps.inventory.get(name);
    this.assertState(name, "revert");
    const { snapshot } = await this.find(name, snap);
    // Refused before the task exists, so the request fails (403, audited) and nothing changes.
    await this.authorizeRevert(name, snapshot, authorize);
    return this.deps.tasks.run("vm.revert", `vm/${name}`, user, (ctx) => this.deps.lifecycle.run(name, "revert", async () => {
      ctx.begin();
      await this.revertNow(name, snap, ctx, authorize);
    }), { queued: true });
  }

  private async authorizeRevert(name: string, snapshot: StoredSnapshot, authorize: UpdateAuthorizer | undefined): Promise<void> {
    const entry = this.deps.inventory.get(name);
    if (!authorize || snapshot.definition === entry.text) return;
    await authorize(entry.def, parseDefinitionToml(snapshot.definition, { file: entry.file }), entry.datastore);
  }

  private async revertNow(name: string, snap: string, ctx: TaskContext, authorize?: UpdateAuthorizer): Promise<void> {
    const state = this.assertState(name, "revert");
    const { data, snapshot } = await this.find(name, snap);
    // Again under the lock: the definition may have changed since the request.
    await this.authorizeRevert(name, snapshot, authorize);
    const entry = this.deps.inventory.get(name);
    if (this.deps.runtimes.get(name).process) {
      ctx.log(snapshot.memory ? "ending the running QEMU; the snapshot's memory replaces it" : "powering the VM off: the snapshot has no memory, so the VM comes back stopped");
      await this.deps.power.stop(name, 0, ctx);
    } else if (state === "suspended") {
      await this.deps.power.discardSuspended(name, ctx);
    }
    // The hardware as it was when the snapshot was taken: the saved memory only fits that.
    if (snapshot.definition !== entry.text) {
      const saved = parseDefinitionToml(snapshot.definition, { file: entry.file });
      // The uuid is the VM's identity (grants follow it): the one it has now stays.
      const uuid = entry.def?.uuid;
      const text = uuid !== undefined && saved.uuid !== undefined && saved.uuid !== uuid ? setTopLevelValue(snapshot.definition, "uuid", uuid) : snapshot.definition;
      await this.deps.definitions.write(name, entry.datastore, text);
      ctx.log("restored the definition saved with the snapshot");
    }
    if (snapshot.memory) {
      ctx.log("starting from the snapshot's memory and disks");
      await this.deps.power.start(name, ctx, { loadSnapshot: snap, resume: snapshot.vmState !== "paused" });
      // The memory may hold filesystems frozen for the snapshot, and a clock from then.
      if (snapshot.vmState !== "paused") await this.deps.power.syncGuestClock(name, ctx, true);
    } else {
      const def = this.deps.inventory.definition(name);
      for (const id of snapshot.disks) {
        if (!def.disks[id]) continue;
        await this.onStoppedDisk(name, def, id, "apply", snap);
      }
    }
    data.current = snap;
    await this.write(name, data);
    this.deps.events.record("vm.snapshot_reverted", name, { snapshot: snap, memory: snapshot.memory });
  }

  async remove(name: string, snap: string, user: string): Promise<Task> {
    this.deps.inventory.get(name);
    this.deps.lifecycle.assertAllowed(name, "snapshot-delete");
    await this.find(name, snap);
    return this.deps.tasks.run("vm.snapshot_delete", `vm/${name}`, user, (ctx) => this.deps.lifecycle.run(name, "snapshot-delete", async () => {
      ctx.begin();
      const { data, snapshot } = await this.find(name, snap);
      const def = this.deps.inventory.definition(name);
      const disks = snapshot.disks.filter((id) => def.disks[id]);
      const proc = this.deps.runtimes.get(name).process;
      if (proc) {
        await proc.snapshotDelete(snap, disks);
      } else {
        for (const id of disks) {
          const path = this.path(name, def, id);
          if (existsSync(path)) await this.onStoppedDisk(name, def, id, "delete", snap);
        }
      }
      // Internal snapshots need no merge: the children hang from the deleted one's parent.
      for (const child of data.snapshots) if (child.parent === snap) child.parent = snapshot.parent;
      data.snapshots = data.snapshots.filter((s) => s.name !== snap);
      if (data.current === snap) data.current = snapshot.parent;
      await this.write(name, data);
      ctx.log(`deleted snapshot "${snap}" from ${disks.length} disk${disks.length === 1 ? "" : "s"}`);
      this.deps.events.record("vm.snapshot_deleted", name, { snapshot: snap });
    }), { queued: true });
  }

  /** Removes the metadata file; the snapshots themselves go with the disk images. */
  async forget(name: string): Promise<void> {
    await rm(this.file(name), { force: true });
  }
}
