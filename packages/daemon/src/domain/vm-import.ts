// Bringing VMs in: an OVA (uploaded, or a file in a datastore), an OVF folder, or a libvirt domain
// XML. The package is unpacked into a hidden staging folder of the target datastore, its descriptor
// becomes a vmctl definition, and every disk is converted to qcow2 with qemu-img as a task, qemu-img
// running as the QEMU user (qemu-img-sandbox.ts).
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { parse as parseToml } from "smol-toml";
import { VmctlError, type Task, type VmDefinition, type VmDefinitionInput } from "@vmctl/api-types";
import { validateDefinition } from "@vmctl/definition";
import { createImage } from "@vmctl/qemu";
import { extractOva, readOvfFolder, parseLibvirtDomain, type ImportedVm, type OvfPackage } from "@vmctl/ovf";
import type { TaskContext } from "./task-manager.js";
import type { VmPreparer } from "./vm-prepare.js";
import { editDefinitionText, renderDefinition } from "./definition-store.js";
import { Reverter } from "./reverter.js";
import { startAfter } from "./vm-clone.js";
import { assertImageTrusted, datastoreScope, importFormat, packageScope, type TrustScope } from "./image-trust.js";
import type { StorageDeps } from "./storage-deps.js";
import { makePrivateDir } from "./private-files.js";
import { markFinished, markUnfinished } from "./unfinished-vm-folders.js";
import { assertQemuReaches, convertForImport } from "./qemu-img-sandbox.js";
import { qemuRunAs } from "./vm-sandbox.js";

export interface ImportDeps extends StorageDeps {
  prepare: VmPreparer;
  maxUploadBytes: () => number;
}

export interface ImportOptions {
  /** The new VM's name (default: the name in the descriptor, made valid). */
  name?: string;
  /** Where the VM goes (default "local"). */
  datastore?: string;
  start?: boolean;
  /** Refuses the datastore files a libvirt domain names that its requester may not read (another VM's disk). */
  authorizeFiles?: (paths: string[]) => Promise<void>;
  /**
   * Refuses a definition naming files its requester may not give a VM: an OVA's own vmctl section
   * may name any datastore file as a CD-ROM, kernel or initrd (another VM's disk, say).
   */
  authorizeDefinition?: (def: VmDefinition, datastore: string, dir: string) => Promise<void>;
}

/** A package already on the host: an .ova, an .ovf (its folder is the package) or a libvirt .xml. */
export interface ImportSource { datastore: string; path: string }

const MIB = 1024 ** 2;
const NAME_HINT = 'give the import another name ("name")';

/** A descriptor's VM name as a vmctl name: lower case, invalid characters as '-'. */
export function vmctlName(name: string): string {
  const cleaned = name.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").replace(/^[^a-z0-9]+/, "").slice(0, 63);
  return cleaned || "imported";
}

export class ImportService {
  constructor(private readonly deps: ImportDeps) {}

  /** An OVA arriving as the request body: unpacked while the request lasts, converted in the task. */
  async fromUpload(body: Readable, declaredBytes: number | undefined, options: ImportOptions, user: string): Promise<Task> {
    const datastore = options.datastore ?? "local";
    const root = this.deps.datastores.root(datastore);
    if (options.name) this.deps.inventory.assertNameFree(options.name, NAME_HINT);
    const limit = this.deps.maxUploadBytes();
    if (declaredBytes !== undefined && declaredBytes > limit) throw new VmctlError("payload_too_large", `the OVA is ${declaredBytes} bytes; the upload limit (max_upload_size) is ${limit}`);
    // Unpacked, then converted: the OVA's size twice, as a floor (qcow2 of sparse disks is smaller).
    const { freeBytes } = this.deps.datastores.describeOne(datastore);
    if (declaredBytes !== undefined && declaredBytes * 2 > freeBytes) {
      throw new VmctlError("payload_too_large", `importing this ${declaredBytes}-byte OVA needs about ${declaredBytes * 2} bytes in datastore "${datastore}", which has ${freeBytes} free; free some space or import into another datastore (?datastore=)`, { needed: declaredBytes * 2, free: freeBytes });
    }
    const staging = join(root, `.import-${randomUUID()}`);
    await makePrivateDir(staging);
    let pkg: OvfPackage;
    // The tar reader stops at the archive's end marker and would destroy what it reads from (the
    // request, and with it the socket): it reads a pass-through, and the rest of the body (tar's
    // record padding) is drained here.
    const pass = new PassThrough();
    body.pipe(pass);
    try {
      pkg = await extractOva(pass, staging, { maxBytes: limit });
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    } finally {
      body.unpipe(pass);
      body.resume();
    }
    return this.run(pkg.vm, pkg.files, staging, options, user, "uploaded OVA", () => packageScope(staging));
  }

