// Taking a VM out as an OVA: each disk converted to a stream-optimized VMDK (what VMware imports),
// a VMware-style OVF descriptor that also carries the vmctl definition, and a SHA-256 manifest,
// streamed as one tar. The conversion is a task that holds the VM "exporting"; the stream follows.
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { VmDefinition } from "@vmctl/api-types";
import { assertImageTrusted, vmDiskScope } from "./image-trust.js";
import { makePrivateDir } from "./private-files.js";
import { convertAsQemu } from "./qemu-img-sandbox.js";
import { createOva } from "@vmctl/ovf";
import { beforeLastChunk } from "./last-chunk-gate.js";
import type { StorageDeps } from "./storage-deps.js";

export type ExportDeps = Omit<StorageDeps, "power">;

export interface PreparedExport { name: string; size: number; stream: Readable; taskId: string; done: (ok: boolean, error?: Error) => void }

export class ExportService {
  constructor(private readonly deps: ExportDeps) {}

  /** Converts the disks (a task with progress) and answers with the OVA's stream; `done` ends the task. */
  async prepare(name: string, user: string): Promise<PreparedExport> {
    const entry = this.deps.inventory.get(name);
    const def: VmDefinition = this.deps.inventory.definition(name);
    this.deps.lifecycle.assertAllowed(name, "export");
    const staging = join(entry.dir, `.export-${randomUUID()}`);
    let finish: (ok: boolean, error?: Error) => void = () => {};
    const ended = new Promise<void>((resolve, reject) => { finish = (ok, error) => (ok ? resolve() : reject(error ?? new Error("the download was interrupted"))); });
    let ready!: (value: PreparedExport | Error) => void;
    const prepared = new Promise<PreparedExport | Error>((resolve) => { ready = resolve; });
    const task = this.deps.tasks.run("vm.export", `vm/${name}`, user, async (ctx) => {
      let release = () => {};
      try {
        // The VM shows "exporting" while its disks are read: it cannot start or change meanwhile.
        release = await this.deps.lifecycle.hold(name, "export");
        // Root's, and passable (not writable) for the QEMU user, whose qemu-img fills the targets vmctld makes there.
        await makePrivateDir(staging);
        const disks = Object.entries(def.disks);
        const disksOut = [];
        for (const [index, [id, disk]] of disks.entries()) {
          const source = this.deps.datastores.resolve(disk.datastore ?? entry.datastore, disk.file);
          const target = join(staging, `${id}.vmdk`);
          // The OVA is downloadable: what qemu-img reads (the whole backing chain) must lie in a datastore.
          const label = `disks.${id}.file "${disk.file}"`;
          const scope = vmDiskScope(this.deps.datastores, this.deps.inventory.list(), name, "an exported disk may only read files in a datastore");
          const read = await assertImageTrusted(source, disk.format, scope, label);
          ctx.log(`disk ${id}: converting to a stream-optimized VMDK`);
          // As the QEMU user (its QEMU may have rewritten the header), lent the files just listed.
          const { virtualSize } = await convertAsQemu({
            source, sourceFormat: disk.format, files: read, roots: scope.roots, target, targetFormat: "vmdk", targetOptions: "subformat=streamOptimized",
            label, purpose: "exports VM disks", signal: ctx.signal,
            onProgress: (p) => ctx.progress(Math.min(90, ((index + p / 100) / Math.max(1, disks.length)) * 90)),
          });
          disksOut.push({ id, path: target, capacityBytes: virtualSize });
        }
        const ova = await createOva({ definition: def, definitionToml: entry.text, disks: disksOut });
        ctx.log(`sending ${ova.name} (${ova.size} bytes)`);
        release();
        // Success is recorded before the last byte goes out: a client that has every byte reads the task ended.
        const stream = beforeLastChunk(ova.stream, async () => { finish(true); await this.deps.tasks.wait(ctx.id, 60_000); });
        ready({ ...ova, stream, taskId: ctx.id, done: finish });
        await ended;
        ctx.progress(100);
        this.deps.events.record("vm.exported", name, {});
      } catch (error) {
        ready(error as Error);
        throw error;
      } finally {
        release();
        await rm(staging, { recursive: true, force: true });
      }
    });
    const result = await prepared;
    if (result instanceof Error) throw result;
    return { ...result, taskId: task.id };
  }
}
