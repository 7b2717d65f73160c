// What the power and disk services do to the host's files around a VM's process (vm-sandbox.ts: the
// QEMU user's ownership of disks and run dir), behind one small interface so that unit tests of the
// power logic pass a fake and touch no owner or mode.
import type { VmDefinition } from "@vmctl/api-types";
import type { QemuRunAs } from "@vmctl/qemu";
import { giveToQemu, lockRunDir, prepareForQemu, qemuSockets, takeBackFromQemu, takeBackOneFromQemu, type QemuFile } from "./vm-sandbox.js";
import type { Datastores } from "./datastores.js";

export interface VmHostFiles {
  /** Gives the VM's process its files and run dir before a start; says whom it runs as. */
  prepare(def: VmDefinition, datastores: Datastores, datastore: string, vmDir: string, runDir: string): Promise<QemuRunAs | null>;
  /** Takes the run dir back once the process made its sockets (def: those it was told to make; none: a re-attach). */
  lockRunDir(runDir: string, pid: number, def?: VmDefinition): Promise<void>;
  /** After the process exited: its writable files are root's again. */
  takeBack(def: VmDefinition, resolve: (datastore: string | undefined, path: string) => string): Promise<void>;
  /** One file given to the running process right before it opens it (a hot-plugged disk, an ISO). */
  give(file: QemuFile, datastores: Datastores): Promise<void>;
  /** One file the running process let go of (a hot-unplugged disk). */
  takeBackOne(path: string): Promise<void>;
}

export const qemuHostFiles: VmHostFiles = {
  prepare: prepareForQemu,
  lockRunDir: (runDir, pid, def) => lockRunDir(runDir, def ? { pid, sockets: qemuSockets(def) } : { pid }),
  takeBack: takeBackFromQemu,
  give: giveToQemu,
  takeBackOne: takeBackOneFromQemu,
};