  /** A package in a datastore; an OVA is unpacked into staging before the task answers, its disks converted in the task. */
  async fromDatastore(source: ImportSource, options: ImportOptions, user: string): Promise<Task> {
    const path = this.deps.datastores.resolve(source.datastore, source.path);
    if (!existsSync(path)) throw new VmctlError("bad_request", `"${source.path}" does not exist in datastore "${source.datastore}"`, { field: "path" });
    if (options.name) this.deps.inventory.assertNameFree(options.name, NAME_HINT);
    const root = this.deps.datastores.root(options.datastore ?? "local");
    if (/\.ova$/i.test(path)) {
      const staging = join(root, `.import-${randomUUID()}`);
      await makePrivateDir(staging);
      try {
        const pkg = await extractOva(path, staging, { maxBytes: (await stat(path)).size * 2 });
        return await this.run(pkg.vm, pkg.files, staging, options, user, source.path, () => packageScope(staging));
      } catch (error) {
        await rm(staging, { recursive: true, force: true });
        throw error;
      }
    }
    if (/\.ovf$/i.test(path)) {
      const pkg = await readOvfFolder(dirname(path));
      // The package's files are datastore files (another VM's folder, when the .ovf lies at the
      // root or beside it): each, and every file their images read, must be one the requester may read.
      await options.authorizeFiles?.(Object.values(pkg.files));
      return this.run(pkg.vm, pkg.files, null, options, user, source.path, () => packageScope(dirname(path)), options.authorizeFiles);
    }
    if (/\.xml$/i.test(path)) {
      const vm = parseLibvirtDomain(await readFile(path, "utf8"));
      // A libvirt domain names host paths: only files inside a datastore may be read, or an import
      // would copy any file of the host (say /etc/shadow) into a disk its user can download.
      const files: Record<string, string> = {};
      for (const href of [...vm.disks.map((d) => d.fileHref), ...vm.cdroms.map((c) => c.fileHref), vm.boot?.kernel, vm.boot?.initrd]) {
        if (href === undefined) continue;
        try {
          files[href] = this.deps.datastores.resolve(undefined, href);
        } catch {
          throw new VmctlError("path_outside_datastore", `the domain refers to "${href}", which is outside every datastore; copy it into one (or add its folder as a datastore) and import again`, { file: href });
        }
        if (!existsSync(files[href]!)) throw new VmctlError("bad_request", `the domain refers to "${href}", which does not exist`, { file: href });
      }
      await options.authorizeFiles?.(Object.values(files));
      // The domain's disks are host files already: each may read only what lies in a datastore.
      return this.run(vm, files, null, options, user, source.path, () => datastoreScope(this.deps.datastores, "a disk imported from a libvirt domain may only read files in a datastore"), options.authorizeFiles);
    }
    throw new VmctlError("bad_request", `"${source.path}" is not an .ova, .ovf or libvirt .xml file`, { field: "path" });
  }

  /** `authorizeRead`: for packages of datastore files, checks every file the conversion reads (backing files too). */
  private async run(vm: ImportedVm, files: Record<string, string>, staging: string | null, options: ImportOptions, user: string, from: string, scopeOf: () => TrustScope, authorizeRead?: (paths: string[]) => Promise<void>): Promise<Task> {
    const name = options.name ?? vmctlName(vm.name);
    const datastore = options.datastore ?? "local";
    let scope: TrustScope;
    let input: VmDefinitionInput;
    try {
      this.deps.inventory.assertNameFree(name, NAME_HINT);
      // Refused before the task exists, so the request itself fails (and is audited as refused).
      scope = scopeOf();
      const read = await checkImages(vm, files, scope, join(this.deps.datastores.root(datastore), name));
      await authorizeRead?.(read);
      input = this.definitionFor(vm, name);
      await options.authorizeDefinition?.(validateDefinition(input), datastore, join(this.deps.datastores.root(datastore), name));
    } catch (error) {
      if (staging) await rm(staging, { recursive: true, force: true });
      throw error;
    }
    return this.deps.tasks.run("vm.import", `vm/${name}`, user, async (ctx) => {
      try {
        ctx.log(`importing ${vm.source === "ovf" ? "OVF" : "libvirt"} VM "${vm.name}" from ${from} as "${name}"`);
        for (const warning of vm.warnings) ctx.log(`note: ${warning}`);
        await this.make(vm, input, files, name, datastore, ctx, scope);
      } finally {
        if (staging) await rm(staging, { recursive: true, force: true });
      }
      if (options.start) startAfter(this.deps.power, name, user, ctx);
    });
  }

