// The target side of a live migration (POST /api/v1/migrations/incoming): the VM's folder is on a
// shared datastore, visible here and owned by the source. A QEMU is started for it with -incoming
// defer and listens on a free TCP port; the answer gives the source that uri. When the stream
// completes the guest runs at once (QEMU's switch-over), this host writes itself into the folder's owner file,
// and the running QEMU joins the inventory as any VM's (the power controller re-attaches it).
// Until then the VM is no VM of this host: nothing lists, starts or changes it.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { VmctlError, type IncomingMigrationAnswer, type IncomingMigrationRequest, type MigrationState, type MigrationStatus, type VmDefinition } from "@vmctl/api-types";
import { parseDefinitionToml } from "@vmctl/definition";
import { MigrationCancelled, type Accel, type VmDriver, type VmHandle } from "@vmctl/qemu";
import { readOwner, writeOwner } from "../cluster/vm-ownership.js";
import type { Datastores } from "./datastores.js";
import type { EventLog } from "./event-log.js";
import type { Inventory } from "./inventory.js";
import type { PowerController, VmNics } from "./vm-power.js";
import type { VmHostFiles } from "./vm-host-files.js";
import { removeCloudInitSeed, writeCloudInitSeed } from "./cloud-init.js";
import { assertImageTrusted, vmDiskScope } from "./image-trust.js";
import { assertMacsFreeHere, assertTargetHasFiles, assertTargetHasNetworks } from "./vm-migration-checks.js";

export interface MigrateInDeps {
  hostId: string;
  inventory: Inventory;
  datastores: Datastores;
  events: EventLog;
  power: Pick<PowerController, "reconcile">;
  driver: VmDriver;
  hostFiles: VmHostFiles;
  nics: VmNics;
  hasNetwork: (network: string) => boolean;
  accelerator: () => Promise<{ accel: Accel }>;
  /** The folder of every VM's run dir (vmctld.toml's run_dir). */
  runDir: string;
  /** The address this host's QEMU listens on for a migration stream (the source connects to it). */
  migrationAddress: string;
  log: Logger;
}

interface Incoming {
  id: string;
  name: string;
  uuid: string;
  datastore: string;
  dir: string;
  source: string | null;
  state: MigrationState;
  error?: string;
  handle?: VmHandle;
  def?: VmDefinition;
  abort: AbortController;
  endedAt?: number;
  /** When the VM started on the source (its uptime goes on here). */
  startedAt?: string;
}

/** How long an ended incoming migration stays readable (GET /migrations/{id}). */
const KEEP_ENDED_MS = 60 * 60_000;
const ENDED: readonly MigrationState[] = ["completed", "failed", "cancelled"];

export class MigrateIn {
  private readonly incoming = new Map<string, Incoming>();

  constructor(private readonly deps: MigrateInDeps) {}

  /** Names a migration in progress holds here (not in the inventory yet): no VM may take them meanwhile. */
  reserved(name: string): boolean {
    return [...this.incoming.values()].some((m) => m.name === name && !ENDED.includes(m.state));
  }

  status(id: string): MigrationStatus {
    const m = this.find(id);
    return { id: m.id, name: m.name, state: m.state, ...(m.error !== undefined ? { error: m.error } : {}) };
  }

  /** DELETE: ends a migration that has not completed (its QEMU is killed); a completed one is the VM's now. */
  async cancel(id: string): Promise<MigrationStatus> {
    const m = this.find(id);
    if (m.state === "completed") throw new VmctlError("vm_wrong_state", `the incoming migration ${id} of "${m.name}" has completed: the VM runs here now; stop or migrate it as any VM`, { state: m.state });
    if (!ENDED.includes(m.state)) {
      m.abort.abort();
      await this.end(m, "cancelled", "cancelled on this host (DELETE /api/v1/migrations/{id})");
    }
    return this.status(id);
  }

