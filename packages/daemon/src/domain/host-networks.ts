// The networks at work: nat and isolated ones brought up at start (the implicit default one when its
// first VM starts, so a vmctld whose VMs have no NIC makes nothing), their state, the taps of a
// VM's NICs around its QEMU, and what is taken down on delete, on a clean stop and after a kill -9.
import type { Logger } from "pino";
import { VmctlError, type Network, type NetworkCreateRequest, type NetworkPatch, type VmDefinition } from "@vmctl/api-types";
import type { NicBackend } from "@vmctl/qemu";
import type { NetworkPlumbing, Reservation } from "../network/network-plumbing.js";
import type { NetworkNames } from "../network/network-names.js";
import { gatewayOf } from "../network/cidr.js";
import { HostRouteClash } from "../network/host-routes.js";
import { DEFAULT_NETWORK, type HostNetwork, type NetworkRegistry } from "./network-registry.js";
import type { NftForward } from "../network/nft-ruleset.js";
import { DhcpReservations } from "./dhcp-reservations.js";

type State = { state: "active" | "inactive" | "failed"; error?: string; warning?: string };
/** A running VM as the sweep and the clean stop see it. */
export interface RunningVm { name: string; uuid: string | undefined; def: VmDefinition }

const managed = (n: HostNetwork): n is HostNetwork & { kind: "nat" | "isolated" } => n.kind === "nat" || n.kind === "isolated";
const isPortgroup = (n: HostNetwork): boolean => n.kind === "portgroup";
/** A bridge network with a VLAN tag: a portgroup of the existing bridge, with a bridge of vmctld's own. */
const taggedBridge = (n: HostNetwork): boolean => n.kind === "bridge" && n.vlan !== undefined;
/** Networks whose NICs join a bridge vmctld makes for the tag (portgroup-device.ts). */
const layered = (n: HostNetwork): boolean => isPortgroup(n) || taggedBridge(n);
/** What vmctld brings up and takes down: its bridges (and for managed ones dnsmasq and nftables). */
const broughtUp = (n: HostNetwork): boolean => managed(n) || layered(n);
/** Whose NICs are taps on a bridge (user ones are QEMU's own). */
const tapped = (n: HostNetwork): boolean => broughtUp(n) || n.kind === "bridge";

export class HostNetworks {
  private readonly states = new Map<string, State>();
  /** One bring-up or take-down of a network at a time. */
  private readonly busy = new Map<string, Promise<unknown>>();
  /**
   * The taps of running VMs' NICs → whose they are ("vm/nic"). A tap's name is a short hash, and
   * making one deletes a leftover of that name: a NIC that collides with another is refused instead.
   */
  private readonly taps = new Map<string, { vm: string; nic: string; key: string }>();
  /** Each NIC's DHCP reservation on its managed network (its MAC → a fixed address). */
  readonly reservations: DhcpReservations;
  /** The port forwards to a nat network's guests (PortForwards sets it). */
  private forwardSource: (network: string) => NftForward[] = () => [];

  constructor(
    readonly registry: NetworkRegistry,
    private readonly plumbing: NetworkPlumbing,
    private readonly names: NetworkNames,
    /** Whether vmctld.toml declares the default network (else it waits for its first VM). */
    private readonly defaultDeclared: boolean,
    private readonly qemuOwner: () => { uid: number; gid: number } | null,
    private readonly log: Logger,
  ) {
    this.reservations = new DhcpReservations(registry.db);
  }

  /** Where the forwards of a network come from: read at each bring-up and at applyForwards. */
  setForwardSource(source: (network: string) => NftForward[]): void {
    this.forwardSource = source;
  }

  /** The address reserved for the NIC with this MAC on a managed network, if it has one. */
  reservedAddress(network: string, mac: string): string | undefined {
    return this.reservations.get(network, mac);
  }

  /**
   * The NIC's reserved address on its managed network, made now if it has none; a running dnsmasq
   * reads the new reservation before this resolves (so a guest booting after it gets that address).
   */
  async reserve(networkName: string, mac: string): Promise<string> {
    const network = this.registry.get(networkName);
    if (!managed(network)) throw new VmctlError("bad_request", `network "${networkName}" is a ${network.kind} network; only nat and isolated networks hand out addresses`, { network: networkName });
    const leased = new Map((await this.plumbing.leases(networkName).catch(() => [])).map((l) => [l.ip, l.mac]));
    const { ip, changed } = this.reservations.reserve(networkName, network.parsedSubnet!, mac, leased);
    if (changed && this.states.get(networkName)?.state === "active") {
      await this.serial(networkName, () => this.plumbing.setReservations(networkName, this.reservations.list(networkName)));
    }
    return ip;
  }

