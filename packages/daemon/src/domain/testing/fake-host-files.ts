// VmHostFiles for unit tests: records what would be given to the QEMU user and taken back, and
// changes no owner or mode (the real ones, vm-sandbox.ts, are exercised by the system tests).
import type { VmHostFiles } from "../vm-host-files.js";

export class FakeHostFiles implements VmHostFiles {
  readonly log: string[] = [];
  async prepare(_def: unknown, _datastores: unknown, _datastore: string, _vmDir: string, runDir: string) { this.log.push(`prepare ${runDir}`); return null; }
  async lockRunDir(runDir: string, pid: number) { this.log.push(`lock ${runDir} ${pid}`); }
  async takeBack(def: { name: string }) { this.log.push(`take back ${def.name}`); }
  async give(file: { path: string }) { this.log.push(`give ${file.path}`); }
  async takeBackOne(path: string) { this.log.push(`take back ${path}`); }
}