  async prepare(request: IncomingMigrationRequest): Promise<IncomingMigrationAnswer> {
    this.prune();
    const { datastores, inventory } = this.deps;
    const { name, uuid, datastore, startedAt } = request;
    datastores.root(datastore);
    if (!datastores.isShared(datastore)) throw new VmctlError("migration_incompatible", `datastore: "${datastore}" is not shared on this host; a live migration reads the VM's folder from storage both hosts mount (\`shared = true\` under [datastores.${datastore}])`, { field: "datastore" });
    if (this.reserved(name)) throw new VmctlError("vm_exists", `an incoming migration of "${name}" is under way here already`, { field: "name" });
    inventory.assertNameFree(name, "a VM of that name runs here already; rename one of them first");
    if (inventory.list().some((e) => e.def?.uuid === uuid)) throw new VmctlError("vm_exists", `uuid: a VM of this host already has uuid ${uuid}`, { field: "uuid" });
    const dir = inventory.folderOf(name, datastore);
    const owner = readOwner(dir);
    if (owner === this.deps.hostId) throw new VmctlError("bad_request", `"${name}"'s folder names this host as its owner already; nothing to migrate`);
    const def = this.readDefinition(name, uuid, datastore);
    assertTargetHasFiles(name, def, datastore, datastores, { sharedDisks: true });
    assertTargetHasNetworks(name, def, this.deps.hasNetwork);
    assertMacsFreeHere(def, inventory.list());
    const scope = vmDiskScope(datastores, inventory.list(), name);
    for (const [id, disk] of Object.entries(def.disks)) {
      await assertImageTrusted(datastores.resolve(disk.datastore ?? datastore, disk.file), disk.format, scope, `disks.${id}.file "${disk.file}"`);
    }
    const m: Incoming = { id: randomUUID(), name, uuid, datastore, dir, source: owner, state: "waiting", def, abort: new AbortController(), ...(startedAt ? { startedAt } : {}) };
    this.incoming.set(m.id, m);
    try {
      const uri = await this.launch(m, def);
      void this.follow(m);
      return { id: m.id, uri };
    } catch (error) {
      await this.end(m, "failed", (error as Error).message);
      throw error;
    }
  }

  private readDefinition(name: string, uuid: string, datastore: string): VmDefinition {
    const shown = `${name}/${name}.toml`;
    let text: string;
    try {
      text = readFileSync(this.deps.datastores.resolve(datastore, shown), "utf8");
    } catch {
      throw new VmctlError("migration_incompatible", `name: datastore "${datastore}" has no ${shown} on this host; is it the same storage as the source's?`, { field: "name" });
    }
    const def = parseDefinitionToml(text, { file: shown });
    if (def.name !== name) throw new VmctlError("migration_incompatible", `name: ${shown} defines "${def.name}"`, { field: "name" });
    if (def.uuid !== uuid) throw new VmctlError("migration_incompatible", `uuid: ${shown} has uuid ${def.uuid ?? "(none)"}, not ${uuid}; the folder is another VM's`, { field: "uuid" });
    if (def.template) throw new VmctlError("migration_incompatible", `"${name}" is a template: templates never run`);
    return def;
  }

  /** Starts the incoming QEMU (paused, -incoming defer) as a start would, and has it listen; answers the uri. */
  private async launch(m: Incoming, def: VmDefinition): Promise<string> {
    const { datastores, hostFiles } = this.deps;
    const runDir = join(this.deps.runDir, m.name);
    const accel = def.accel === "auto" ? (await this.deps.accelerator()).accel : def.accel;
    await writeCloudInitSeed(def, this.deps.runDir, runDir);
    const nics = await this.deps.nics.attach(m.name, def.uuid, def);
    const plan = this.deps.driver.plan({
      def, runDir, accel, incoming: true, runOnArrival: true, nics,
      resolvePath: (ds, path) => datastores.resolve(ds ?? m.datastore, path),
    });
    const runAs = await hostFiles.prepare(def, datastores, m.datastore, m.dir, runDir);
    m.handle = await plan.launch(runAs);
    await hostFiles.lockRunDir(runDir, m.handle.pid, def);
    if (!m.handle.migration) throw new VmctlError("migration_incompatible", "this host's VM backend cannot receive a live migration");
    const { uri } = await m.handle.migration.listen(this.deps.migrationAddress);
    this.deps.log.info({ vm: m.name, uri, pid: m.handle.pid }, "waiting for an incoming migration");
    return uri;
  }

