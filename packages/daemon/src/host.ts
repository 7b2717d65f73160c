// The composition root of vmctld: opens the store, the datastores and the inventory, wires the
// services, reconciles running QEMUs, and applies autostart once per host boot.
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { readFile, readdir, rm } from "node:fs/promises";
import type { Logger } from "pino";
import { chooseAccelerator, qemuVersion, QemuDriver, type AccelChoice, type QemuRunAs, type VmDriver } from "@vmctl/qemu";
import { defaultGuestDir } from "@vmctl/guest";
import type { HostConfig } from "./config/host-config.js";
import { openDatabase, getMeta, setMeta, type Db } from "./store/database.js";
import { EventLog } from "./domain/event-log.js";
import { TaskManager } from "./domain/task-manager.js";
import { hostIdOf } from "./domain/host-identity.js";
import { Datastores } from "./domain/datastores.js";
import { Inventory } from "./domain/inventory.js";
import { DefinitionStore } from "./domain/definition-store.js";
import { DatastoreRegistry } from "./domain/datastore-registry.js";
import { DatastoreBrowser } from "./domain/datastore-browser.js";
import { Uploads } from "./domain/datastore-upload.js";
import { IsoLibrary } from "./domain/iso-library.js";
import { RuntimeTable } from "./domain/vm-runtime.js";
import { VmLifecycle } from "./domain/vm-lifecycle.js";
import { qemuRunAs } from "./domain/vm-sandbox.js";
import { secureHome } from "./domain/host-sandbox.js";
import { VmPreparer } from "./domain/vm-prepare.js";
import type { VmHostFiles } from "./domain/vm-host-files.js";
import type { StoppedDiskSnapshot } from "./domain/stopped-disk-snapshot.js";
import { PowerController } from "./domain/vm-power.js";
import { VmService } from "./domain/vm-service.js";
import { DiskService } from "./domain/vm-disks.js";
import { SnapshotService } from "./domain/vm-snapshots.js";
import { CloneService } from "./domain/vm-clone.js";
import { removeUnfinishedVmFolders } from "./domain/unfinished-vm-folders.js";
import { ImportService } from "./domain/vm-import.js";
import { ExportService } from "./domain/vm-export.js";
import { AuthStore } from "./security/auth-store.js";
import { AuditLog } from "./security/audit-log.js";
import { LoginGuard } from "./security/login-guard.js";
import { ConsoleTickets } from "./security/console-tickets.js";
import { randomSecret } from "./security/passwords.js";
import { startRetention } from "./domain/host-retention.js";
import { NetworkRegistry } from "./domain/network-registry.js";
import { HostNetworks, type RunningVm } from "./domain/host-networks.js";
import { VmAddresses } from "./domain/vm-addresses.js";
import { GuestAgentWatch } from "./domain/guest-agent-watch.js";
import { LiveNicTaps, NicService } from "./domain/vm-nics.js";
import { networkNames, subnetSeed } from "./network/network-names.js";
import { HostNetworkPlumbing, NullNetworkPlumbing, type NetworkPlumbing } from "./network/network-plumbing.js";
import { PortForwards } from "./domain/port-forwards.js";
import type { RetentionPruner } from "./domain/retention.js";
import { autostartPlan, runAutostart } from "./domain/autostart.js";
import type { ClusterConfig } from "./cluster/cluster-config.js";
import type { ClusterAuth } from "./cluster/cluster-auth.js";

/** A joined host's cluster side (cluster/index.ts fills it in). */
export interface HostCluster {
  config: ClusterConfig;
  auth: ClusterAuth;
  /** The host's name in the cluster (vmctld --host-name, else its host name). */
  name: string;
  /**
   * Whether this host may start the VM by itself (autostart, crash restart): never a VM with
   * [policy] ha on a shared datastore (vmcenter restarts it where it decides), nor one desired on another host.
   */
  mayStartItself(name: string): boolean;
}

