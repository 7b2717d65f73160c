// The host's networks: vmctld.toml's, the implicit `default` (nat unless vmctld.toml says otherwise)
// and those added through the API, kept in SQLite and loaded at every start. Only added ones change
// or go, and not while a VM's NIC names them. A NIC's `network = "nat"`, from definitions written
// before networks existed, means the host's `default` network unless a network is named "nat".
import { VmctlError, type NetworkCreateRequest, type NetworkOrigin, type NetworkPatch } from "@vmctl/api-types";
import type { Db } from "../store/database.js";
import type { ConfiguredNetwork } from "../config/host-config.js";
import type { Inventory } from "./inventory.js";
import { checkNetwork, type CheckedNetwork, type NetworkSpec } from "./network-spec.js";

export const DEFAULT_NETWORK = "default";
/** The NIC network value that means the host's default network (kept for old definitions). */
export const LEGACY_NAT = "nat";
/** Each nat or isolated network is a bridge, a table and a dnsmasq made as root: a flood of POSTs stops here. */
export const MAX_ADDED_NETWORKS = 64;

export interface HostNetwork extends CheckedNetwork { origin: NetworkOrigin }

interface Row { name: string; kind: NetworkSpec["kind"]; subnet: string | null; bridge: string | null; parent: string | null; vlan: number | null }

function specOf(source: ConfiguredNetwork | Row): NetworkSpec {
  const spec: NetworkSpec = { kind: source.kind };
  if (source.subnet != null) spec.subnet = source.subnet;
  if (source.bridge != null) spec.bridge = source.bridge;
  if (source.parent != null) spec.parent = source.parent;
  if (source.vlan != null) spec.vlan = source.vlan;
  return spec;
}

export class NetworkRegistry {
  private readonly networks = new Map<string, HostNetwork>();

  /** Throws on a vmctld.toml network that does not check, naming its table; a stored one that no longer does is skipped with `warn`. */
  constructor(readonly db: Db, configured: Record<string, ConfiguredNetwork>, private readonly seed: number, private readonly inventory: Inventory, warn: (message: string) => void) {
    // Parents before their portgroups.
    const entries = Object.entries(configured).sort(([, a], [, b]) => Number(a.kind === "portgroup") - Number(b.kind === "portgroup"));
    for (const [name, spec] of entries) this.put(checkNetwork(name, specOf(spec), this.list(), seed, `vmctld.toml: networks.${name}.`), name === DEFAULT_NETWORK ? "default" : "config");
    if (!this.networks.has(DEFAULT_NETWORK)) this.put(checkNetwork(DEFAULT_NETWORK, { kind: "nat" }, this.list(), seed), "default");
    for (const row of this.db.prepare("SELECT name, kind, subnet, bridge, parent, vlan FROM networks ORDER BY created_at").all() as Row[]) {
      if (this.networks.has(row.name)) {
        warn(`network "${row.name}" is declared in vmctld.toml too; the one added through the API is ignored`);
        continue;
      }
      try {
        this.put(checkNetwork(row.name, specOf(row), this.list(), seed), "added");
      } catch (error) {
        warn(`network "${row.name}" added through the API is left out: ${(error as Error).message}; remove it (DELETE /api/v1/networks/${row.name}) or change vmctld.toml`);
      }
    }
  }

  private put(network: CheckedNetwork, origin: NetworkOrigin): void {
    this.networks.set(network.name, { ...network, origin });
  }

  list(): HostNetwork[] {
    return [...this.networks.values()];
  }

  get(name: string): HostNetwork {
    const network = this.networks.get(name);
    if (!network) throw new VmctlError("network_not_found", `no network "${name}"; the host has ${this.list().map((n) => `"${n.name}"`).join(", ")}`, { network: name });
    return network;
  }

  /** The network a NIC's `network` value names ("nat" is the default network unless one is named so), or undefined. */
  resolve(value: string): HostNetwork | undefined {
    return this.networks.get(value) ?? (value === LEGACY_NAT ? this.networks.get(DEFAULT_NETWORK) : undefined);
  }