  /** The network's reservations, those of MACs no NIC on it has any more (or outside its subnet) dropped first. */
  private currentReservations(network: HostNetwork & { kind: "nat" | "isolated" }): Reservation[] {
    this.reservations.prune(network.name, new Set(this.registry.macsOn(network.name)), network.parsedSubnet);
    return this.reservations.list(network.name);
  }

  /** A VM's NICs changed or it was destroyed: reservations of MACs gone are dropped, the running dnsmasq told. */
  async pruneReservations(): Promise<void> {
    for (const network of this.registry.list().filter(managed)) {
      const before = this.reservations.list(network.name).length;
      const now = this.currentReservations(network);
      if (now.length !== before && this.states.get(network.name)?.state === "active") {
        await this.serial(network.name, () => this.plumbing.setReservations(network.name, now)).catch(() => {});
      }
    }
  }

  /** The nat network's port forwards changed: its table is reloaded (a network not up gets them at its bring-up). */
  async applyForwards(name: string): Promise<void> {
    await this.serial(name, async () => {
      const network = this.registry.resolve(name);
      if (!network || network.kind !== "nat" || this.states.get(name)?.state !== "active") return;
      await this.plumbing.setForwards({ name, kind: "nat", subnet: network.parsedSubnet!, forwards: this.forwardSource(name) });
    });
  }

  describe(): Network[] {
    return this.registry.list().map((n) => this.describeOne(n.name));
  }

  describeOne(name: string): Network {
    const { parsedSubnet, origin, ...spec } = this.registry.get(name);
    const network = this.registry.get(name);
    const state = broughtUp(network) ? (this.states.get(name) ?? { state: "inactive" }) : { state: "active" as const };
    return {
      ...spec, origin, state: state.state,
      ...(parsedSubnet ? { gateway: gatewayOf(parsedSubnet), device: this.names.bridge(name) } : {}),
      ...(layered(network) ? { device: this.names.bridge(name) } : {}),
      ...(state.error ? { error: state.error } : {}),
      ...("warning" in state && state.warning ? { warning: state.warning } : {}),
    };
  }

  /** At start: every managed network is made or fixed (the implicit default one only if it exists from before). */
  async start(): Promise<void> {
    for (const network of this.registry.list().filter(managed)) {
      if (network.name === DEFAULT_NETWORK && network.origin === "default" && !this.defaultDeclared) continue;
      await this.up(network).catch(() => {});
    }
    // After their parents (a portgroup of the implicit default network waits for its first VM too).
    for (const network of this.registry.list().filter(layered)) {
      const parent = network.parent === undefined ? undefined : this.registry.resolve(network.parent);
      if (parent && managed(parent) && this.states.get(parent.name)?.state !== "active") continue;
      await this.upPortgroup(network).catch(() => {});
    }
  }

  private serial<T>(name: string, work: () => Promise<T>): Promise<T> {
    const next = (this.busy.get(name) ?? Promise.resolve()).catch(() => {}).then(work);
    this.busy.set(name, next);
    return next;
  }

  /** Resolves once the bring-ups and take-downs queued for the network have ended. */
  private async settled(name: string | undefined): Promise<void> {
    let pending: Promise<unknown> | undefined;
    while (name !== undefined && (pending = this.busy.get(name)) !== undefined) {
      await pending.catch(() => {});
      if (this.busy.get(name) === pending) this.busy.delete(name);
    }
  }