/** What runs the VMs: injected by unit tests (a fake driver), QEMU otherwise. */
export interface HostHypervisor {
  driver?: VmDriver;
  hostFiles?: VmHostFiles;
  stoppedDiskSnapshot?: StoppedDiskSnapshot;
  /** What accel = "auto" becomes (the KVM probe otherwise). */
  accelerator?: () => Promise<AccelChoice>;
  /** Bridges, taps, dnsmasq and nftables; with a fake driver and none given, nothing on the host is touched. */
  networkPlumbing?: NetworkPlumbing;
}

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

export class Host {
  readonly version = VERSION;
  readonly db: Db;
  readonly events: EventLog;
  readonly tasks: TaskManager;
  /** This host's id (domain/host-identity.ts): in its task ids and events, and in GET /api/v1/host. */
  readonly hostId: string;
  readonly datastores: Datastores;
  readonly inventory: Inventory;
  /** The one writer of definitions (read, validate, edit, atomic write). */
  readonly definitions: DefinitionStore;
  readonly datastoreRegistry: DatastoreRegistry;
  readonly browser: DatastoreBrowser;
  readonly uploads: Uploads;
  readonly isos: IsoLibrary;
  /** Host networks: vmctld.toml's, the default one and the API's, with their bridges and the NICs' taps. */
  readonly networks: HostNetworks;
  /** VMs' port forwards (nftables DNAT in their nat network's table), by VM uuid. */
  readonly portForwards: PortForwards;
  /** The VMs' IP addresses: DHCP leases of the managed networks, and the guest agent's where it reports them. */
  readonly addresses: VmAddresses;
  /** What each running VM's QEMU guest agent says (refreshed in the background). */
  readonly agents: GuestAgentWatch;
  readonly runtimes: RuntimeTable;
  /** The one place a VM's state changes, and its exclusive section. */
  readonly lifecycle: VmLifecycle;
  readonly power: PowerController;
  readonly vms: VmService;
  readonly disks: DiskService;
  /** NICs added, removed and their link set, live while the VM runs. */
  readonly nics: NicService;
  readonly snapshots: SnapshotService;
  readonly clones: CloneService;
  readonly imports: ImportService;
  readonly exports: ExportService;
  readonly auth: AuthStore;
  readonly audit: AuditLog;
  readonly loginGuard: LoginGuard;
  readonly tickets = new ConsoleTickets();
  /** Set before start() on a host joined to a vmcenter cluster (cluster.json): its membership and cluster-token check. */
  cluster: HostCluster | undefined;
  qemuVersion: string | null = null;
  private accelChoice: Promise<AccelChoice> | undefined;
  private retention: RetentionPruner | undefined;