  private async make(vm: ImportedVm, input: VmDefinitionInput, files: Record<string, string>, name: string, datastore: string, ctx: TaskContext, scope: TrustScope): Promise<void> {
    const dir = join(this.deps.datastores.root(datastore), name);
    const reverter = new Reverter();
    try {
      await makePrivateDir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "EEXIST") throw new VmctlError("file_exists", `folder "${dir}" already exists; move it away or import under another name`);
        throw error;
      });
      reverter.add(() => rm(dir, { recursive: true, force: true }));
      await markUnfinished(dir);
      this.deps.inventory.claim(name, datastore); // a shared datastore: this host owns the imported VM
      const sources = vm.disks.map((disk) => (disk.fileHref ? files[disk.fileHref] : undefined));
      const sizes = await Promise.all(sources.map(async (path) => (path ? (await stat(path)).size : 0) || 1));
      const total = sizes.reduce((a, b) => a + b, 0);
      let done = 0;
      for (const [index, disk] of vm.disks.entries()) {
        const target = join(dir, `${disk.id}.qcow2`);
        const source = sources[index];
        if (source) {
          ctx.log(`disk ${disk.id}: converting ${basename(source)} (${disk.format}) to qcow2`);
          // Checked again right before qemu-img reads it: the files may have changed since the request.
          const label = diskLabel(disk.fileHref ?? source);
          const sourceFormat = importFormat(disk.format, label);
          const read = await assertImageTrusted(source, sourceFormat, scope, label);
          // As the QEMU user, lent exactly the files just listed: qemu-img parses what came from outside.
          await convertForImport({
            source, sourceFormat, files: read, roots: scope.roots, target, targetFormat: "qcow2", label, signal: ctx.signal,
            onProgress: (p) => ctx.progress(Math.min(99, ((done + (sizes[index]! * p) / 100) / total) * 100)),
          });
        } else {
          ctx.log(`disk ${disk.id}: a new empty disk of ${disk.capacityBytes} bytes`);
          await createImage(target, "qcow2", Math.max(disk.capacityBytes, MIB));
        }
        done += sizes[index]!;
        input.disks![disk.id] = { ...input.disks![disk.id]!, file: `${name}/${disk.id}.qcow2`, format: "qcow2" };
      }
      for (const cdrom of vm.cdroms) {
        const source = cdrom.fileHref ? files[cdrom.fileHref] : undefined;
        if (!source) continue;
        const label = `CD-ROM "${cdrom.fileHref}"`;
        const read = await assertImageTrusted(source, "raw", { ...scope, exactFormat: false }, label);
        await convertForImport({ source, sourceFormat: "raw", files: read, roots: scope.roots, target: join(dir, `${cdrom.id}.iso`), targetFormat: "raw", label, signal: ctx.signal });
      }
      const rendered = renderDefinition(input);
      const text = this.deps.prepare.allocateUuid(this.deps.prepare.allocateMacs(rendered.text, rendered.def), rendered.def, { fresh: true });
      await this.deps.definitions.write(name, datastore, text);
      await markFinished(dir);
      reverter.success();
    } catch (error) {
      await reverter.revert();
      this.deps.inventory.forget(name);
      throw error;
    }
    this.deps.lifecycle.created(name);
    this.deps.events.record("vm.imported", name, { from: vm.source, originalName: vm.name });
    ctx.progress(100);
  }

  /** The vmctl definition of an imported VM: vmctl's own (round trip) or one made from the descriptor. */
  private definitionFor(vm: ImportedVm, name: string): VmDefinitionInput {
    const input = this.describedDefinition(vm, name);
    // A CD-ROM whose image comes in the package is copied into the new VM's folder (make, below).
    for (const cdrom of vm.cdroms) if (cdrom.fileHref) input.cdroms = { ...input.cdroms, [cdrom.id]: { ...input.cdroms?.[cdrom.id], iso: `${name}/${cdrom.id}.iso` } };
    return input;
  }

  private describedDefinition(vm: ImportedVm, name: string): VmDefinitionInput {
    if (vm.vmctlToml) {
      const { text } = editDefinitionText(vm.vmctlToml, (doc) => {
        doc.name = name;
        delete doc.template;
        // The source may still exist on this host: new MACs, and the disks made below.
        for (const nic of Object.values(doc.nics ?? {})) nic.mac = "auto";
        const disks: NonNullable<VmDefinitionInput["disks"]> = {};
        for (const disk of vm.disks) {
          const old = doc.disks?.[disk.id];
          disks[disk.id] = { file: `${name}/${disk.id}.qcow2`, format: "qcow2", ...(old?.bus ? { bus: old.bus } : {}), ...(old?.readonly ? { readonly: true } : {}) };
        }
        doc.disks = disks;
        if (doc.boot?.order) doc.boot = { ...doc.boot, order: doc.boot.order.filter((id) => disks[id] || doc.cdroms?.[id]) };
      });
      return parseToml(text) as VmDefinitionInput;
    }
    const taken = new Set(this.deps.inventory.list().flatMap((e) => Object.values(e.def?.nics ?? {}).map((n) => n.mac)));
    const input: VmDefinitionInput = {
      name,
      description: (vm.description ? `${vm.description} ` : "") + `(imported from ${vm.source === "ovf" ? "OVF" : "libvirt"} "${vm.name}")`.slice(0, 1024),
      cpus: Math.min(256, Math.max(1, vm.cpus)),
      memory: `${Math.max(16, Math.ceil(vm.memoryBytes / MIB))}MiB`,
      machine: vm.machine ?? "q35",
      firmware: vm.firmware,
      disks: Object.fromEntries(vm.disks.map((d) => [d.id, { file: `${name}/${d.id}.qcow2`, bus: busFor(d.bus, vm) }])),
      cdroms: Object.fromEntries(vm.cdroms.map((c) => [c.id, { bus: c.bus }])),
      nics: Object.fromEntries(vm.nics.map((n) => [n.id, { model: n.model, mac: n.mac && !taken.has(n.mac) ? n.mac : "auto" }])),
      console: { serial: true, vnc: true },
    };
    if (vm.boot?.kernel) input.boot = { kernel: vm.boot.kernel, ...(vm.boot.initrd ? { initrd: vm.boot.initrd } : {}), ...(vm.boot.cmdline ? { cmdline: vm.boot.cmdline } : {}) };
    return input;
  }
}

