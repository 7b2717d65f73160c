// What each kind of host network takes, checked once for vmctld.toml and for the API: the settings
// a kind has no use for are refused, a subnet is parsed and may not overlap another network's, and
// a nat or isolated network without one gets a free /24.
import { NAME_PATTERN, VmctlError, type NetworkKind } from "@vmctl/api-types";
import { formatSubnet, overlaps, parseSubnet, pickFreeSubnet, type Subnet } from "../network/cidr.js";
import { networkKey } from "../network/network-names.js";

export interface NetworkSpec { kind: NetworkKind; subnet?: string; bridge?: string; parent?: string; vlan?: number }
/** A checked spec: nat and isolated always carry their subnet. */
export interface CheckedNetwork extends NetworkSpec { name: string; parsedSubnet?: Subnet }

const NAME = new RegExp(NAME_PATTERN);
const ALLOWED: Record<NetworkKind, readonly (keyof NetworkSpec)[]> = {
  nat: ["subnet"],
  isolated: ["subnet"],
  bridge: ["bridge", "vlan"],
  portgroup: ["parent", "vlan"],
  user: [],
};
const REQUIRED: Record<NetworkKind, readonly (keyof NetworkSpec)[]> = { nat: [], isolated: [], bridge: ["bridge"], portgroup: ["parent", "vlan"], user: [] };

const EXAMPLE: Record<NetworkKind, string> = {
  nat: '{"kind": "nat", "subnet": "10.77.0.0/24"}',
  isolated: '{"kind": "isolated", "subnet": "10.78.0.0/24"}',
  bridge: '{"kind": "bridge", "bridge": "br0"}',
  portgroup: '{"kind": "portgroup", "parent": "lan", "vlan": 20}',
  user: '{"kind": "user"}',
};

/**
 * Checks `spec` for network `name` against the others; `where` prefixes each message (the
 * vmctld.toml table, or nothing for the API). Throws bad_request naming the field and the fix.
 */
export function checkNetwork(name: string, spec: NetworkSpec, others: readonly CheckedNetwork[], seed: number, where = ""): CheckedNetwork {
  const fail = (field: string, message: string): never => {
    throw new VmctlError("bad_request", `${where}${field}: ${message}`, { field });
  };
  if (!NAME.test(name)) fail("name", `"${name}" is not a network name; use lower case letters, digits, "-", "_" and ".", e.g. "lab"`);
  if (!Object.hasOwn(ALLOWED, spec.kind)) fail("kind", `"${String(spec.kind)}" is not a network kind; use one of nat, isolated, bridge, portgroup, user`);
  for (const key of ["subnet", "bridge", "parent", "vlan"] as const) {
    if (spec[key] !== undefined && !ALLOWED[spec.kind].includes(key)) fail(key, `a ${spec.kind} network takes no ${key}; e.g. ${EXAMPLE[spec.kind]}`);
  }
  for (const key of REQUIRED[spec.kind]) {
    if (spec[key] === undefined) fail(key, `a ${spec.kind} network needs a ${key}; e.g. ${EXAMPLE[spec.kind]}`);
  }
  const checked: CheckedNetwork = { name, ...spec };
  // A tagged bridge network gets a bridge of vmctld's for its tag, as a portgroup does.
  const ownBridge = (n: NetworkSpec) => n.kind === "nat" || n.kind === "isolated" || n.kind === "portgroup" || (n.kind === "bridge" && n.vlan !== undefined);
  if (ownBridge(spec)) {
    // Its bridge and table are named by a short hash of the name: a collision would take over another's.
    const twin = others.find((o) => ownBridge(o) && networkKey(o.name) === networkKey(name));
    if (twin) fail("name", `network "${name}" would get the same bridge and nftables table as network "${twin.name}"; choose another name`);
  }
  if (spec.kind === "portgroup") {
    const parent = others.find((o) => o.name === spec.parent);
    if (!parent) fail("parent", `no network "${spec.parent}"; a portgroup is a VLAN of an existing nat, isolated or bridge network`);
    if (parent!.kind === "portgroup" || parent!.kind === "user") fail("parent", `"${spec.parent}" is a ${parent!.kind} network; a portgroup's parent is a nat, isolated or bridge network`);
    const sibling = others.find((o) => o.kind === "portgroup" && o.parent === spec.parent && o.vlan === spec.vlan);
    if (sibling) fail("vlan", `network "${spec.parent}" already has portgroup "${sibling.name}" on VLAN ${spec.vlan}; put NICs on that one, or choose another tag`);
  }
  if (spec.kind === "nat" || spec.kind === "isolated") {
    const taken = others.flatMap((o) => (o.parsedSubnet ? [{ name: o.name, subnet: o.parsedSubnet }] : []));
    let subnet: Subnet;
    if (spec.subnet === undefined) {
      subnet = pickFreeSubnet(taken.map((t) => t.subnet), seed);
    } else {
      try {
        subnet = parseSubnet(spec.subnet);
      } catch (error) {
        return fail("subnet", (error as Error).message);
      }
      const clash = taken.find((t) => overlaps(t.subnet, subnet));
      if (clash) fail("subnet", `"${spec.subnet}" overlaps network "${clash.name}" (${formatSubnet(clash.subnet)}); choose a subnet of its own, e.g. "${formatSubnet(pickFreeSubnet(taken.map((t) => t.subnet), seed))}"`);
    }
    checked.subnet = formatSubnet(subnet);
    checked.parsedSubnet = subnet;
  }
  return checked;
}