  /** hypervisor: QEMU and the real file ownership unless a unit test passes fakes. */
  constructor(readonly config: HostConfig, readonly log: Logger, hypervisor: HostHypervisor = {}) {
    this.db = openDatabase(config.dbPath);
    this.hostId = hostIdOf(this.db);
    // Tasks and events name a VM's uuid beside its name; the inventory (made below) knows it.
    const identity = { hostId: this.hostId, vmUuidOf: (vm: string) => this.inventory.identity(vm) };
    this.events = new EventLog(this.db, identity);
    this.tasks = new TaskManager(this.db, this.events, identity);
    this.datastores = new Datastores(config.datastores, config.sharedDatastores ?? []);
    this.inventory = new Inventory(this.datastores, (entry) => {
      log.warn({ vm: entry.name }, entry.error?.message ?? "invalid definition");
      this.events.record("vm.definition_invalid", entry.name, { file: entry.file, ...(entry.error ? { message: entry.error.message } : {}) });
    }, this.hostId);
    this.definitions = new DefinitionStore(this.inventory);
    // Datastores added through the API join vmctld.toml's before the first inventory scan.
    this.datastoreRegistry = new DatastoreRegistry(this.db, this.datastores, this.inventory, config.home, log);
    this.datastoreRegistry.load();
    this.browser = new DatastoreBrowser(this.datastores, this.inventory);
    this.isos = new IsoLibrary(this.db, this.datastores, log);
    this.uploads = new Uploads(this.datastores, this.browser, config.maxUploadBytes, (at) => this.isos.noteUploaded(at.path, at.absolute));
    this.runtimes = new RuntimeTable(this.db, {
      identity: (name) => this.inventory.identity(name), has: (name) => this.inventory.has(name), assignUuid: (name) => this.definitions.assignUuid(name),
    });
    this.lifecycle = new VmLifecycle(this.runtimes, this.events, log);
    const names = networkNames(this.hostId);
    const plumbing = hypervisor.networkPlumbing ?? (hypervisor.driver ? new NullNetworkPlumbing() : new HostNetworkPlumbing(names, config.runDir, "nobody"));
    this.networks = new HostNetworks(
      new NetworkRegistry(this.db, config.networks, subnetSeed(this.hostId), this.inventory, (message) => log.warn(message)),
      plumbing,
      names, Object.hasOwn(config.networks, "default"), qemuOwner, log,
    );
    this.addresses = new VmAddresses(this.networks.registry, plumbing.real ? (network) => plumbing.leases(network) : undefined);
    this.agents = new GuestAgentWatch({
      runtimes: this.runtimes, names: () => this.inventory.list().map((entry) => entry.name), changed: () => this.addresses.changed(), log,
    });
    this.addresses.addProvider(this.agents);
    const prepare = new VmPreparer(this.inventory, this.datastores, this.definitions);
    // The taps of NICs hot-plugged while a VM runs go with its QEMU as those it started with do.
    const liveTaps = new LiveNicTaps(this.networks);
    this.power = new PowerController({
      agents: this.agents,
      runtimes: this.runtimes, lifecycle: this.lifecycle, inventory: this.inventory, datastores: this.datastores, events: this.events, tasks: this.tasks,
      prepare, runDir: config.runDir, driver: hypervisor.driver ?? new QemuDriver({ binary: config.qemu }), hostFiles: hypervisor.hostFiles, accelerator: hypervisor.accelerator ?? (() => this.accelerator()), nics: liveTaps, log,
      mayStartItself: (name) => this.cluster?.mayStartItself(name) ?? true,
    });
    this.nics = new NicService({
      inventory: this.inventory, runtimes: this.runtimes, lifecycle: this.lifecycle, events: this.events, definitions: this.definitions,
      registry: this.networks.registry, taps: liveTaps, tapsOf: (vm) => this.networks.nicTaps(vm), addresses: this.addresses,
    });
    this.disks = new DiskService(this.inventory, this.datastores, this.runtimes, this.events, this.definitions, this.lifecycle, hypervisor.hostFiles);
    const storage = { inventory: this.inventory, definitions: this.definitions, datastores: this.datastores, runtimes: this.runtimes, lifecycle: this.lifecycle, events: this.events, tasks: this.tasks, power: this.power };
    this.snapshots = new SnapshotService(storage, hypervisor.stoppedDiskSnapshot);
    this.clones = new CloneService({ ...storage, prepare, snapshots: this.snapshots });
    this.vms = new VmService(this.inventory, this.definitions, this.datastores, this.runtimes, this.events, prepare, config.runDir, (name) => this.clones.linkedClones(name), this.lifecycle, this.addresses);
    this.vms.agentInfo = (name, detail) => this.agents.wire(name, detail);
    this.imports = new ImportService({ ...storage, prepare, maxUploadBytes: () => config.maxUploadBytes });
    this.exports = new ExportService(storage);
    // Per-VM grants follow the VM's uuid; a destroyed VM takes its grants along.
    this.auth = new AuthStore(this.db, (vm, assign) => (assign ? this.definitions.assignUuid(vm) : this.inventory.identity(vm)));
    this.events.on("event", (event) => { if (event.type === "vm.destroyed" && event.vm) this.auth.dropGrantsOn(event.vm, typeof event.data.uuid === "string" ? event.data.uuid : undefined); });
    this.events.on("event", (event) => { if (event.type === "vm.renamed") this.auth.moveGrants(event.data.from, event.data.to, event.vmUuid ?? undefined); });
    this.portForwards = new PortForwards(this.db, this.inventory, this.networks, (vm, assign) => (assign ? this.definitions.assignUuid(vm) : this.inventory.identity(vm)), log);
    this.events.on("event", (event) => {
      if (event.type === "vm.destroyed") void this.portForwards.vmDestroyed(typeof event.data.uuid === "string" ? event.data.uuid : undefined).catch(() => {});
      else if (event.type === "vm.nic_added" || event.type === "vm.nic_removed" || event.type === "vm.definition_changed") void this.portForwards.nicsChanged().catch(() => {});
    });
    this.audit = new AuditLog(this.db);
    this.loginGuard = new LoginGuard(this.db);
  }