  private up(network: HostNetwork & { kind: "nat" | "isolated" }): Promise<void> {
    return this.serial(network.name, async () => {
      if (!this.plumbing.real) return void this.states.set(network.name, { state: "active" });
      if (process.getuid?.() !== 0) {
        const error = `a ${network.kind} network needs vmctld to run as root (it makes a bridge, taps and nftables rules); run vmctld as root, or declare it \`kind = "user"\` in vmctld.toml ([networks.${network.name}])`;
        this.states.set(network.name, { state: "failed", error });
        throw new VmctlError("bad_request", `network "${network.name}": ${error}`);
      }
      try {
        await this.plumbing.up({
          name: network.name, kind: network.kind, subnet: network.parsedSubnet!,
          forwards: network.kind === "nat" ? this.forwardSource(network.name) : [], reservations: this.currentReservations(network),
        });
        this.states.set(network.name, { state: "active" });
        this.log.info({ network: network.name, bridge: this.names.bridge(network.name), subnet: network.subnet }, "network up");
      } catch (error) {
        const message = (error as Error).message;
        this.states.set(network.name, { state: "failed", error: message });
        this.log.error({ network: network.name, err: message }, "could not bring the network up");
        if (error instanceof HostRouteClash) {
          const fix = network.origin === "added" ? "" : ` (vmctld.toml: [networks.${network.name}] subnet = "…", then restart vmctld)`;
          throw new VmctlError("bad_request", `network "${network.name}": ${message}${fix}`, { field: "subnet", network: network.name });
        }
        throw new VmctlError("internal", `network "${network.name}" could not be brought up: ${message}`, { network: network.name });
      }
    });
  }

  /** A portgroup's bridge and its link to the parent's bridge, its parent brought up first. */
  private async upPortgroup(network: HostNetwork): Promise<void> {
    // A tagged bridge network is a portgroup of its own bridge.
    const parent = isPortgroup(network) ? this.registry.get(network.parent!) : network;
    if (managed(parent) && this.states.get(parent.name)?.state !== "active") await this.up(parent);
    if (parent.kind === "bridge") await this.checkBridge(parent, parent === network ? "bridge" : "parent");
    await this.serial(network.name, async () => {
      if (!this.plumbing.real) return void this.states.set(network.name, { state: "active" });
      try {
        const { warning } = await this.plumbing.upPortgroup({ name: network.name, vlan: network.vlan!, parentDevice: parent.kind === "bridge" ? parent.bridge! : this.names.bridge(parent.name), parentKind: parent.kind === "bridge" ? "bridge" : "managed" });
        if (warning) this.log.warn({ network: network.name }, warning);
        this.states.set(network.name, { state: "active", ...(warning ? { warning } : {}) });
        this.log.info({ network: network.name, bridge: this.names.bridge(network.name), parent: parent.name, vlan: network.vlan }, "portgroup up");
      } catch (error) {
        const message = (error as Error).message;
        this.states.set(network.name, { state: "failed", error: message });
        throw new VmctlError("internal", `portgroup "${network.name}" could not be brought up: ${message}`, { network: network.name });
      }
    });
  }

  /** The bridge a network's taps join: vmctld's own, or a bridge network's existing one. */
  private deviceOf(network: HostNetwork): string {
    return network.kind === "bridge" && !taggedBridge(network) ? network.bridge! : this.names.bridge(network.name);
  }

  /** A bridge network's device must be an existing bridge of the host's, never one a vmctld made (400 naming `field`). */
  private async checkBridge(network: HostNetwork, field: "bridge" | "parent"): Promise<void> {
    if (!this.plumbing.real) return;
    try {
      await this.plumbing.checkBridgeDevice(network.bridge!);
    } catch (error) {
      const where = field === "bridge" ? "bridge" : `parent: network "${network.name}"'s bridge`;
      throw new VmctlError("bad_request", `${where}: ${(error as Error).message}`, { field, network: network.name });
    }
  }

  private down(name: string, network?: HostNetwork): Promise<void> {
    return this.serial(name, async () => {
      const known = network ?? this.registry.resolve(name);
      if (known && layered(known)) await this.plumbing.downPortgroup(name);
      else await this.plumbing.down(name);
      this.states.delete(name);
    });
  }

  async create(request: NetworkCreateRequest): Promise<Network> {
    const network = this.registry.add(request);
    try {
      if (managed(network)) await this.up(network);
      if (layered(network)) await this.upPortgroup(network);
      else if (network.kind === "bridge") await this.checkBridge(network, "bridge");
    } catch (error) {
      if (broughtUp(network)) await this.down(network.name, network).catch(() => {});
      this.registry.remove(network.name);
      throw error;
    }
    return this.describeOne(network.name);
  }

