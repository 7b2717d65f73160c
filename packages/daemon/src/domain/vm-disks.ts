// Disks and CD-ROM media of a VM: added, detached, grown and changed, live over QMP while the VM
// runs (where the bus allows) and always written to the definition, so it says what is attached.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, relative, sep } from "node:path";
import { VmctlError, type DiskAddRequest, type DiskInfo, type VmDefinition } from "@vmctl/api-types";
import { assertNotTemplate } from "./templates.js";
import { defaultDiskFile, parseSize } from "@vmctl/definition";
import { createImage, imageInfo, resizeImage, type VmHandle } from "@vmctl/qemu";
import { qemuHostFiles, type VmHostFiles } from "./vm-host-files.js";
import type { Inventory, InventoryEntry } from "./inventory.js";
import type { Datastores } from "./datastores.js";
import type { RuntimeTable } from "./vm-runtime.js";
import type { VmLifecycle } from "./vm-lifecycle.js";
import type { EventLog } from "./event-log.js";
import type { DefinitionStore, DefinitionMutator } from "./definition-store.js";
import { Reverter } from "./reverter.js";
import { usesOfPath } from "./vm-file-usage.js";
import { assertImageTrusted, vmDiskScope } from "./image-trust.js";
import { makeFilePrivate, makePrivateDir } from "./private-files.js";
import { onVmImageAsQemu } from "./qemu-img-sandbox.js";

/** Refuses a file the requester may not give the VM (the disk routes bind it to the request). */
export type DiskAuthorizer = (file: { datastore: string; file: string; mode: "read" | "write"; format: "qcow2" | "raw" }) => Promise<void>;

export class DiskService {
  constructor(
    private readonly inventory: Inventory,
    private readonly datastores: Datastores,
    private readonly runtimes: RuntimeTable,
    private readonly events: EventLog,
    private readonly definitions: DefinitionStore,
    private readonly lifecycle: VmLifecycle,
    /** Ownership of hot-plugged files (vm-sandbox.ts unless a test passes a fake). */
    private readonly hostFiles: VmHostFiles = qemuHostFiles,
  ) {}

  // Every change runs in the VM's exclusive section, as a "storage" action.
  private storage<T>(name: string, work: () => Promise<T>): Promise<T> {
    this.inventory.get(name);
    return this.lifecycle.run(name, "storage", work);
  }

  add(name: string, request: DiskAddRequest, authorize?: DiskAuthorizer): Promise<DiskInfo> {
    return this.storage(name, () => this.addNow(name, request, authorize));
  }

  detach(name: string, id: string, deleteFile: boolean): Promise<{ deleted: string | null }> {
    return this.storage(name, () => this.detachNow(name, id, deleteFile));
  }

  resize(name: string, id: string, size: string): Promise<DiskInfo> {
    return this.storage(name, () => this.resizeNow(name, id, size));
  }

  setMedium(name: string, id: string, iso: string | null, datastore?: string): Promise<DiskInfo> {
    return this.storage(name, () => this.setMediumNow(name, id, iso, datastore));
  }

  addCdrom(name: string, request: { id?: string; bus?: "sata" | "ide" | "scsi"; iso?: string; datastore?: string }): Promise<DiskInfo> {
    return this.storage(name, () => this.addCdromNow(name, request));
  }

  /** The VM's definition for a storage change: not a template, in a state that allows it; its QEMU if running. */
  private prepare(name: string): { entry: InventoryEntry; def: VmDefinition; proc: VmHandle | undefined } {
    const entry = this.inventory.get(name);
    const def = this.inventory.definition(name);
    assertNotTemplate(name, def);
    this.lifecycle.assertAllowed(name, "storage");
    return { entry, def, proc: this.runtimes.get(name).process };
  }

  private resolve(entry: InventoryEntry, datastore: string | undefined, file: string): string {
    return this.datastores.resolve(datastore ?? entry.datastore, file);
  }

