// What a managed network is on the host, behind one interface: its bridge, dnsmasq and nftables
// table made (or found again and fixed) and removed, a NIC's tap, and the sweep of this vmctld's
// leftovers after a kill -9. Unit tests of the domain use the null plumbing, which touches nothing.
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Subnet } from "./cidr.js";
import type { NetworkNames } from "./network-names.js";
import { ensureBridge } from "./bridge-device.js";
import { dnsmasqFiles, removeDnsmasq, runningDnsmasq, startDnsmasq } from "./dnsmasq-process.js";
import { readDnsmasqLeases, type Lease } from "./dnsmasq-leases.js";
export type { Lease } from "./dnsmasq-leases.js";
import { deleteNftTable, listNftTables, loadNftTable } from "./nft-table.js";
import type { NftForward } from "./nft-ruleset.js";
import { attachTap, createTap, deleteTap } from "./tap-device.js";
import { deleteLink, listLinks } from "./net-commands.js";
import { checkHostRoutes } from "./host-routes.js";
import { isVmctlDevice } from "./network-names.js";
import { ensurePortgroup, isBridge } from "./portgroup-device.js";

const IP_FORWARD = "/proc/sys/net/ipv4/ip_forward";

/** A DHCP reservation: the NIC with this MAC always gets this address. */
export interface Reservation { mac: string; ip: string }

export interface ManagedNetwork {
  name: string;
  kind: "nat" | "isolated";
  subnet: Subnet;
  /** The port forwards to its guests (nat only): DNAT rules in its table. */
  forwards?: readonly NftForward[];
  reservations?: readonly Reservation[];
}

/** What stays when leftovers are swept: the live networks and the taps of running VMs. */
export interface Keep { networks: ReadonlySet<string>; taps: ReadonlySet<string> }

export interface PortgroupUp { name: string; vlan: number; parentDevice: string; parentKind: "managed" | "bridge" }

export interface NetworkPlumbing {
  /** Whether this plumbing really changes the host (the null one does not). */
  readonly real: boolean;
  up(network: ManagedNetwork): Promise<void>;
  down(network: string): Promise<void>;
  /** A NIC's tap on `device`: a managed network's or portgroup's bridge, or a bridge network's own. */
  createTap(tap: string, device: string, owner: { uid: number; gid: number } | null): Promise<void>;
  attachTap(tap: string, device: string): Promise<void>;
  /** A portgroup's bridge and its link to the parent's bridge (see portgroup-device.ts). */
  upPortgroup(portgroup: PortgroupUp): Promise<{ warning?: string }>;
  downPortgroup(network: string): Promise<void>;
  /** Throws, saying why, unless `device` is an existing Linux bridge that no vmctld made. */
  checkBridgeDevice(device: string): Promise<void>;
  deleteTap(tap: string): Promise<void>;
  /** Removes every device, table and dnsmasq of this vmctld's prefix that `keep` does not name. */
  sweep(keep: Keep): Promise<string[]>;
  /** The current DHCP leases of a managed network's dnsmasq (none for a network that is not up). */
  leases(network: string): Promise<Lease[]>;
  /** Replaces the network's port forwards (its nftables table is reloaded in one transaction). */
  setForwards(network: ManagedNetwork): Promise<void>;
  /** Replaces the network's DHCP reservations; its running dnsmasq reads them again. */
  setReservations(network: string, reservations: readonly Reservation[]): Promise<void>;
}

export class HostNetworkPlumbing implements NetworkPlumbing {
  readonly real = true;
  /** runDir: vmctld's run dir; each network's dnsmasq files go to .networks/<name> in it (no VM name starts with "."). */
  constructor(private readonly names: NetworkNames, private readonly runDir: string, private readonly dnsmasqUser: string) {}
  /** The networks brought up by this vmctld, as last brought up (dnsmasq is restarted from them). */
  private readonly upNetworks = new Map<string, ManagedNetwork>();

  private dir(network: string): string {
    return join(this.runDir, ".networks", network);
  }

