// The target side of a cold migration on copied storage (POST /api/v1/migrations/register): the
// stopped VM's disk files were copied into <datastore>/<name>/ (through the datastore file API);
// this writes its definition beside them, keeping its uuid (its identity: grants and history
// follow it), after the checks any disk gets. Nothing is created: a disk that is not there is refused.
import { existsSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { VmctlError, type RegisterMigrationRequest, type VmDefinition, type VmDetail } from "@vmctl/api-types";
import { parseDefinitionToml } from "@vmctl/definition";
import { readOwner } from "../cluster/vm-ownership.js";
import type { Datastores } from "./datastores.js";
import type { DefinitionStore } from "./definition-store.js";
import type { EventLog } from "./event-log.js";
import type { Inventory } from "./inventory.js";
import type { VmLifecycle } from "./vm-lifecycle.js";
import type { VmService } from "./vm-service.js";
import { assertImageTrusted, vmDiskScope } from "./image-trust.js";
import { assertMacsFreeHere, assertTargetHasFiles, assertTargetHasNetworks } from "./vm-migration-checks.js";

export interface RegisterDeps {
  hostId: string;
  inventory: Inventory;
  datastores: Datastores;
  definitions: DefinitionStore;
  lifecycle: VmLifecycle;
  events: EventLog;
  vms: Pick<VmService, "detail">;
  hasNetwork: (network: string) => boolean;
  /** Names an incoming live migration holds (not in the inventory yet). */
  reserved: (name: string) => boolean;
}

export async function registerMigrated(deps: RegisterDeps, request: RegisterMigrationRequest): Promise<VmDetail> {
  const { inventory, datastores } = deps;
  const { datastore } = request;
  datastores.root(datastore);
  const def = parseDefinitionToml(request.definition, { file: "<definition>" });
  const { name } = def;
  if (def.uuid === undefined) throw new VmctlError("bad_request", "definition: has no uuid; a migrated VM keeps its identity: send the definition as the source has it (GET /api/v1/vms/{name}/definition there)", { field: "definition" });
  if (def.template) throw new VmctlError("bad_request", "definition: is a template's; register VMs only", { field: "definition" });
  if (deps.reserved(name)) throw new VmctlError("vm_exists", `an incoming migration of "${name}" is under way here`, { field: "name" });
  inventory.assertNameFree(name, "a VM of that name is here already; rename one of them first");
  const other = inventory.list().find((e) => e.def?.uuid === def.uuid);
  if (other) throw new VmctlError("vm_exists", `definition: uuid ${def.uuid} is VM "${other.name}"'s on this host already`, { field: "uuid" });
  const dir = inventory.folderOf(name, datastore);
  const owner = datastores.isShared(datastore) ? readOwner(dir) : null;
  if (owner !== null && owner !== deps.hostId) {
    throw new VmctlError("migration_incompatible", `"${name}"'s folder on shared datastore "${datastore}" belongs to host ${owner}: a VM on shared storage moves by adoption (the cluster's desired host), not by registering a copy`, { field: "datastore", owner });
  }
  assertDisksPresent(def, datastore, datastores);
  assertTargetHasFiles(name, def, datastore, datastores, { sharedDisks: false });
  assertTargetHasNetworks(name, def, deps.hasNetwork);
  assertMacsFreeHere(def, inventory.list());
  // QEMU would open each disk's backing chain and data files from its header: all in a datastore, none another VM's.
  const scope = vmDiskScope(datastores, inventory.list(), name);
  for (const [id, disk] of Object.entries(def.disks)) {
    await assertImageTrusted(datastores.resolve(disk.datastore ?? datastore, disk.file), disk.format, scope, `disks.${id}.file "${disk.file}"`);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  inventory.claim(name, datastore);
  await deps.definitions.write(name, datastore, request.definition);
  deps.lifecycle.created(name);
  deps.events.record("vm.created", name, { datastore });
  deps.events.record("vm.migrated", name, { direction: "in", peerHost: request.sourceHost ?? "unknown" });
  return deps.vms.detail(name);
}

/** Every disk is a file already copied here (a register makes none). */
function assertDisksPresent(def: VmDefinition, datastore: string, datastores: Datastores): void {
  for (const [id, disk] of Object.entries(def.disks)) {
    const ds = disk.datastore ?? datastore;
    if (!datastores.names().includes(ds)) throw new VmctlError("migration_incompatible", `disks.${id}: datastore "${ds}" is not on this host; copy the disk into "${datastore}" and name it there`, { field: `disks.${id}.datastore` });
    const path = datastores.resolve(ds, disk.file);
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new VmctlError("invalid_definition", `disks.${id}.file: "${disk.file}" is not in datastore "${ds}" on this host; copy it there first (PUT /api/v1/datastores/${ds}/files/${disk.file})`, { field: `disks.${id}.file` });
    }
  }
}