  /** The VM's disks and drives (or just `only`), with sizes read from the images. */
  async list(name: string, only?: string): Promise<DiskInfo[]> {
    const entry = this.inventory.get(name);
    const def = this.inventory.definition(name);
    const wanted = ([id]: [string, unknown]) => only === undefined || id === only;
    const out: DiskInfo[] = [];
    for (const [id, disk] of Object.entries(def.disks).filter(wanted)) {
      const path = this.resolve(entry, disk.datastore, disk.file);
      // Read as the QEMU user (a running or escaped QEMU may have rewritten the header); an image it
      // may not be given (its files leave the datastores) shows no sizes.
      const image = { path, format: disk.format, scope: vmDiskScope(this.datastores, this.inventory.list(), name), label: `disks.${id}.file "${disk.file}"` };
      const info = existsSync(path) ? await onVmImageAsQemu(image, (runAs) => imageInfo(path, disk.format, { shared: true, runAs })).catch(() => undefined) : undefined;
      out.push({
        id, kind: "disk", bus: disk.bus, format: disk.format, file: disk.file, datastore: disk.datastore ?? entry.datastore, path, readonly: disk.readonly,
        ...(info ? { virtualSizeBytes: info.virtualSize, allocatedBytes: info.actualSize } : {}),
        ...(info?.backingFile ? { backingFile: info.backingFile } : {}),
      });
    }
    for (const [id, cdrom] of Object.entries(def.cdroms).filter(wanted)) {
      out.push({
        id, kind: "cdrom", bus: cdrom.bus, datastore: cdrom.datastore ?? entry.datastore, readonly: true,
        ...(cdrom.iso ? { file: cdrom.iso, path: this.resolve(entry, cdrom.datastore, cdrom.iso) } : {}),
      });
    }
    return out;
  }

  /** Adds a disk: a new image (size) or an existing file; hot-plugged when the VM runs (virtio only). */
  /** `authorize`: refuses the file the disk will be (exactly the resolved name) if its requester may not give it to the VM. */
  private async addNow(name: string, request: DiskAddRequest, authorize?: DiskAuthorizer): Promise<DiskInfo> {
    const { entry, def, proc } = this.prepare(name);
    const taken = new Set([...Object.keys(def.disks), ...Object.keys(def.cdroms)]);
    let id = request.id;
    if (id === undefined) for (let n = 0; id === undefined || taken.has(id); n++) id = `disk${n}`;
    if (taken.has(id)) throw new VmctlError("bad_request", `"${name}" already has a device "${id}"; choose another id`, { field: "id" });
    const bus = request.bus ?? "virtio";
    if (proc && bus !== "virtio") throw new VmctlError("vm_wrong_state", `only virtio disks hot-plug into a running VM; use bus "virtio", or stop "${name}" to add a ${bus} disk`, { field: "bus" });
    const format = request.format ?? (request.file && /\.(img|raw)$/i.test(request.file) ? "raw" : "qcow2");
    const file = request.file ?? defaultDiskFile(name, id, format);
    const path = this.resolve(entry, request.datastore, file);
    const sizeBytes = request.size === undefined ? undefined : parseSize(request.size) ?? 0;
    if (sizeBytes !== undefined && sizeBytes < 1024 ** 2) {
      throw new VmctlError("bad_request", `size "${request.size}" is not a usable disk size; at least 1MiB, e.g. "10GiB"`, { field: "size" });
    }
    const users = [...new Set(usesOfPath(path, this.inventory.list(), this.datastores).filter((u) => u.vm !== name && u.use.startsWith("disks.")).map((u) => u.vm))];
    if (users.length > 0 && !request.readonly) {
      throw new VmctlError("in_use", `"${file}" is a disk of ${users.map((u) => `"${u}"`).join(", ")}; two VMs writing one image corrupt it. Attach it readonly, or clone the VM`, { vms: users });
    }
    const exists = existsSync(path);
    // An image already at the default name is attached only when named: "file" is what gets checked and shown.
    if (exists && request.file === undefined) {
      throw new VmctlError("file_exists", `"${file}" already exists; give "file" to attach an existing image, or choose another id`, { field: "id", file });
    }
    await authorize?.({ datastore: request.datastore ?? entry.datastore, file, mode: request.readonly ? "read" : "write", format });
    const reverter = new Reverter();
    try {
      if (!exists) {
        if (sizeBytes === undefined) throw new VmctlError("bad_request", `"${file}" does not exist; give a size to create it, e.g. "size": "10GiB"`, { field: "size" });
        await makePrivateDir(dirname(path), { recursive: true });
        await createImage(path, format, sizeBytes);
        await makeFilePrivate(path);
        reverter.add(() => rm(path, { force: true }));
      } else {
        // An existing image is read in its declared format with every file it names inside a datastore.
        await assertImageTrusted(path, format, vmDiskScope(this.datastores, this.inventory.list(), name), `disk "${file}"`);
      }
      if (proc) {
        await this.hostFiles.give({ path, writable: !(request.readonly ?? false), field: "file", format }, this.datastores);
        await proc.hotplugDisk({ id, path, format, readonly: request.readonly ?? false, machine: def.machine });
        reverter.add(() => proc.unplugDisk(id).catch(() => {}));
      }
      const disk: Record<string, unknown> = { file, bus, format };
      if (request.datastore) disk.datastore = request.datastore;
      if (request.size) disk.size = request.size;
      if (request.readonly) disk.readonly = true;
      await this.writeDefinition(entry, (doc) => { doc.disks = { ...doc.disks, [id]: disk as never }; });
      reverter.success();
    } catch (error) {
      await reverter.revert();
      throw error;
    }
    this.events.record("vm.disk_added", name, { disk: id, file, live: proc !== undefined });
    return (await this.list(name, id))[0]!;
  }