  /** A change of a network no running VM uses: taken down, changed, brought up again. */
  async patch(name: string, patch: NetworkPatch, running: (vm: string) => boolean): Promise<Network> {
    const planned = this.registry.planPatch(name, patch);
    const live = this.registry.users(name).filter(running);
    if (live.length > 0) throw new VmctlError("in_use", `network "${name}" is used by the running VMs ${live.map((v) => `"${v}"`).join(", ")}; stop them first`, { vms: live });
    const before = this.registry.get(name);
    if (planned.kind === "bridge") await this.checkBridge(planned, "bridge");
    // Changed first (a start from now on sees the new settings and waits for the work below).
    this.registry.apply(planned);
    if (broughtUp(before)) await this.down(name, before);
    if (managed(planned)) await this.up(planned);
    if (layered(planned)) await this.upPortgroup(planned);
    // A parent's new bridge: its portgroups are linked to it again.
    for (const child of this.registry.list().filter((n) => n.parent === name && this.states.get(n.name)?.state === "active")) await this.upPortgroup(child);
    return this.describeOne(name);
  }

  async remove(name: string): Promise<{ name: string }> {
    const network = this.registry.checkRemovable(name);
    // Gone before its plumbing is taken down, so that no start in between makes a tap on it (a
    // failed take-down leaves leftovers that the next start sweeps).
    this.registry.remove(name);
    this.reservations.dropNetwork(name);
    if (broughtUp(network)) await this.down(name, network);
    return { name };
  }

  /**
   * The QEMU backend of each NIC, its taps made (and removed again if one fails). A NIC on an
   * unknown network, or on a kind VMs cannot use yet, fails the start naming the NIC.
   */
  async attach(vm: string, uuid: string | undefined, def: VmDefinition): Promise<Record<string, NicBackend>> {
    const backends: Record<string, NicBackend> = {};
    const made: string[] = [];
    try {
      for (const [id, nic] of Object.entries(def.nics)) {
        // A take-down or change of the network under way ends first; then it is looked up afresh.
        await this.settled(this.registry.resolve(nic.network)?.name);
        const network = this.registry.resolveNic(vm, id, nic.network);
        if (network.kind === "user") {
          backends[id] = { kind: "user" };
          continue;
        }
        if (managed(network) && this.states.get(network.name)?.state !== "active") await this.up(network);
        if (layered(network) && this.states.get(network.name)?.state !== "active") await this.upPortgroup(network);
        if (network.kind === "bridge" && !taggedBridge(network)) {
          try {
            await this.checkBridge(network, "bridge");
          } catch (error) {
            throw new VmctlError("bad_request", `nics.${id}.network of VM "${vm}": network "${network.name}": ${(error as Error).message}`, { vm, nic: id, network: network.name });
          }
        }
        // Reserved before QEMU starts: the guest's first DHCP request gets the address forwards target
        // (a portgroup of a managed network shares its parent's DHCP).
        const dhcp = this.dhcpNetworkOf(network);
        if (dhcp) await this.reserve(dhcp, nic.mac);
        const tap = this.names.tap(uuid ?? vm, id);
        this.claimTap(tap, vm, uuid, id);
        made.push(tap);
        await this.plumbing.createTap(tap, this.deviceOf(network), this.qemuOwner());
        backends[id] = { kind: "tap", ifname: tap };
      }
    } catch (error) {
      for (const tap of made) {
        this.taps.delete(tap);
        await this.plumbing.deleteTap(tap).catch(() => {});
      }
      throw error;
    }
    // Its forwards follow what the definition says now (a NIC's MAC, and so its reservation, may have changed).
    const nats = new Set(Object.values(def.nics).map((nic) => this.registry.resolve(nic.network)).filter((n) => n?.kind === "nat").map((n) => n!.name));
    for (const name of nats) await this.applyForwards(name).catch((error: unknown) => this.log.warn({ vm, network: name, err: (error as Error).message }, "could not reload the network's port forwards"));
    return backends;
  }

  /** The managed network whose dnsmasq serves a NIC on `network`: itself, or a portgroup's managed parent. */
  private dhcpNetworkOf(network: HostNetwork): string | undefined {
    if (managed(network)) return network.name;
    const parent = isPortgroup(network) ? this.registry.resolve(network.parent!) : undefined;
    return parent && managed(parent) ? parent.name : undefined;
  }

  /** Records the tap as this NIC's, refusing (before anything is made) one another NIC holds. */
  private claimTap(tap: string, vm: string, uuid: string | undefined, nic: string): void {
    const key = `${uuid ?? vm}/${nic}`;
    const holder = this.taps.get(tap);
    if (holder && holder.key !== key) {
      throw new VmctlError("in_use", `nics.${nic} of VM "${vm}": its tap ${tap} would be the tap of NIC ${holder.nic} of VM "${holder.vm}" (a name collision); rename the NIC, e.g. "${nic}-1"`, { vm, nic, tap, holder: holder.vm });
    }
    this.taps.set(tap, { vm, nic, key });
  }