  /** The accelerator for accel = "auto": probed once (in the background from startup), cached per host boot. */
  accelerator(): Promise<AccelChoice> {
    let runAs: QemuRunAs | null;
    try {
      runAs = qemuRunAs();
    } catch (error) {
      return Promise.reject(error);
    }
    this.accelChoice ??= chooseAccelerator(this.qemuVersion ?? "unknown", {
      qemuBinary: this.config.qemu, runAs,
      cacheFile: join(this.config.home, "accel.json"),
      kernels: [join(defaultGuestDir(), "vmlinuz"), join(this.config.datastores.local!, "images", "vmctl-guest", "vmlinuz")],
    }).then((choice) => {
      this.log.info({ accel: choice.accel, cached: choice.cached }, choice.reason);
      return choice;
    });
    return this.accelChoice;
  }

  async start(): Promise<void> {
    await secureHome(this.config.home, this.config.runDir, Object.fromEntries(this.datastores.names().map((ds) => [ds, this.datastores.root(ds)])), this.log);
    this.qemuVersion = await qemuVersion(this.config.qemu);
    if (!this.qemuVersion) this.log.error(`${this.config.qemu} not found: install the qemu-system-x86 package`);
    // Read once and dropped from vmctld's environment, so no child (qemu-img, openssl) inherits it.
    const adminPassword = process.env.VMCTL_ADMIN_PASSWORD;
    delete process.env.VMCTL_ADMIN_PASSWORD;
    await this.ensureFirstAdmin(adminPassword);
    const interrupted = this.tasks.failInterrupted();
    if (interrupted) this.log.warn({ tasks: interrupted }, "tasks cut off by the last vmctld exit marked as errors");
    this.retention = startRetention(this);
    this.agents.start();
    this.accelerator().catch((error: unknown) => this.log.warn((error as Error).message));
    await this.removeStaging();
    // A shared datastore's unfinished folder may be another host's create in progress: left alone.
    await removeUnfinishedVmFolders(this.datastores.names().filter((ds) => !this.datastores.isShared(ds)).map((ds) => this.datastores.root(ds)), this.log);
    this.inventory.scan();
    await this.networks.start();
    const names = this.inventory.list().map((entry) => entry.name);
    const rows = this.runtimes.adoptRowsByName(names);
    if (rows.adopted + rows.dropped > 0) this.log.info(rows, "runtime rows kept by name moved to their VMs' uuids (rows of VMs gone dropped)");
    await Promise.all(names.map((name) => this.power.reconcile(name).catch((error: unknown) => {
      this.log.error({ vm: name, err: error }, "could not reconcile VM");
    })));
    await this.networks.sweep(this.runningVms());
    await this.autostart(names);
    this.events.record("host.started", null, { version: this.version, vms: names.length });
  }