  /** Detaches a disk (hot-unplugged when running); with deleteFile also deletes an image in the VM's folder. */
  private async detachNow(name: string, id: string, deleteFile: boolean): Promise<{ deleted: string | null }> {
    const { entry, def, proc } = this.prepare(name);
    const disk = def.disks[id];
    if (!disk) throw new VmctlError("disk_not_found", `"${name}" has no disk "${id}"; it has ${Object.keys(def.disks).map((d) => `"${d}"`).join(", ") || "none"}`);
    const path = this.resolve(entry, disk.datastore, disk.file);
    if (deleteFile && relative(entry.dir, path).split(sep)[0] === "..") {
      throw new VmctlError("bad_request", `"${disk.file}" lies outside the VM's folder and may be shared; detach it without delete and remove it from the datastore yourself`, { field: "delete" });
    }
    if (proc) {
      if (disk.bus !== "virtio") throw new VmctlError("vm_wrong_state", `disk "${id}" is on ${disk.bus}, which does not hot-unplug; stop "${name}" to detach it`);
      await proc.unplugDisk(id);
      if (!disk.readonly) await this.hostFiles.takeBackOne(path);
    }
    await this.writeDefinition(entry, (doc) => {
      const disks = { ...doc.disks };
      delete disks[id];
      doc.disks = disks;
      if (doc.boot?.order) doc.boot = { ...doc.boot, order: doc.boot.order.filter((d) => d !== id) };
    });
    if (deleteFile) await rm(path, { force: true });
    this.events.record("vm.disk_detached", name, { disk: id, deleted: deleteFile, live: proc !== undefined });
    return { deleted: deleteFile ? path : null };
  }

  /** Grows a disk; live through block_resize when the VM runs. */
  private async resizeNow(name: string, id: string, size: string): Promise<DiskInfo> {
    const { entry, def, proc } = this.prepare(name);
    const disk = def.disks[id];
    if (!disk) throw new VmctlError("disk_not_found", `"${name}" has no disk "${id}"`);
    const bytes = parseSize(size);
    if (bytes === null) throw new VmctlError("bad_request", `size "${size}" is not a size; write e.g. "20GiB"`, { field: "size" });
    const path = this.resolve(entry, disk.datastore, disk.file);
    // qemu-img resize opens the backing chain (a definition edited by hand may name any image): all
    // of it is checked, and read as the QEMU user, which owns the image while it grows it.
    const image = { path, format: disk.format, scope: vmDiskScope(this.datastores, this.inventory.list(), name), label: `disks.${id}.file "${disk.file}"`, write: proc === undefined, chain: proc === undefined };
    const current = await onVmImageAsQemu(image, async (runAs) => {
      const now = (await imageInfo(path, disk.format, { shared: proc !== undefined, runAs })).virtualSize;
      if (bytes <= now) throw new VmctlError("bad_request", `disks only grow: "${id}" is ${now} bytes and ${size} is not larger (shrinking would cut the guest's filesystem)`, { field: "size", currentBytes: now });
      if (!proc) await resizeImage(path, disk.format, bytes, runAs);
      return now;
    });
    if (proc) await proc.resizeDisk(id, bytes);
    await this.writeDefinition(entry, (doc) => { doc.disks = { ...doc.disks, [id]: { ...doc.disks![id]!, size } }; });
    this.events.record("vm.disk_resized", name, { disk: id, fromBytes: current, toBytes: bytes, live: proc !== undefined });
    return (await this.list(name, id))[0]!;
  }

