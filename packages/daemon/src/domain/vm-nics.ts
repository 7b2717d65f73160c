// A VM's NICs: added and removed, live over QMP while its QEMU runs (the tap made through the host's
// NIC plumbing first, removed after), their link set up or down, and always written to the
// definition, whose MAC is unique on the host. A stopped VM only has its definition changed.
import { VmctlError, type NicAddRequest, type NicInfo, type VmDefinition } from "@vmctl/api-types";
import { Q35_DEVICE_PORTS, type NicBackend, type VmHandle } from "@vmctl/qemu";
import { assertNotTemplate } from "./templates.js";
import type { Inventory, InventoryEntry } from "./inventory.js";
import type { RuntimeTable } from "./vm-runtime.js";
import type { VmLifecycle } from "./vm-lifecycle.js";
import type { EventLog } from "./event-log.js";
import type { DefinitionStore } from "./definition-store.js";
import type { VmNics } from "./vm-power.js";
import type { NetworkRegistry } from "./network-registry.js";
import type { VmAddresses } from "./vm-addresses.js";
import { Reverter } from "./reverter.js";
import { randomMac } from "./vm-prepare.js";

type Nic = VmDefinition["nics"][string];

/**
 * The NIC plumbing as the power controller sees it, keeping track of the NICs hot-plugged and
 * unplugged while a QEMU runs: when it ends, the taps removed are those it has then, not those it
 * started with.
 */
export class LiveNicTaps implements VmNics {
  /** Per VM whose QEMU runs: the NICs plugged since its start, and those of the start unplugged since. */
  private readonly changes = new Map<string, { added: Map<string, Nic>; removed: Set<string> }>();

  constructor(private readonly inner: VmNics) {}

  attach(vm: string, uuid: string | undefined, def: VmDefinition): Promise<Record<string, NicBackend>> {
    this.changes.delete(vm);
    return this.inner.attach(vm, uuid, def);
  }

  detach(vm: string, uuid: string | undefined, def: VmDefinition): Promise<void> {
    const change = this.changes.get(vm);
    this.changes.delete(vm);
    if (!change) return this.inner.detach(vm, uuid, def);
    const nics = Object.fromEntries(Object.entries(def.nics).filter(([id]) => !change.removed.has(id)));
    for (const [id, nic] of change.added) nics[id] = nic;
    return this.inner.detach(vm, uuid, { ...def, nics });
  }

  /** After a vmctld restart the definition is the truth: it holds what was hot-plugged. */
  reattach(vm: { name: string; uuid: string | undefined; def: VmDefinition }): Promise<void> {
    this.changes.delete(vm.name);
    return this.inner.reattach(vm);
  }

  /** Makes the host side of one NIC of a running VM (its tap), noted so it goes when the QEMU ends. */
  async plug(vm: string, uuid: string | undefined, def: VmDefinition, id: string, nic: Nic): Promise<NicBackend> {
    const backends = await this.inner.attach(vm, uuid, { ...def, nics: { [id]: nic } });
    const change = this.changesOf(vm);
    change.added.set(id, nic);
    return backends[id] ?? { kind: "user" };
  }

  /** Removes the host side of one NIC of a running VM. */
  async unplug(vm: string, uuid: string | undefined, def: VmDefinition, id: string, nic: Nic): Promise<void> {
    const change = this.changesOf(vm);
    change.added.delete(id);
    change.removed.add(id);
    await this.inner.detach(vm, uuid, { ...def, nics: { [id]: nic } });
  }

  private changesOf(vm: string): { added: Map<string, Nic>; removed: Set<string> } {
    let change = this.changes.get(vm);
    if (!change) this.changes.set(vm, change = { added: new Map(), removed: new Set() });
    return change;
  }
}

export interface NicServiceDeps {
  inventory: Inventory;
  runtimes: RuntimeTable;
  lifecycle: VmLifecycle;
  events: EventLog;
  definitions: DefinitionStore;
  registry: Pick<NetworkRegistry, "resolve" | "list">;
  taps: LiveNicTaps;
  /** Each NIC's tap on a managed network (HostNetworks.nicTaps). */
  tapsOf: (vm: { name: string; uuid: string | undefined; def: VmDefinition }) => Record<string, string>;
  addresses: VmAddresses;
}

