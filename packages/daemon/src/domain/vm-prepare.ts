// Before a VM is defined or started: MACs and the VM's uuid allocated and written back, missing disks created with
// qemu-img at their declared size, every referenced file checked, all inside their datastores.
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname } from "node:path";
import { VmctlError, type VmDefinition } from "@vmctl/api-types";
import { setTomlValue, setTopLevelValue, parseDefinitionToml } from "@vmctl/definition";
import { createImage } from "@vmctl/qemu";
import type { Inventory, InventoryEntry } from "./inventory.js";
import type { DefinitionStore } from "./definition-store.js";
import type { Datastores } from "./datastores.js";
import type { Reverter } from "./reverter.js";
import type { TaskContext } from "./task-manager.js";
import { assertImageTrusted, vmDiskScope } from "./image-trust.js";
import { makeFilePrivate, makePrivateDir } from "./private-files.js";

export function randomMac(): string {
  const bytes = randomBytes(3);
  return `52:54:00:${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
}

export class VmPreparer {
  constructor(private readonly inventory: Inventory, private readonly datastores: Datastores, private readonly definitions: DefinitionStore) {}

  /**
   * Refuses a MAC given in `def` that another VM's NIC has (any case): DHCP reservations, leases,
   * port forwards and addresses follow the MAC, so that VM's address and traffic would come here.
   * MACs `before` (the VM's definition until now) already had are left as they were.
   */
  assertMacsFree(def: VmDefinition, before?: VmDefinition): void {
    const had = new Set(Object.values(before?.nics ?? {}).map((n) => n.mac.toLowerCase()));
    const holders = new Map(this.inventory.list().filter((e) => e.name !== def.name).flatMap((e) => Object.entries(e.def?.nics ?? {}).map(([id, n]) => [n.mac.toLowerCase(), `VM "${e.name}"'s NIC ${id}`] as const)));
    for (const [id, nic] of Object.entries(def.nics)) {
      const mac = nic.mac.toLowerCase();
      const holder = mac === "auto" || had.has(mac) ? undefined : holders.get(mac);
      if (holder) throw new VmctlError("in_use", `nics.${id}.mac: ${mac} is ${holder}; a MAC is one NIC's on this host (its DHCP reservation, address and port forwards follow it); leave mac out (or "auto") and vmctld allocates a unique one`, { field: `nics.${id}.mac` });
    }
  }

  /** Replaces every mac = "auto" with a fresh address unique on this host, editing the TOML in place. */
  allocateMacs(text: string, def: VmDefinition): string {
    const taken = new Set(this.inventory.list().flatMap((e) => Object.values(e.def?.nics ?? {}).map((n) => n.mac)));
    let out = text;
    for (const [id, nic] of Object.entries(def.nics)) {
      if (nic.mac !== "auto") continue;
      let mac = randomMac();
      while (taken.has(mac)) mac = randomMac();
      taken.add(mac);
      const edited = setTomlValue(out, ["nics", id], "mac", mac);
      if (edited === null) throw new VmctlError("invalid_definition", `nics.${id}: cannot write the allocated MAC back; declare the NIC as a [nics.${id}] table`);
      out = edited;
    }
    return out;
  }

  /**
   * Gives the definition its identity: keeps the uuid it has (or `keep`, the one the VM had before
   * this write), or allocates a fresh one; `fresh` always allocates (a clone, an import).
   */
  allocateUuid(text: string, def: VmDefinition, options: { keep?: string; fresh?: boolean } = {}): string {
    if (options.fresh) return setTopLevelValue(text, "uuid", this.newUuid());
    if (def.uuid !== undefined) return text;
    return setTopLevelValue(text, "uuid", options.keep ?? this.newUuid());
  }

  private newUuid(): string {
    const taken = new Set(this.inventory.list().map((e) => e.def?.uuid));
    let uuid = randomUUID();
    while (taken.has(uuid)) uuid = randomUUID();
    return uuid;
  }

  /** Creates missing disks that declare a size; refuses missing files that cannot be made. */
  async ensureFiles(def: VmDefinition, datastore: string, reverter?: Reverter, log: (line: string) => void = () => {}): Promise<void> {
    const resolve = (ds: string | undefined, path: string) => this.datastores.resolve(ds ?? datastore, path);
    for (const [id, disk] of Object.entries(def.disks)) {
      const path = resolve(disk.datastore, disk.file);
      if (existsSync(path)) continue;
      if (disk.sizeBytes === undefined) {
        throw new VmctlError("invalid_definition", `disks.${id}.file: "${disk.file}" does not exist; add size = "10GiB" to create it, or point file at an existing image`, { field: `disks.${id}.file` });
      }
      await makePrivateDir(dirname(path), { recursive: true });
      await createImage(path, disk.format, disk.sizeBytes);
      await makeFilePrivate(path);
      reverter?.add(() => rm(path, { force: true }));
      log(`created ${disk.format} disk ${disk.file} (${disk.size})`);
    }
    const mustExist: Array<[string, string | undefined, string | undefined]> = [
      ["boot.kernel", def.boot.datastore, def.boot.kernel],
      ["boot.initrd", def.boot.datastore, def.boot.initrd],
      ...Object.entries(def.cdroms).map(([id, c]): [string, string | undefined, string | undefined] => [`cdroms.${id}.iso`, c.datastore, c.iso]),
    ];
    for (const [field, ds, path] of mustExist) {
      if (path !== undefined && !existsSync(resolve(ds, path))) {
        throw new VmctlError("invalid_definition", `${field}: "${path}" does not exist in datastore "${ds ?? datastore}"`, { field });
      }
    }
  }

  /** The definition a start will use: MACs allocated (and saved), disks present. */
  async forStart(entry: InventoryEntry, ctx: TaskContext): Promise<VmDefinition> {
    if (!entry.def) throw entry.error!;
    let def = entry.def;
    const text = this.allocateUuid(this.allocateMacs(entry.text, def), def);
    if (text !== entry.text) {
      def = parseDefinitionToml(text, { file: entry.file });
      await this.definitions.write(entry.name, entry.datastore, text);
      ctx.log("allocated MAC addresses or the VM's uuid and wrote them to the definition");
    }
    await this.ensureFiles(def, entry.datastore, undefined, (line) => ctx.log(line));
    // QEMU opens a qcow2 disk's backing chain and data file from its header (which its guest may
    // have rewritten): all in a datastore, and none another VM's (but a template's disk it clones).
    const scope = vmDiskScope(this.datastores, this.inventory.list(), entry.name);
    for (const [id, disk] of Object.entries(def.disks)) {
      await assertImageTrusted(this.datastores.resolve(disk.datastore ?? entry.datastore, disk.file), disk.format, scope, `disks.${id}.file "${disk.file}"`);
    }
    return def;
  }
}