  /** Puts an ISO into a CD-ROM drive (or ejects with iso null), live when the VM runs. */
  private async setMediumNow(name: string, id: string, iso: string | null, datastore?: string): Promise<DiskInfo> {
    const { entry, def, proc } = this.prepare(name);
    if (!def.cdroms[id]) {
      throw new VmctlError("disk_not_found", `"${name}" has no CD-ROM drive "${id}"; it has ${Object.keys(def.cdroms).map((d) => `"${d}"`).join(", ") || "none"}. Add one with \`vmctl cdrom add ${name}\` while it is stopped`);
    }
    const path = iso === null ? null : this.resolve(entry, datastore, iso);
    if (path !== null && !existsSync(path)) throw new VmctlError("bad_request", `"${iso}" does not exist in datastore "${datastore ?? entry.datastore}"; \`vmctl iso ls\` lists the ISOs`, { field: "iso" });
    if (proc && path !== null) await this.hostFiles.give({ path, writable: false, field: "iso" }, this.datastores);
    if (proc) await proc.changeMedium(id, path);
    await this.writeDefinition(entry, (doc) => {
      const cdrom: Record<string, unknown> = { ...doc.cdroms![id] };
      delete cdrom.iso;
      delete cdrom.datastore;
      if (iso !== null) cdrom.iso = iso;
      if (iso !== null && datastore) cdrom.datastore = datastore;
      doc.cdroms = { ...doc.cdroms, [id]: cdrom };
    });
    this.events.record(iso === null ? "vm.cdrom_ejected" : "vm.cdrom_inserted", name, { cdrom: id, iso, live: proc !== undefined });
    return (await this.list(name, id))[0]!;
  }

  /** Adds an empty (or loaded) CD-ROM drive to a stopped VM: IDE/SATA drives do not hot-plug. */
  private async addCdromNow(name: string, request: { id?: string; bus?: "sata" | "ide" | "scsi"; iso?: string; datastore?: string }): Promise<DiskInfo> {
    const { entry, def, proc } = this.prepare(name);
    if (proc) throw new VmctlError("vm_wrong_state", `a CD-ROM drive cannot be added to a running VM; stop "${name}" first (a drive present at boot takes media at any time)`);
    const taken = new Set([...Object.keys(def.disks), ...Object.keys(def.cdroms)]);
    let id = request.id;
    if (id === undefined) for (let n = 0; id === undefined || taken.has(id); n++) id = `cdrom${n}`;
    if (taken.has(id)) throw new VmctlError("bad_request", `"${name}" already has a device "${id}"`, { field: "id" });
    if (request.iso && !existsSync(this.resolve(entry, request.datastore, request.iso))) throw new VmctlError("bad_request", `"${request.iso}" does not exist`, { field: "iso" });
    const cdrom: Record<string, unknown> = {};
    if (request.bus) cdrom.bus = request.bus;
    if (request.iso) cdrom.iso = request.iso;
    if (request.datastore) cdrom.datastore = request.datastore;
    await this.writeDefinition(entry, (doc) => { doc.cdroms = { ...doc.cdroms, [id]: cdrom }; });
    this.events.record("vm.cdrom_added", name, { cdrom: id });
    return (await this.list(name, id))[0]!;
  }

  private async writeDefinition(entry: InventoryEntry, mutate: DefinitionMutator): Promise<void> {
    await this.definitions.edit(entry.name, mutate);
  }
}
