// What a migration needs of a VM's definition, checked before anything moves: on the source, that
// everything the guest writes sits on shared storage; on the target, that every file and network
// the definition names exists here under the same name. Each refusal is migration_incompatible,
// naming the field and what to do.
import { existsSync } from "node:fs";
import { VmctlError, type VmDefinition } from "@vmctl/api-types";
import type { Datastores } from "./datastores.js";
import type { InventoryEntry } from "./inventory.js";

/** The writable files of a VM (its disks), as [field, datastore]: they must be shared for a live migration. */
function diskDatastores(def: VmDefinition, vmDatastore: string): Array<[string, string]> {
  return Object.entries(def.disks).map(([id, disk]) => [`disks.${id}`, disk.datastore ?? vmDatastore]);
}

/** The read-only files a VM's QEMU opens (kernel, initrd, ISOs), as [field, datastore, path]. */
function readOnlyFiles(def: VmDefinition, vmDatastore: string): Array<[string, string, string]> {
  const files: Array<[string, string, string]> = [];
  if (def.boot.kernel) files.push(["boot.kernel", def.boot.datastore ?? vmDatastore, def.boot.kernel]);
  if (def.boot.initrd) files.push(["boot.initrd", def.boot.datastore ?? vmDatastore, def.boot.initrd]);
  for (const [id, cdrom] of Object.entries(def.cdroms)) if (cdrom.iso) files.push([`cdroms.${id}.iso`, cdrom.datastore ?? vmDatastore, cdrom.iso]);
  return files;
}

const incompatible = (message: string, details: Record<string, unknown>) => new VmctlError("migration_incompatible", message, details);

/** On the source: the VM's folder and every disk are on shared datastores (the target opens the same files). */
export function assertLiveMigratable(name: string, def: VmDefinition, vmDatastore: string, datastores: Datastores): void {
  if (!datastores.isShared(vmDatastore)) {
    throw incompatible(`VM "${name}" is on datastore "${vmDatastore}", which is this host's own: a live migration needs its folder on a shared datastore (\`shared = true\` under [datastores.${vmDatastore}] on every host), or migrate it cold (stopped, disks copied)`, { field: "datastore", datastore: vmDatastore });
  }
  for (const [field, ds] of diskDatastores(def, vmDatastore)) {
    if (!datastores.isShared(ds)) throw incompatible(`${field} of VM "${name}" is on datastore "${ds}", which is this host's own: the target cannot open it; move the disk to a shared datastore, or migrate the VM cold`, { field, datastore: ds });
  }
}

/** On the target: the VM's datastores exist here (shared for its disks), and so do its read-only files. */
export function assertTargetHasFiles(name: string, def: VmDefinition, vmDatastore: string, datastores: Datastores, options: { sharedDisks: boolean }): void {
  const known = new Set(datastores.names());
  for (const [field, ds] of diskDatastores(def, vmDatastore)) {
    if (!known.has(ds)) throw incompatible(`${field} of VM "${name}" is on datastore "${ds}", which this host does not have; add it here under the same name`, { field, datastore: ds });
    if (options.sharedDisks && !datastores.isShared(ds)) throw incompatible(`${field} of VM "${name}" is on datastore "${ds}", which is not shared on this host: a live migration opens the source's disk files, so the datastore must be the same storage, declared \`shared = true\``, { field, datastore: ds });
  }
  for (const [field, ds, path] of readOnlyFiles(def, vmDatastore)) {
    if (!known.has(ds)) throw incompatible(`${field} of VM "${name}" is in datastore "${ds}", which this host does not have; add it here under the same name with the same file`, { field, datastore: ds });
    if (!existsSync(datastores.resolve(ds, path))) throw incompatible(`${field} of VM "${name}": "${path}" is not in datastore "${ds}" on this host; copy it there first`, { field, datastore: ds, file: path });
  }
}

/** On the target: every NIC's network exists here (a VM keeps its networks across hosts). */
export function assertTargetHasNetworks(name: string, def: VmDefinition, hasNetwork: (network: string) => boolean): void {
  for (const [id, nic] of Object.entries(def.nics)) {
    if (!hasNetwork(nic.network)) throw incompatible(`nics.${id} of VM "${name}" is on network "${nic.network}", which this host does not have; add a network of that name here first (\`vmctl network ls\`)`, { field: `nics.${id}.network`, network: nic.network });
  }
}

/** A MAC is one NIC's on a host (its DHCP reservation, address and forwards follow it): the moving VM's may not be another VM's here. */
export function assertMacsFreeHere(def: VmDefinition, entries: readonly InventoryEntry[]): void {
  const holders = new Map(entries.filter((e) => e.name !== def.name).flatMap((e) => Object.entries(e.def?.nics ?? {}).map(([id, n]) => [n.mac.toLowerCase(), `VM "${e.name}"'s NIC ${id}`] as const)));
  for (const [id, nic] of Object.entries(def.nics)) {
    const holder = holders.get(nic.mac.toLowerCase());
    if (holder) throw new VmctlError("in_use", `nics.${id}.mac: ${nic.mac} is ${holder} on this host; change the MAC of one of them before moving the VM here`, { field: `nics.${id}.mac` });
  }
}