const UNPLUG_TIMEOUT_MS = 30_000;
/** Device ids vmctld gives QEMU's own devices (build-argv.ts): a NIC so named would fail every start. */
const QEMU_DEVICE_IDS = /^(rp\d+|balloon0|scsi0|vser0|qga0port)$/;

export class NicService {
  constructor(private readonly deps: NicServiceDeps) {}

  // Every change runs in the VM's exclusive section, as the "storage" action does (the same states:
  // live while QEMU runs, in the definition while it is stopped).
  private section<T>(name: string, work: () => Promise<T>): Promise<T> {
    this.deps.inventory.get(name);
    return this.deps.lifecycle.run(name, "storage", work, "NICs change while the VM runs or is stopped");
  }

  private prepare(name: string): { entry: InventoryEntry; def: VmDefinition; proc: VmHandle | undefined } {
    const entry = this.deps.inventory.get(name);
    const def = this.deps.inventory.definition(name);
    assertNotTemplate(name, def);
    this.deps.lifecycle.assertAllowed(name, "storage", "NICs change while the VM runs or is stopped");
    return { entry, def, proc: this.deps.runtimes.get(name).process };
  }

  list(name: string): NicInfo[] {
    const def = this.deps.inventory.definition(name);
    const running = this.deps.runtimes.get(name).process !== undefined;
    const taps = running ? this.deps.tapsOf({ name, uuid: def.uuid, def }) : {};
    const addresses = this.deps.addresses.of(name, def, running);
    return Object.entries(def.nics).map(([id, nic]) => ({
      id, network: nic.network, model: nic.model, mac: nic.mac, link: nic.link,
      ...(taps[id] ? { tap: taps[id] } : {}),
      addresses: addresses.filter((a) => a.nic === id).map((a) => a.ip),
    }));
  }

  private one(name: string, id: string): NicInfo {
    const nic = this.list(name).find((n) => n.id === id);
    if (!nic) throw new VmctlError("nic_not_found", `"${name}" has no NIC "${id}"`);
    return nic;
  }

  add(name: string, request: NicAddRequest): Promise<NicInfo> {
    return this.section(name, () => this.addNow(name, request));
  }

  remove(name: string, id: string): Promise<NicInfo> {
    return this.section(name, () => this.removeNow(name, id));
  }

  setLink(name: string, id: string, link: "up" | "down"): Promise<NicInfo> {
    return this.section(name, () => this.setLinkNow(name, id, link));
  }

  private async addNow(name: string, request: NicAddRequest): Promise<NicInfo> {
    const { entry, def, proc } = this.prepare(name);
    // QEMU's device ids are one namespace: a NIC cannot share its id with a disk or a drive.
    const taken = new Set([...Object.keys(def.disks), ...Object.keys(def.cdroms), ...Object.keys(def.nics)]);
    let id = request.id;
    if (id === undefined) for (let n = 0; id === undefined || taken.has(id); n++) id = `net${n}`;
    if (taken.has(id)) throw new VmctlError("bad_request", `id: "${name}" already has a device "${id}"; choose another id, or leave it out for the next free netN`, { field: "id" });
    if (QEMU_DEVICE_IDS.test(id)) throw new VmctlError("bad_request", `id: "${id}" is the id of a device vmctld gives every VM; choose another id, e.g. "net1"`, { field: "id" });
    const network = this.deps.registry.resolve(request.network);
    if (!network) {
      throw new VmctlError("bad_request", `network: the host has no network "${request.network}" (it has ${this.deps.registry.list().map((n) => `"${n.name}"`).join(", ")}); \`vmctl network ls\` lists them`, { field: "network" });
    }
    // Every NIC of a q35 VM has a root port of its own at start: one more than there are would fail the next start.
    const ported = Object.values(def.disks).filter((d) => d.bus === "virtio").length + Object.keys(def.nics).length;
    if (def.machine === "q35" && ported >= Q35_DEVICE_PORTS) {
      throw new VmctlError("bad_request", `"${name}" has ${ported} virtio disks and NICs, as many as a q35 VM starts with (${Q35_DEVICE_PORTS}); remove one, or put disks on bus "scsi"`, { field: "network" });
    }
    const mac = this.macFor(request.mac);
    const nic: Nic = { network: request.network, model: request.model ?? "virtio", mac, link: "up" };
    const reverter = new Reverter();
    try {
      if (proc) {
        const backend = await this.deps.taps.plug(name, def.uuid, def, id, nic);
        reverter.add(() => this.deps.taps.unplug(name, def.uuid, def, id, nic));
        await proc.hotplugNic({ id, mac, model: nic.model, backend, link: "up", machine: def.machine });
        reverter.add(() => proc.unplugNic(id, 10_000).catch(() => {}));
      }
      const written: Record<string, unknown> = { network: request.network, mac };
      if (request.model) written.model = request.model;
      await this.deps.definitions.edit(entry.name, (doc) => { doc.nics = { ...doc.nics, [id]: written }; });
      reverter.success();
    } catch (error) {
      await reverter.revert();
      throw error;
    }
    this.deps.events.record("vm.nic_added", name, { nic: id, network: request.network, mac, live: proc !== undefined });
    return this.one(name, id);
  }