  /** Staging folders of imports and exports that a vmctld exit cut off: their tasks already failed. */
  private async removeStaging(): Promise<void> {
    for (const ds of this.datastores.names()) {
      const root = this.datastores.root(ds);
      for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
        if (!entry.isDirectory()) continue;
        const dirs = entry.name.startsWith(".import-") ? [join(root, entry.name)] : [];
        if (!entry.name.startsWith(".")) {
          for (const inner of await readdir(join(root, entry.name), { withFileTypes: true }).catch(() => [])) {
            if (inner.isDirectory() && inner.name.startsWith(".export-")) dirs.push(join(root, entry.name, inner.name));
          }
        }
        for (const dir of dirs) {
          this.log.warn({ dir }, "removing the staging folder of an import or export cut off by the last vmctld exit");
          await rm(dir, { recursive: true, force: true });
        }
      }
    }
  }

  /**
   * The first admin is made at first start: its password from VMCTL_ADMIN_PASSWORD, otherwise a
   * one-time password written once to stderr and stored nowhere in clear.
   */
  private async ensureFirstAdmin(given: string | undefined): Promise<void> {
    if (this.auth.countUsers() > 0) return;
    const password = given || randomSecret(12);
    await this.auth.createUser("admin", password, "Admin");
    this.audit.record({ user: "vmctld", source: "startup", action: "create first admin", target: "admin", result: "ok", status: 201 });
    if (given) this.log.info("created user admin with the password from VMCTL_ADMIN_PASSWORD");
    else process.stderr.write(`vmctld: created user "admin" with the one-time password ${password}\nvmctld: change it with \`vmctl user passwd admin\`; it is not stored in clear anywhere\n`);
  }

  /** Autostart belongs to host boot, not to every vmctld restart: a VM someone stopped stays stopped. */
  private async autostart(names: string[]): Promise<void> {
    const bootId = (await readFile("/proc/sys/kernel/random/boot_id", "utf8").catch(() => "")).trim();
    if (getMeta(this.db, "autostart_boot_id") === bootId) return;
    setMeta(this.db, "autostart_boot_id", bootId);
    const plan = autostartPlan(names.map((name) => ({ name, def: this.inventory.find(name)?.def })), (name) => this.cluster?.mayStartItself(name) ?? true);
    // In the background: the delays between starts do not hold up vmctld's own start.
    void runAutostart(plan, (name) => this.autostartOne(name)).catch((error: unknown) => this.log.error({ err: error }, "autostart"));
  }

  /** One VM's autostart, resolved once its start task ended (a VM no longer stopped is left alone). */
  async autostartOne(name: string): Promise<void> {
    if (!this.inventory.find(name)?.def?.policy.autostart || this.runtimes.get(name).state !== "stopped") return;
    if (this.cluster && !this.cluster.mayStartItself(name)) {
      this.log.info({ vm: name }, "autostart skipped: in the cluster, vmcenter's desired state starts this VM");
      return;
    }
    this.log.info({ vm: name }, "autostart");
    const task = this.power.request(name, { action: "start" }, "system (autostart)");
    await this.tasks.wait(task.id, 10 * 60_000);
  }

  /** The VMs whose QEMU runs (they outlive vmctld, and so do the networks they use). */
  private runningVms(): RunningVm[] {
    return this.inventory.list().flatMap((entry) => (entry.def && this.runtimes.get(entry.name).process ? [{ name: entry.name, uuid: entry.def.uuid, def: entry.def }] : []));
  }

  /** A clean stop: the networks no running VM uses are taken down (bridge, dnsmasq, nftables table). */
  async stopNetworks(): Promise<void> {
    await this.networks.stop(this.runningVms());
  }

  close(): void {
    this.retention?.stop();
    this.agents.stop();
    this.power.detachAll(this.inventory.list().map((entry) => entry.name));
    this.db.close();
  }
}

/** Who owns a NIC's tap: QEMU's user, so that QEMU without capabilities can open it (null when vmctld is not root). */
function qemuOwner(): { uid: number; gid: number } | null {
  try {
    const runAs = qemuRunAs();
    return runAs ? { uid: runAs.uid, gid: runAs.gid } : null;
  } catch {
    return null;
  }
}