  /** The network of a VM's NIC, or an error at start naming the NIC and the fix. */
  resolveNic(vm: string, nic: string, value: string): HostNetwork {
    const network = this.resolve(value);
    if (network) return network;
    throw new VmctlError("network_not_found",
      `nics.${nic}.network of VM "${vm}": the host has no network "${value}" (it has ${this.list().map((n) => `"${n.name}"`).join(", ")}); create it (\`vmctl network create ${value} --kind isolated\`) or change the NIC (\`vmctl edit ${vm}\`)`,
      { vm, nic, network: value });
  }

  /** The MACs (lower case) of every defined VM's NICs on the network. */
  macsOn(name: string): string[] {
    const network = this.get(name);
    return this.inventory.list().flatMap((entry) => Object.values(entry.def?.nics ?? {}).filter((nic) => this.resolve(nic.network) === network).map((nic) => nic.mac.toLowerCase()));
  }

  /** The VMs whose NICs use the network. */
  users(name: string): string[] {
    const network = this.get(name);
    return this.inventory.list().filter((entry) => Object.values(entry.def?.nics ?? {}).some((nic) => this.resolve(nic.network) === network)).map((entry) => entry.name);
  }

  add(request: NetworkCreateRequest): HostNetwork {
    const { name, ...spec } = request;
    if (this.networks.has(name) || this.stored(name)) throw new VmctlError("network_exists", `name: a network "${name}" already exists; choose another name`, { field: "name" });
    if (this.list().filter((n) => n.origin === "added").length >= MAX_ADDED_NETWORKS) {
      throw new VmctlError("bad_request", `name: the host already has ${MAX_ADDED_NETWORKS} networks added through the API, as many as it takes; remove one first (vmctl network rm NAME)`, { field: "name", limit: MAX_ADDED_NETWORKS });
    }
    const checked = checkNetwork(name, spec, this.list(), this.seed);
    this.db.prepare("INSERT INTO networks (name, kind, subnet, bridge, parent, vlan, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(name, checked.kind, checked.subnet ?? null, checked.bridge ?? null, checked.parent ?? null, checked.vlan ?? null, new Date().toISOString());
    this.put(checked, "added");
    return this.get(name);
  }

  /** Checks a change; apply() stores it once its plumbing is made. */
  planPatch(name: string, patch: NetworkPatch): HostNetwork {
    const network = this.changeable(name, "changed");
    const { name: _name, origin: _origin, parsedSubnet: _parsed, ...current } = network;
    const spec: NetworkSpec = { ...current, ...patch };
    return { ...checkNetwork(name, spec, this.list().filter((n) => n.name !== name), this.seed), origin: "added" };
  }

  apply(network: HostNetwork): void {
    this.db.prepare("UPDATE networks SET subnet = ?, bridge = ?, parent = ?, vlan = ? WHERE name = ?")
      .run(network.subnet ?? null, network.bridge ?? null, network.parent ?? null, network.vlan ?? null, network.name);
    this.put(network, "added");
  }

  /** Refuses removing what is not added, a parent of portgroups, or a network a VM's NIC names (409 naming the VMs). */
  checkRemovable(name: string): HostNetwork {
    const network = this.changeable(name, "removed");
    const children = this.list().filter((n) => n.parent === name).map((n) => n.name);
    if (children.length > 0) throw new VmctlError("in_use", `network "${name}" is the parent of ${children.map((c) => `"${c}"`).join(", ")}; remove those first`, { networks: children });
    const vms = this.users(name);
    if (vms.length > 0) {
      throw new VmctlError("in_use", `network "${name}" is in use by the NICs of ${vms.map((v) => `"${v}"`).join(", ")}; move ${vms.length === 1 ? "that VM's NIC" : "those VMs' NICs"} to another network or remove ${vms.length === 1 ? "it" : "them"} first`, { vms });
    }
    return network;
  }

  remove(name: string): void {
    this.db.prepare("DELETE FROM networks WHERE name = ?").run(name);
    this.networks.delete(name);
  }

  private changeable(name: string, verb: string): HostNetwork {
    const network = this.get(name);
    if (network.origin === "added") return network;
    throw new VmctlError("network_not_removable", network.origin === "default"
      ? `network "${name}" is the host's default network and always exists; its kind and subnet are ${verb} in vmctld.toml ([networks.${name}]), then vmctld restarted`
      : `network "${name}" is declared in vmctld.toml; it is ${verb} there, then vmctld restarted`);
  }

  private stored(name: string): boolean {
    return this.db.prepare("SELECT 1 FROM networks WHERE name = ?").get(name) !== undefined;
  }
}