  async up(network: ManagedNetwork): Promise<void> {
    this.upNetworks.set(network.name, network);
    const bridge = this.names.bridge(network.name);
    const uplink = network.kind === "nat";
    // Before anything is made: a subnet the host routes elsewhere would take over part of its traffic.
    await checkHostRoutes(network.subnet, bridge);
    // Made first: its presence tells a later start that this vmctld may have left something to sweep.
    await mkdir(join(this.runDir, ".networks"), { recursive: true, mode: 0o755 });
    await ensureBridge(bridge, network.subnet);
    // A forward from the host's 127.0.0.1 leaves by the bridge with a loopback source (see nft-ruleset.ts).
    if (uplink) await writeFile(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, "1\n");
    await this.setForwards(network);
    // Masquerading needs forwarding in vmctld's network namespace, as libvirt's NAT networks do.
    if (uplink) await this.enableForwarding();
    await startDnsmasq(this.dir(network.name), { bridge, subnet: network.subnet, uplink, user: this.dnsmasqUser }, network.reservations ?? []);
  }

  async setForwards(network: ManagedNetwork): Promise<void> {
    const uplink = network.kind === "nat";
    await loadNftTable({ table: this.names.nftTable(network.name), bridge: this.names.bridge(network.name), subnet: network.subnet, uplink, forwards: uplink ? (network.forwards ?? []) : [] });
  }

  /**
   * dnsmasq is started again with the new reservations (dhcp-host lines of its conf) rather than
   * sent SIGHUP: it would re-read a dhcp-hostsfile as the unprivileged user it dropped to, who cannot
   * reach vmctld's run dir (0700).
   * Its leases are kept in the lease file; a client mid-exchange just retries.
   */
  async setReservations(network: string, reservations: readonly Reservation[]): Promise<void> {
    const up = this.upNetworks.get(network);
    if (!up || (await runningDnsmasq(dnsmasqFiles(this.dir(network)))) === undefined) return;
    this.upNetworks.set(network, { ...up, reservations });
    await startDnsmasq(this.dir(network), { bridge: this.names.bridge(network), subnet: up.subnet, uplink: up.kind === "nat", user: this.dnsmasqUser }, reservations);
  }

  async down(network: string): Promise<void> {
    this.upNetworks.delete(network);
    await removeDnsmasq(this.dir(network));
    await deleteNftTable(this.names.nftTable(network));
    // Taps on the bridge go with it only from the bridge; they are the VMs' and stay until those stop.
    await deleteLink(this.names.bridge(network));
    await this.restoreForwarding();
  }

  /** Where vmctld notes that it found forwarding off (not in .networks/, whose entries are networks). */
  private get forwardingMarker(): string {
    return join(this.runDir, ".ip-forward-was-off");
  }

  private async enableForwarding(): Promise<void> {
    if ((await readFile(IP_FORWARD, "utf8")).trim() === "1") return;
    // Noted before it is turned on, so that a start after a kill -9 still turns it off.
    await writeFile(this.forwardingMarker, "");
    await writeFile(IP_FORWARD, "1\n");
  }

  /** Forwarding vmctld turned on goes off once no vmctld's table is left in the namespace (another may masquerade). */
  private async restoreForwarding(): Promise<void> {
    if (!existsSync(this.forwardingMarker) || (await listNftTables("vmctl_")).length > 0) return;
    await writeFile(IP_FORWARD, "0\n");
    await rm(this.forwardingMarker, { force: true });
  }

  createTap(tap: string, device: string, owner: { uid: number; gid: number } | null): Promise<void> {
    return createTap(tap, device, owner);
  }

  attachTap(tap: string, device: string): Promise<void> {
    return attachTap(tap, device);
  }

  async upPortgroup(portgroup: PortgroupUp): Promise<{ warning?: string }> {
    await mkdir(join(this.runDir, ".networks"), { recursive: true, mode: 0o755 });
    return ensurePortgroup({ bridge: this.names.bridge(portgroup.name), links: this.names.portgroupLinks(portgroup.name), parentDevice: portgroup.parentDevice, parentKind: portgroup.parentKind, vlan: portgroup.vlan });
  }