  /** A MAC given (unicast, no other NIC's on this host) or a fresh one. */
  private macFor(given: string | undefined): string {
    const taken = new Map(this.deps.inventory.list().flatMap((e) => Object.entries(e.def?.nics ?? {}).map(([id, n]) => [n.mac.toLowerCase(), `${e.name}'s NIC ${id}`] as const)));
    if (given !== undefined) {
      const mac = given.toLowerCase();
      if (mac === "00:00:00:00:00:00") throw new VmctlError("bad_request", "mac: 00:00:00:00:00:00 is no address; leave mac out and vmctld allocates one", { field: "mac" });
      const holder = taken.get(mac);
      if (holder) throw new VmctlError("in_use", `mac: ${mac} is ${holder}; two NICs with one MAC break both. Leave mac out and vmctld allocates a unique one`, { field: "mac" });
      return mac;
    }
    let mac = randomMac();
    while (taken.has(mac)) mac = randomMac();
    return mac;
  }

  private async removeNow(name: string, id: string): Promise<NicInfo> {
    const { entry, def, proc } = this.prepare(name);
    const nic = def.nics[id];
    if (!nic) throw new VmctlError("nic_not_found", `"${name}" has no NIC "${id}"; it has ${Object.keys(def.nics).map((n) => `"${n}"`).join(", ") || "none"}`);
    const before = this.one(name, id);
    if (proc) {
      if (def.machine === "microvm") throw new VmctlError("vm_wrong_state", `microvm cannot unplug devices; stop "${name}" to remove NIC "${id}"`);
      await proc.unplugNic(id, UNPLUG_TIMEOUT_MS);
      await this.deps.taps.unplug(name, def.uuid, def, id, nic);
    }
    await this.deps.definitions.edit(entry.name, (doc) => {
      const nics = { ...doc.nics };
      delete nics[id];
      doc.nics = nics;
      if (doc.boot?.order) doc.boot = { ...doc.boot, order: doc.boot.order.filter((d) => d !== id) };
    });
    this.deps.events.record("vm.nic_removed", name, { nic: id, live: proc !== undefined });
    return { ...before, addresses: [] };
  }

  private async setLinkNow(name: string, id: string, link: "up" | "down"): Promise<NicInfo> {
    const { entry, def, proc } = this.prepare(name);
    if (!def.nics[id]) throw new VmctlError("nic_not_found", `"${name}" has no NIC "${id}"; it has ${Object.keys(def.nics).map((n) => `"${n}"`).join(", ") || "none"}`);
    if (proc) await proc.setLink(id, link === "up");
    // Kept in the definition so that the next start has it so; "up" is the default and is not written.
    await this.deps.definitions.edit(entry.name, (doc) => {
      const nic: Record<string, unknown> = { ...doc.nics![id] };
      delete nic.link;
      if (link === "down") nic.link = "down";
      doc.nics = { ...doc.nics, [id]: nic };
    });
    this.deps.events.record("vm.nic_link", name, { nic: id, link, live: proc !== undefined });
    return this.one(name, id);
  }
}