const diskLabel = (file: string) => `disk "${file}"`;

/**
 * Every disk of the package read in its declared format with every file it reads inside the scope;
 * ISOs are copied as raw bytes, so only their own place matters. Each file, and the target in the
 * VM's folder, must be reachable by the QEMU user, which converts them.
 */
async function checkImages(vm: ImportedVm, files: Record<string, string>, scope: TrustScope, vmDir: string): Promise<string[]> {
  const all: string[] = [];
  // A root vmctld without the QEMU user refuses now: it never converts an import as root.
  if (vm.disks.some((disk) => disk.fileHref) || vm.cdroms.some((cdrom) => cdrom.fileHref)) qemuRunAs();
  for (const disk of vm.disks) {
    const source = disk.fileHref ? files[disk.fileHref] : undefined;
    if (!source) continue;
    const label = diskLabel(disk.fileHref!);
    const read = await assertImageTrusted(source, importFormat(disk.format, label), scope, label);
    all.push(...read.map((file) => file.path));
    await assertQemuReaches([...read.map((file) => file.path), join(vmDir, `${disk.id}.qcow2`)], label);
  }
  for (const cdrom of vm.cdroms) {
    const source = cdrom.fileHref ? files[cdrom.fileHref] : undefined;
    if (!source) continue;
    const label = `CD-ROM "${cdrom.fileHref}"`;
    const read = await assertImageTrusted(source, "raw", { ...scope, exactFormat: false }, label);
    all.push(...read.map((file) => file.path));
    await assertQemuReaches([...read.map((file) => file.path), join(vmDir, `${cdrom.id}.iso`)], label);
  }
  return [...new Set(all)];
}

/**
 * A foreign VM's disk bus. VMware's SCSI controllers (LSI Logic, PVSCSI) have no equal that every
 * guest carries a driver for: SATA (AHCI) does, Windows included, so SCSI disks come over on SATA
 * while the q35's six ports last; virtio-scsi after that. Switch to virtio once the guest has drivers.
 */
function busFor(bus: ImportedVm["disks"][number]["bus"], vm: ImportedVm): "virtio" | "sata" | "scsi" | "ide" {
  if (bus !== "scsi" || vm.source !== "ovf") return bus;
  const sataDevices = vm.disks.filter((d) => d.bus === "scsi" || d.bus === "sata").length + vm.cdroms.filter((c) => c.bus !== "scsi").length;
  return (vm.machine ?? "q35") === "q35" && sataDevices <= 6 ? "sata" : "scsi";
}