  /** The VM's QEMU has ended: its taps go. */
  async detach(vm: string, uuid: string | undefined, def: VmDefinition): Promise<void> {
    for (const tap of this.tapsOf({ name: vm, uuid, def })) {
      if (this.taps.get(tap)?.key.startsWith(`${uuid ?? vm}/`)) this.taps.delete(tap);
      await this.plumbing.deleteTap(tap).catch((error: unknown) => this.log.warn({ vm, tap, err: (error as Error).message }, "could not remove the NIC's tap"));
    }
  }

  /** A QEMU found running after a restart: its taps join their (maybe new) bridges again. */
  async reattach(vm: RunningVm): Promise<void> {
    for (const [id, nic] of Object.entries(vm.def.nics)) {
      const network = this.registry.resolve(nic.network);
      if (network && tapped(network)) this.taps.set(this.names.tap(vm.uuid ?? vm.name, id), { vm: vm.name, nic: id, key: `${vm.uuid ?? vm.name}/${id}` });
      if (network && tapped(network) && ((network.kind === "bridge" && !taggedBridge(network)) || this.states.get(network.name)?.state === "active")) {
        await this.plumbing.attachTap(this.names.tap(vm.uuid ?? vm.name, id), this.deviceOf(network)).catch((error: unknown) => this.log.warn({ vm: vm.name, err: (error as Error).message }, "could not attach the NIC's tap again"));
      }
    }
  }

  /** Each NIC of the VM on a tap (nat, isolated, portgroup and bridge networks) → its tap (what the metrics count). */
  nicTaps(vm: RunningVm): Record<string, string> {
    return Object.fromEntries(Object.entries(vm.def.nics).flatMap(([id, nic]) => {
      const network = this.registry.resolve(nic.network);
      return network && tapped(network) ? [[id, this.names.tap(vm.uuid ?? vm.name, id)]] : [];
    }));
  }

  private tapsOf(vm: RunningVm): string[] {
    return Object.entries(vm.def.nics).flatMap(([id, nic]) => {
      const network = this.registry.resolve(nic.network);
      return network && tapped(network) ? [this.names.tap(vm.uuid ?? vm.name, id)] : [];
    });
  }

  /** After start and reconcile: whatever of this vmctld's prefix no live network or running VM owns goes (a kill -9's leftovers). */
  async sweep(running: RunningVm[]): Promise<void> {
    // start() left the implicit default network down; a VM that ran on it through the restart needs
    // it (its taps rejoin the bridge), or the sweep below would delete its bridge from under it.
    for (const vm of running) {
      const waiting = Object.values(vm.def.nics).map((nic) => this.registry.resolve(nic.network)).filter((n): n is HostNetwork => n !== undefined && broughtUp(n) && this.states.get(n.name)?.state !== "active");
      for (const network of waiting) await (managed(network) ? this.up(network) : this.upPortgroup(network)).catch(() => {});
      if (waiting.length > 0) await this.reattach(vm);
    }
    const networks = new Set([...this.states].filter(([, s]) => s.state === "active").map(([name]) => name));
    if (process.getuid?.() !== 0) return;
    try {
      const removed = await this.plumbing.sweep({ networks, taps: new Set(running.flatMap((vm) => this.tapsOf(vm))) });
      if (removed.length > 0) this.log.warn({ removed }, "removed network leftovers of an earlier vmctld");
    } catch (error) {
      this.log.error({ err: (error as Error).message }, "could not look for network leftovers of an earlier vmctld");
    }
  }

  /** A clean stop: every managed network goes, but for those running VMs (which outlive vmctld) still use. */
  async stop(running: RunningVm[]): Promise<void> {
    const used = running.flatMap((vm) => Object.values(vm.def.nics).map((nic) => this.registry.resolve(nic.network)));
    // A portgroup a running VM uses keeps its parent up too.
    const inUse = new Set(used.flatMap((n) => (n ? [n.name, ...(n.parent ? [n.parent] : [])] : [])));
    // Portgroups first: their links go before their parents' bridges.
    const names = [...this.states.keys()].sort((a, b) => Number(this.registry.resolve(b)?.kind === "portgroup") - Number(this.registry.resolve(a)?.kind === "portgroup"));
    for (const name of names) {
      if (inUse.has(name)) continue;
      await this.down(name).catch((error: unknown) => this.log.warn({ network: name, err: (error as Error).message }, "could not take the network down"));
    }
  }
}
