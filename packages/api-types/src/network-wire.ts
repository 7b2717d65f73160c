// Wire types of host networks (GET/POST /api/v1/networks, GET/PATCH/DELETE /api/v1/networks/{name}):
// the pinned shape of issue 12 plus what vmctld reports about the network's plumbing.
import { Type, type Static } from "@sinclair/typebox";
import { NAME_PATTERN } from "./definition-schema.js";
import { literalUnion } from "./literal-union.js";

/**
 * nat and isolated: a bridge vmctld makes, with dnsmasq for DHCP and DNS (nat also masquerades);
 * bridge: an existing Linux bridge of the host's (vmctld adds and removes only its NICs' taps);
 * portgroup: a VLAN on its parent network, a bridge of its own so that tags never share a layer-2
 * segment, even on a kernel without 802.1Q or bridge VLAN filtering. On a nat or isolated parent it
 * shares the parent's subnet, gateway and DHCP and is pure layer 2: linked to the parent's bridge by
 * an isolated bridge port, it reaches the gateway and dnsmasq but no other portgroup (VMs directly
 * on the parent are its untagged segment, which every portgroup reaches); no tag leaves the host. On
 * a bridge parent a VLAN sub-interface of that bridge carries the tag to the wire (where the kernel
 * has no 802.1Q the portgroup stays local to the host). user: QEMU user-mode.
 */
export const NETWORK_KINDS = ["nat", "isolated", "bridge", "portgroup", "user"] as const;
export type NetworkKind = (typeof NETWORK_KINDS)[number];
/** default: the host's `default` network (not in vmctld.toml); config: vmctld.toml; added: the API. */
export const NETWORK_ORIGINS = ["default", "config", "added"] as const;
export type NetworkOrigin = (typeof NETWORK_ORIGINS)[number];
export const NETWORK_STATES = ["active", "inactive", "failed"] as const;
/** A Linux interface name: at most 15 characters, no "/" or blanks. */
export const IFNAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$";
export const CIDR_PATTERN = "^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$";

const settings = {
  subnet: Type.Optional(Type.String({ pattern: CIDR_PATTERN, description: "IPv4 subnet of a nat or isolated network, e.g. \"10.77.0.0/24\"; the gateway (vmctld's address on the bridge) is its first address. Without it vmctld picks a free /24 in 10.0.0.0/8" })),
  bridge: Type.Optional(Type.String({ pattern: IFNAME_PATTERN, description: "the existing Linux bridge of a bridge network" })),
  parent: Type.Optional(Type.String({ pattern: NAME_PATTERN, description: "the nat, isolated or bridge network a portgroup is a VLAN of (it cannot be removed while it has portgroups)" })),
  vlan: Type.Optional(Type.Integer({ minimum: 1, maximum: 4094, description: "the VLAN tag of a portgroup, one portgroup per tag and parent; on a bridge network its NICs' tag (the network is then a portgroup of its bridge: a bridge of vmctld's own, tagged onto the existing one where the kernel has 802.1Q)" })),
};

export const NetworkCreateRequestSchema = Type.Object({
  // The pattern (NAME_PATTERN) is checked by vmctld, whose answer says how to fix the name.
  name: Type.String({ minLength: 1, maxLength: 63, description: "lower case letters, digits, '-', '_' and '.', starting with a letter or digit" }),
  kind: literalUnion(NETWORK_KINDS),
  ...settings,
}, { additionalProperties: false });
export type NetworkCreateRequest = Static<typeof NetworkCreateRequestSchema>;

/** PATCH: the settings to change (a network's kind stays what it was made as). */
export const NetworkPatchSchema = Type.Object(settings, { additionalProperties: false });
export type NetworkPatch = Static<typeof NetworkPatchSchema>;

export const NetworkSchema = Type.Object({
  name: Type.String(),
  kind: literalUnion(NETWORK_KINDS),
  ...settings,
  origin: literalUnion(NETWORK_ORIGINS),
  state: literalUnion(NETWORK_STATES, { description: "active: its bridge, dnsmasq and rules are up (user: always); inactive: not brought up yet (the host's implicit default network waits for its first VM); failed: see error" }),
  gateway: Type.Optional(Type.String({ description: "vmctld's address on the bridge: the guests' router (nat) and DNS server" })),
  device: Type.Optional(Type.String({ description: "the Linux bridge vmctld made for it (named with this vmctld's prefix)" })),
  error: Type.Optional(Type.String({ description: "why a failed network could not be brought up" })),
  warning: Type.Optional(Type.String({ description: "what an active network does other than asked: a VLAN tag the kernel cannot put on the wire (no 802.1Q) keeps the portgroup's VMs on this host" })),
});
export type Network = Static<typeof NetworkSchema>;

export const NetworkListSchema = Type.Object({ networks: Type.Array(NetworkSchema) });
export const NetworkParamsSchema = Type.Object({ network: Type.String({ pattern: NAME_PATTERN }) });
export const NetworkRemovedSchema = Type.Object({ name: Type.String() });