  /** Waits for the stream; on completion resumes the guest, takes the folder over and hands the QEMU to the power controller. */
  private async follow(m: Incoming): Promise<void> {
    const handle = m.handle!;
    let arrived = false;
    try {
      await handle.migration!.receive(() => { if (m.state === "waiting") m.state = "running"; }, m.abort.signal);
      if (m.abort.signal.aborted) throw new MigrationCancelled();
      // QEMU ran the guest at switch-over if it ran on the source (runOnArrival); a paused one stays paused.
      arrived = true;
      writeOwner(m.dir, this.deps.hostId);
      this.deps.inventory.refresh(m.name, m.datastore);
      handle.detach();
      await this.deps.power.reconcile(m.name, { arrivedFrom: m.source ?? "another host", ...(m.startedAt ? { startedAt: m.startedAt } : {}) });
      m.state = "completed";
      m.endedAt = Date.now();
      this.deps.events.record("vm.migrated", { name: m.name, uuid: m.uuid }, { direction: "in", peerHost: m.source ?? "unknown" });
      this.deps.log.info({ vm: m.name, from: m.source }, "incoming migration completed; the VM runs here");
    } catch (error) {
      if (arrived) {
        // The guest runs here (the source's QEMU has ended): the VM is this host's whatever failed after.
        m.state = "completed";
        m.endedAt = Date.now();
        m.error = `the VM runs here, but taking it over was incomplete: ${(error as Error).message}`;
        this.deps.log.error({ vm: m.name, err: error }, "the migrated VM runs here, but taking it over failed");
        return;
      }
      const cancelled = error instanceof MigrationCancelled || m.abort.signal.aborted;
      await this.end(m, cancelled ? "cancelled" : "failed", (error as Error).message);
    }
  }

  /** An incoming migration that did not complete: its QEMU, taps and seed go; the folder stays the source's. */
  private async end(m: Incoming, state: MigrationState, why: string): Promise<void> {
    if (ENDED.includes(m.state)) return;
    m.state = state;
    m.error = why;
    m.endedAt = Date.now();
    const runDir = join(this.deps.runDir, m.name);
    if (m.handle) await m.handle.forceStop().catch(() => {});
    // The disks are left as they are: the source's QEMU runs the guest on them still.
    if (m.def) await this.deps.nics.detach(m.name, m.def.uuid, m.def).catch(() => {});
    await removeCloudInitSeed(runDir).catch(() => {});
    this.deps.log.warn({ vm: m.name, state, why }, "incoming migration ended without the VM");
  }

  /**
   * After a vmctld restart: an incoming QEMU whose migration it was following (in a run dir of no
   * VM of this host, still waiting for or loading a stream) never ran a guest; it is ended, so it
   * holds no memory and no disk of the source's.
   */
  async sweep(): Promise<number> {
    let ended = 0;
    const names = await readdir(this.deps.runDir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith(".") || this.reserved(name) || this.deps.inventory.find(name)) continue;
      const handle = await this.deps.driver.attach(join(this.deps.runDir, name)).catch(() => null);
      if (!handle) continue;
      if ((await handle.status().catch(() => "other")) === "incoming") {
        this.deps.log.warn({ vm: name, pid: handle.pid }, "ending an incoming migration's QEMU left by the last vmctld");
        await handle.forceStop().catch(() => {});
        ended++;
      } else {
        handle.detach();
      }
    }
    return ended;
  }

  private find(id: string): Incoming {
    const m = this.incoming.get(id);
    if (!m) throw new VmctlError("not_found", `no incoming migration "${id}" on this host (ended ones are kept for an hour)`);
    return m;
  }

  private prune(): void {
    for (const [id, m] of this.incoming) if (m.endedAt !== undefined && Date.now() - m.endedAt > KEEP_ENDED_MS) this.incoming.delete(id);
  }
}
