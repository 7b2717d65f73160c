// A host's side of moving VMs between hosts (vmcenter drives it): live out (vm-migration-out.ts),
// live in (vm-migration-in.ts) and a cold register of copied files (vm-migration-register.ts),
// wired once from the host's parts.
import type { IncomingMigrationAnswer, IncomingMigrationRequest, MigrateOutRequest, MigrationStatus, RegisterMigrationRequest, Task, VmDetail } from "@vmctl/api-types";
import { QemuDriver, type VmDriver } from "@vmctl/qemu";
import type { Host } from "../host.js";
import { qemuHostFiles } from "./vm-host-files.js";
import { MigrateIn } from "./vm-migration-in.js";
import { MigrateOut } from "./vm-migration-out.js";
import { registerMigrated, type RegisterDeps } from "./vm-migration-register.js";

/** Where an incoming QEMU listens: the API's own address, unless that is every address (then loopback). */
export function migrationAddressOf(listenHost: string): string {
  return listenHost === "0.0.0.0" || listenHost === "::" || listenHost === "" || listenHost === "localhost" ? "127.0.0.1" : listenHost;
}

export class VmMigrations {
  private readonly out: MigrateOut;
  private readonly in: MigrateIn;
  private readonly registerDeps: RegisterDeps;

  /** `driver`: the hypervisor the host's power controller uses (QEMU unless given). */
  constructor(host: Host, driver: VmDriver = new QemuDriver({ binary: host.config.qemu })) {
    const hasNetwork = (network: string) => host.networks.registry.resolve(network) !== undefined;
    this.out = new MigrateOut({
      hostId: host.hostId, inventory: host.inventory, datastores: host.datastores, runtimes: host.runtimes,
      lifecycle: host.lifecycle, tasks: host.tasks, events: host.events, log: host.log,
    });
    this.in = new MigrateIn({
      hostId: host.hostId, inventory: host.inventory, datastores: host.datastores, events: host.events, power: host.power,
      driver, hostFiles: qemuHostFiles, nics: host.networks, hasNetwork, accelerator: () => host.accelerator(),
      runDir: host.config.runDir, migrationAddress: migrationAddressOf(host.config.listen.host), log: host.log,
    });
    this.registerDeps = {
      hostId: host.hostId, inventory: host.inventory, datastores: host.datastores, definitions: host.definitions,
      lifecycle: host.lifecycle, events: host.events, vms: host.vms,
      hasNetwork, reserved: (name) => this.in.reserved(name),
    };
  }

  migrateOut(name: string, request: MigrateOutRequest, user: string): Task {
    return this.out.request(name, request, user);
  }

  incoming(request: IncomingMigrationRequest): Promise<IncomingMigrationAnswer> {
    return this.in.prepare(request);
  }

  status(id: string): MigrationStatus {
    return this.in.status(id);
  }

  cancelIncoming(id: string): Promise<MigrationStatus> {
    return this.in.cancel(id);
  }

  /** Ends incoming QEMUs a vmctld restart cut off from their migration (once, after the host has started). */
  sweep(): Promise<number> {
    return this.in.sweep();
  }

  register(request: RegisterMigrationRequest): Promise<VmDetail> {
    return registerMigrated(this.registerDeps, request);
  }
}
