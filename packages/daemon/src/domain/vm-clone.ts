// Clones and templates. A full clone copies every disk with qemu-img convert (a task with
// progress; from the present disks of a stopped VM or from a snapshot). A linked clone is a qcow2
// overlay on a template's disk: made in constant time whatever the disk's size, and the template
// then may not change or go while a clone reads through to it.
import { rm, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { VmctlError, type CloneRequest, type Task, type VmDefinition } from "@vmctl/api-types";
import { parseDefinitionToml } from "@vmctl/definition";
import { createOverlay, readQcow2Backing } from "@vmctl/qemu";
import type { InventoryEntry } from "./inventory.js";
import type { TaskContext } from "./task-manager.js";
import type { VmPreparer } from "./vm-prepare.js";
import type { PowerController } from "./vm-power.js";
import type { SnapshotService } from "./vm-snapshots.js";
import type { StorageDeps } from "./storage-deps.js";
import { editDefinitionText } from "./definition-store.js";
import { Reverter } from "./reverter.js";
import { assertImageTrusted, vmDiskScope } from "./image-trust.js";
import { makePrivateDir } from "./private-files.js";
import { markFinished, markUnfinished } from "./unfinished-vm-folders.js";
import { convertAsQemu } from "./qemu-img-sandbox.js";

export interface CloneDeps extends StorageDeps {
  prepare: VmPreparer;
  snapshots: SnapshotService;
}

const inside = (dir: string, path: string) => relative(dir, path).split(sep)[0] !== "..";

export class CloneService {
  constructor(private readonly deps: CloneDeps) {}

  private diskPath(entry: InventoryEntry, disk: VmDefinition["disks"][string]): string {
    return this.deps.datastores.resolve(disk.datastore ?? entry.datastore, disk.file);
  }

  /** VMs whose disks are overlays on one of `name`'s disks (its linked clones). */
  async linkedClones(name: string): Promise<string[]> {
    const entry = this.deps.inventory.get(name);
    const bases = new Set(Object.values(entry.def?.disks ?? {}).map((d) => this.diskPath(entry, d)));
    const clones: string[] = [];
    for (const other of this.deps.inventory.list()) {
      if (other.name === name || !other.def) continue;
      for (const disk of Object.values(other.def.disks)) {
        if (disk.format !== "qcow2") continue;
        let path: string;
        try { path = this.diskPath(other, disk); } catch { continue; }
        const backing = await readQcow2Backing(path);
        if (backing && bases.has(resolve(dirname(path), backing))) { clones.push(other.name); break; }
      }
    }
    return clones;
  }

  /**
   * A full clone reads each source disk's whole chain, a linked clone reads through to it: every
   * file of it must lie in a datastore (a definition edited by hand may name any image).
   */
  private async checkSources(source: string, entry: InventoryEntry, def: VmDefinition): Promise<void> {
    const scope = vmDiskScope(this.deps.datastores, this.deps.inventory.list(), source, "a clone may only read files in a datastore");
    for (const [id, disk] of Object.entries(def.disks).filter(([, d]) => !d.readonly)) {
      await assertImageTrusted(this.diskPath(entry, disk), disk.format, scope, `disk "${id}" of "${source}" (${disk.file})`);
    }
  }

  /** Marks or unmarks a template, in the VM's exclusive section. */
  setTemplate(name: string, template: boolean): Promise<void> {
    return this.deps.lifecycle.run(name, "template", () => this.markTemplate(name, template));
  }

  private async markTemplate(name: string, template: boolean): Promise<void> {
    const def = this.deps.inventory.definition(name);
    if (def.template === template) return;
    if (!template) {
      const clones = await this.linkedClones(name);
      if (clones.length > 0) throw new VmctlError("in_use", `"${name}" has linked clones (${clones.join(", ")}) reading its disks; it must stay a template until they are destroyed or fully cloned`, { vms: clones });
    }
    await this.deps.definitions.edit(name, (doc) => {
      if (template) doc.template = true;
      else delete doc.template;
    });
    this.deps.events.record(template ? "vm.template_marked" : "vm.template_unmarked", name, {});
  }

  async clone(source: string, request: CloneRequest, user: string): Promise<Task> {
    const entry = this.deps.inventory.get(source);
    const def = this.deps.inventory.definition(source);
    this.deps.inventory.assertNameFree(request.name, "choose another name");
    const datastore = request.datastore ?? entry.datastore;
    this.deps.datastores.root(datastore);
    if (request.linked) {
      if (request.snapshot) throw new VmctlError("bad_request", "a linked clone reads a template's present disks; leave out snapshot, or make a full clone of the snapshot", { field: "snapshot" });
      if (!def.template) throw new VmctlError("vm_wrong_state", `linked clones need a template, whose disks never change: \`vmctl template ${source}\` first, or leave out --linked for a full copy`);
    } else if (request.snapshot) {
      const { snapshots } = await this.deps.snapshots.read(source);
      if (!snapshots.some((s) => s.name === request.snapshot)) throw new VmctlError("snapshot_not_found", `VM "${source}" has no snapshot "${request.snapshot}"`, { field: "snapshot" });
    } else if (!def.template) {
      this.deps.lifecycle.assertAllowed(source, "clone");
    }
    await this.checkSources(source, entry, def);
    const op = request.linked ? "vm.clone_linked" : "vm.clone";
    return this.deps.tasks.run(op, `vm/${source}`, user, async (ctx) => {
      ctx.begin();
      await this.make(source, request, datastore, ctx);
      if (request.start) startAfter(this.deps.power, request.name, user, ctx);
    });
  }

  private async make(source: string, request: CloneRequest, datastore: string, ctx: TaskContext): Promise<void> {
    const entry = this.deps.inventory.get(source);
    let text = entry.text;
    if (request.snapshot) {
      const { snapshots } = await this.deps.snapshots.read(source);
      text = snapshots.find((s) => s.name === request.snapshot)?.definition ?? text;
    }
    const def = parseDefinitionToml(text, { file: entry.file });
    const targetDir = join(this.deps.datastores.root(datastore), request.name);
    const reverter = new Reverter();
    // A template's disks never change, and a snapshot's neither: only a plain VM is held (cloning:
    // it cannot start or change meanwhile; several clones may read it at once).
    const release = !request.linked && !request.snapshot && !def.template ? await this.deps.lifecycle.hold(source, "clone") : () => {};
    try {
      await makePrivateDir(targetDir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "EEXIST") throw new VmctlError("file_exists", `folder "${targetDir}" already exists; move it away or choose another name`);
        throw error;
      });
      reverter.add(() => rm(targetDir, { recursive: true, force: true }));
      await markUnfinished(targetDir);
      this.deps.inventory.claim(request.name, datastore); // a shared datastore: this host owns the clone
      const files: Record<string, { file: string; format: "qcow2" | "raw" }> = {};
      const work = Object.entries(def.disks).filter(([, d]) => !d.readonly);
      await this.checkSources(source, entry, def);
      // Weights for the progress: the space each image takes (read by vmctld, not by a qemu-img as root).
      const sizes = await Promise.all(work.map(async ([, d]) => (await stat(this.diskPath(entry, d))).blocks * 512 || 1));
      const total = sizes.reduce((a, b) => a + b, 0);
      let done = 0;
      for (const [index, [id, disk]] of work.entries()) {
        const sourcePath = this.diskPath(entry, disk);
        const name = inside(entry.dir, sourcePath) ? basename(sourcePath) : `${id}.${disk.format === "raw" && !request.linked ? "img" : "qcow2"}`;
        const targetPath = join(targetDir, name);
        if (request.linked) {
          // Relative inside one datastore, so the datastore can move as a whole.
          const backing = datastore === entry.datastore ? relative(targetDir, sourcePath) : sourcePath;
          await createOverlay(targetPath, backing, disk.format);
          files[id] = { file: `${request.name}/${name}`, format: "qcow2" };
          ctx.log(`disk ${id}: overlay on ${backing}`);
        } else {
          ctx.log(`disk ${id}: copying ${sourcePath}${request.snapshot ? ` as of snapshot "${request.snapshot}"` : ""}`);
          // Its QEMU (an escaped guest) may have rewritten the header: qemu-img reads it as the QEMU
          // user, lent the files just listed (a clone of a snapshot may read a running VM's disks: -U).
          const label = `disk "${id}" of "${source}" (${disk.file})`;
          const scope = vmDiskScope(this.deps.datastores, this.deps.inventory.list(), source, "a clone may only read files in a datastore");
          const read = await assertImageTrusted(sourcePath, disk.format, scope, label);
          await convertAsQemu({
            source: sourcePath, sourceFormat: disk.format, files: read, roots: scope.roots, target: targetPath, targetFormat: disk.format, label, purpose: "copies VM disks",
            ...(request.snapshot ? { snapshot: request.snapshot } : {}),
            signal: ctx.signal,
            onProgress: (p) => ctx.progress(Math.min(99, ((done + (sizes[index]! * p) / 100) / total) * 100)),
          });
          files[id] = { file: `${request.name}/${name}`, format: disk.format };
        }
        done += sizes[index]!;
      }
      const edited = editDefinitionText(text, (doc) => {
        doc.name = request.name;
        delete doc.template;
        doc.description = `${request.linked ? "linked clone" : "clone"} of ${source}${request.snapshot ? ` at snapshot ${request.snapshot}` : ""}${doc.description ? `; ${doc.description}` : ""}`.slice(0, 1024);
        for (const [id, f] of Object.entries(files)) {
          const disk = { ...doc.disks![id]!, file: f.file, format: f.format };
          delete disk.datastore; // the copy lives in the clone's own folder, in the clone's datastore
          doc.disks![id] = disk;
        }
        for (const nic of Object.values(doc.nics ?? {})) nic.mac = "auto";
        // What stays shared (readonly disks, ISOs, the boot kernel) keeps pointing at the source's datastore.
        if (datastore !== entry.datastore) {
          for (const [id, disk] of Object.entries(doc.disks ?? {})) if (!files[id]) disk.datastore ??= entry.datastore;
          for (const cdrom of Object.values(doc.cdroms ?? {})) if (cdrom.iso) cdrom.datastore ??= entry.datastore;
          if (doc.boot?.kernel) doc.boot.datastore ??= entry.datastore;
        }
      });
      const withMacs = this.deps.prepare.allocateUuid(this.deps.prepare.allocateMacs(edited.text, edited.def), edited.def, { fresh: true }); // a clone is a new identity
      await this.deps.definitions.write(request.name, datastore, withMacs);
      await markFinished(targetDir);
      reverter.add(() => this.deps.inventory.forget(request.name));
      reverter.success();
    } catch (error) {
      await reverter.revert();
      throw error;
    } finally {
      release();
    }
    this.deps.lifecycle.created(request.name);
    this.deps.events.record("vm.cloned", request.name, { source, linked: request.linked ?? false, snapshot: request.snapshot ?? null });
    ctx.progress(100);
  }
}

/** Starts a VM just made; a refused start is logged, it does not undo the VM. */
export function startAfter(power: PowerController, name: string, user: string, ctx: TaskContext): void {
  try {
    const task = power.request(name, { action: "start" }, user, ctx.id);
    ctx.log(`starting "${name}" (task ${task.id})`);
  } catch (error) {
    ctx.log(`"${name}" is made, but it could not start: ${(error as Error).message}`);
  }
}
