// Every VM's IP addresses, per NIC, as GET /vms, `vmctl ls` and the inventory show them: merged from
// the sources vmctld has. The guest agent (a provider registered with addProvider) wins for a NIC it
// reports; else the NIC's DHCP lease from vmctld's dnsmasq on its managed network, matched by MAC.
// Only a VM whose QEMU runs has addresses: a lease outlives the VM that took it.
import type { VmAddress, VmDefinition } from "@vmctl/api-types";
import { isIP } from "node:net";
import { ipToNumber, type Subnet } from "../network/cidr.js";
import type { NetworkRegistry } from "./network-registry.js";

/** One lease of a network's dnsmasq (network/dnsmasq-leases.ts reads them, the newest per MAC). */
export interface LeaseLike { mac: string; ip: string; expiresAt?: string | null }

/** Reads a managed network's current leases (NetworkPlumbing.leases). */
export type LeaseReader = (network: string) => Promise<readonly LeaseLike[]>;

/**
 * A source of addresses the guest reports (the QEMU guest agent): for a VM, each interface's MAC and
 * its addresses, or undefined when it knows nothing of that VM. It calls `changed` when what it knows changes.
 */
export interface AddressProvider {
  readonly source: "agent";
  addressesOf(vm: string): ReadonlyArray<{ mac: string; ips: readonly string[] }> | undefined;
}

/** Leases are read again at most this often (GET /vms is the hottest read). */
const REFRESH_MS = 1000;

const normalMac = (mac: string) => mac.toLowerCase();

export class VmAddresses {
  /** Grows whenever an answer may change (a lease came or went, a provider said so): cached listings keyed on it. */
  generation = 0;
  private readonly leases = new Map<string, readonly LeaseLike[]>();
  private readonly providers: AddressProvider[] = [];
  private lastRefresh = 0;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly registry: Pick<NetworkRegistry, "list" | "resolve">, private readonly readLeases: LeaseReader | undefined) {}

  /** The guest agent's seam: its addresses come first for the NICs it reports. */
  addProvider(provider: AddressProvider): void {
    this.providers.push(provider);
    this.changed();
  }

  /** A provider's addresses changed. */
  changed(): void {
    this.generation++;
  }

  /** Reads the leases of every managed network again (at most once a second; concurrent callers share one read). */
  refresh(): Promise<void> {
    if (!this.readLeases || Date.now() - this.lastRefresh < REFRESH_MS) return this.refreshing ?? Promise.resolve();
    this.lastRefresh = Date.now();
    this.refreshing ??= this.readAll().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  private async readAll(): Promise<void> {
    const read = this.readLeases!;
    const seen = new Set<string>();
    for (const network of this.registry.list()) {
      if (network.kind !== "nat" && network.kind !== "isolated") continue;
      seen.add(network.name);
      const now = await read(network.name).catch(() => [] as LeaseLike[]);
      const before = this.leases.get(network.name) ?? [];
      if (key(now) !== key(before)) {
        this.leases.set(network.name, now);
        this.generation++;
      }
    }
    for (const name of [...this.leases.keys()]) if (!seen.has(name)) { this.leases.delete(name); this.generation++; }
  }

  /** The VM's addresses: none unless `running`; per NIC the agent's if it reports that MAC, else the NIC's lease. */
  of(vm: string, def: VmDefinition | undefined, running: boolean): VmAddress[] {
    if (!def || !running) return [];
    const reported = new Map<string, readonly string[]>();
    for (const provider of this.providers) {
      for (const { mac, ips } of provider.addressesOf(vm) ?? []) if (!reported.has(normalMac(mac))) reported.set(normalMac(mac), ips);
    }
    const out: VmAddress[] = [];
    for (const [nic, { mac, network }] of Object.entries(def.nics)) {
      // A portgroup shares its parent's subnet and dnsmasq: its NICs' leases are the parent's.
      const resolved = this.registry.resolve(network);
      const name = resolved?.kind === "portgroup" ? resolved.parent : resolved?.name;
      const leases = name === undefined ? [] : this.leases.get(name) ?? [];
      const subnet = (resolved?.kind === "portgroup" && name !== undefined ? this.registry.resolve(name) : resolved)?.parsedSubnet;
      const agent = reported.get(normalMac(mac))?.filter((ip) => mayClaim(ip, mac, subnet, leases));
      if (agent && agent.length > 0) {
        for (const ip of agent) out.push({ nic, mac, ip, source: "agent" });
        continue;
      }
      // The reader keeps the newest lease per MAC.
      const lease = leases.find((l) => normalMac(l.mac) === normalMac(mac));
      if (lease) out.push({ nic, mac, ip: lease.ip, source: "dhcp" });
    }
    return out;
  }
}

/**
 * Whether the guest agent's IPv4 address may stand for this NIC (`vmctl ssh` connects to the first):
 * on a managed network (a subnet of vmctld's) only an address of that subnet that is neither its
 * network, broadcast or vmctld's gateway address nor another MAC's lease, so a guest cannot send
 * `vmctl ssh` to another VM, the host or a machine beyond. IPv6 addresses are shown as the guest says.
 */
function mayClaim(ip: string, mac: string, subnet: Subnet | undefined, leases: readonly LeaseLike[]): boolean {
  if (isIP(ip) !== 4) return true;
  const n = ipToNumber(ip);
  if (n === undefined || n === 0 || n >= 224 * 2 ** 24) return false;
  if (subnet) {
    const size = 2 ** (32 - subnet.prefix);
    if (n <= subnet.base + 1 || n >= subnet.base + size - 1) return false;
  }
  return !leases.some((l) => l.ip === ip && normalMac(l.mac) !== normalMac(mac));
}

function key(leases: readonly LeaseLike[]): string {
  return leases.map((l) => `${normalMac(l.mac)} ${l.ip} ${l.expiresAt ?? ""}`).sort().join("\n");
}