  async downPortgroup(network: string): Promise<void> {
    const links = this.names.portgroupLinks(network);
    // Deleting one end of the veth deletes its peer.
    for (const link of [links.veth, links.peer, links.vlan, this.names.bridge(network)]) await deleteLink(link);
  }

  async checkBridgeDevice(device: string): Promise<void> {
    if (isVmctlDevice(device)) throw new Error(`${device} is a device vmctld made for one of its own networks; name a bridge of the host's, e.g. br0`);
    const bridge = await isBridge(device);
    if (bridge === undefined) throw new Error(`the host has no device ${device}; make the bridge first (e.g. \`ip link add ${device} type bridge\`) or name an existing one`);
    if (!bridge) throw new Error(`${device} is not a Linux bridge; name a bridge (\`ip -d link show type bridge\` lists them)`);
  }

  deleteTap(tap: string): Promise<void> {
    return deleteTap(tap);
  }

  leases(network: string): Promise<Lease[]> {
    return readDnsmasqLeases(dnsmasqFiles(this.dir(network)).leases);
  }

  async sweep(keep: Keep): Promise<string[]> {
    const removed: string[] = [];
    // A vmctld that never made a network (e.g. every network of kind user) has nothing to look for.
    if (keep.networks.size === 0 && !existsSync(join(this.runDir, ".networks"))) return removed;
    const bridges = new Set([...keep.networks].flatMap((n) => [this.names.bridge(n), ...Object.values(this.names.portgroupLinks(n))]));
    const tables = new Set([...keep.networks].map((n) => this.names.nftTable(n)));
    for (const entry of await readdir(join(this.runDir, ".networks")).catch(() => [] as string[])) {
      if (!keep.networks.has(entry)) {
        await removeDnsmasq(this.dir(entry));
        removed.push(`dnsmasq of ${entry}`);
      }
    }
    for (const table of await listNftTables(this.names.nftPrefix)) {
      if (!tables.has(table)) {
        await deleteNftTable(table);
        removed.push(`nftables table ${table}`);
      }
    }
    // Taps first: a bridge deleted under them would only detach them.
    const links = [...(await listLinks()).keys()].filter((name) => this.names.owns(name)).sort((a, b) => (a[this.names.prefix.length] === "t" ? -1 : 0) - (b[this.names.prefix.length] === "t" ? -1 : 0));
    for (const link of links) {
      if (!bridges.has(link) && !keep.taps.has(link)) {
        await deleteLink(link);
        removed.push(`interface ${link}`);
      }
    }
    await this.restoreForwarding();
    return removed;
  }
}

/** For the domain's unit tests (a fake driver): nothing on the host is made or removed. */
export class NullNetworkPlumbing implements NetworkPlumbing {
  readonly real = false;
  readonly log: string[] = [];
  async up(network: ManagedNetwork): Promise<void> { this.log.push(`up ${network.name}`); }
  async down(network: string): Promise<void> { this.log.push(`down ${network}`); }
  async createTap(tap: string, device: string): Promise<void> { this.log.push(`tap ${tap} ${device}`); }
  async attachTap(tap: string, device: string): Promise<void> { this.log.push(`attach ${tap} ${device}`); }
  async upPortgroup(portgroup: PortgroupUp): Promise<{ warning?: string }> { this.log.push(`up portgroup ${portgroup.name}`); return {}; }
  async downPortgroup(network: string): Promise<void> { this.log.push(`down portgroup ${network}`); }
  async checkBridgeDevice(): Promise<void> {}
  async deleteTap(tap: string): Promise<void> { this.log.push(`rm tap ${tap}`); }
  async sweep(): Promise<string[]> { return []; }
  async leases(): Promise<Lease[]> { return []; }
  async setForwards(network: ManagedNetwork): Promise<void> { this.log.push(`forwards ${network.name} ${(network.forwards ?? []).length}`); }
  async setReservations(network: string, reservations: readonly Reservation[]): Promise<void> { this.log.push(`reservations ${network} ${reservations.length}`); }
}
