// The nftables table of one managed network, replaced atomically in one `nft -f`: a nat network
// masquerades its subnet out of every other interface and lets its traffic be forwarded; an
// isolated one forwards nothing to or from its bridge, whatever the host's ip_forward says. Guest to
// guest across the bridge is always accepted: with br_netfilter loaded, bridged frames pass this
// hook too, with the bridge as both interfaces.
//
// Port forwards (nat only) are DNAT rules in the same table, so they come and go with the network
// and are rewritten with it: prerouting for connections from elsewhere, output for the host's own.
// Why nftables and not a userspace proxy for the host's own connections: one mechanism for TCP and
// UDP, no process of vmctld in the data path (a forward keeps working while vmctld restarts), and the
// guest sees the host's address. Loopback (127.0.0.1:PORT) needs two more things, both confined to
// this network's bridge: route_localnet on the bridge (set by the plumbing) so the kernel routes a
// DNATed packet whose source is 127.0.0.1 out of it, and a masquerade of 127.0.0.0/8 sources toward
// the bridge so the guest answers to the gateway. route_localnet would also let a guest send to the
// host's 127.0.0.1 (its loopback-only services, vmctld's API among them): the raw prerouting chain
// drops every packet from the bridge to or from 127.0.0.0/8 before routing, as Docker does.
import { formatSubnet, type Subnet } from "./cidr.js";

export interface NftForward {
  protocol: "tcp" | "udp";
  /** Without it: every local address of the host (fib daddr type local). */
  hostAddress?: string;
  hostPort: number;
  guestAddress: string;
  guestPort: number;
}

export interface NftSpec { table: string; bridge: string; subnet: Subnet; uplink: boolean; forwards?: readonly NftForward[] }

function dnatRules(forwards: readonly NftForward[], indent: string): string[] {
  return forwards.map((f) => `${indent}${f.hostAddress ? `ip daddr ${f.hostAddress}` : "fib daddr type local"} ${f.protocol} dport ${f.hostPort} dnat to ${f.guestAddress}:${f.guestPort}`);
}

/** The table's text, preceded by add+delete so that `nft -f` replaces an old one or makes it fresh. */
export function renderNftRuleset(spec: NftSpec): string {
  const subnet = formatSubnet(spec.subnet);
  const bridge = JSON.stringify(spec.bridge);
  const forwards = spec.uplink ? (spec.forwards ?? []) : [];
  const body = spec.uplink
    ? [
      "  chain raw_prerouting {",
      "    type filter hook prerouting priority raw; policy accept;",
      `    iifname ${bridge} ip daddr 127.0.0.0/8 drop`,
      `    iifname ${bridge} ip saddr 127.0.0.0/8 drop`,
      "  }",
      "  chain prerouting {",
      "    type nat hook prerouting priority dstnat; policy accept;",
      // A guest's own connection to a host address is not turned back to the guests.
      ...(forwards.length > 0 ? [`    iifname ${bridge} return`] : []),
      ...dnatRules(forwards, "    "),
      "  }",
      "  chain output {",
      "    type nat hook output priority -100; policy accept;",
      ...dnatRules(forwards, "    "),
      "  }",
      "  chain postrouting {",
      "    type nat hook postrouting priority srcnat; policy accept;",
      `    ip saddr ${subnet} ip daddr != ${subnet} oifname != ${bridge} masquerade`,
      `    ip saddr 127.0.0.0/8 oifname ${bridge} masquerade`,
      "  }",
      "  chain forward {",
      "    type filter hook forward priority filter; policy accept;",
      `    iifname ${bridge} oifname ${bridge} accept`,
      `    iifname ${bridge} ip saddr ${subnet} accept`,
      `    oifname ${bridge} ip daddr ${subnet} ct state established,related accept`,
      `    oifname ${bridge} ip daddr ${subnet} ct status dnat accept`,
      `    iifname ${bridge} drop`,
      `    oifname ${bridge} drop`,
      "  }",
    ]
    : [
      "  chain forward {",
      "    type filter hook forward priority filter; policy accept;",
      `    iifname ${bridge} oifname ${bridge} accept`,
      `    iifname ${bridge} drop`,
      `    oifname ${bridge} drop`,
      "  }",
    ];
  return [`add table ip ${spec.table}`, `delete table ip ${spec.table}`, `table ip ${spec.table} {`, ...body, "}", ""].join("\n");
}
