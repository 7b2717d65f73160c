// The nftables table of one managed network, replaced atomically in one `nft -f`: a nat network
// masquerades its subnet out of every other interface and lets its traffic be forwarded; an
// isolated one forwards nothing to or from its bridge, whatever the host's ip_forward says. Guest to
// guest across the bridge is always accepted: with br_netfilter loaded, bridged frames pass this
// hook too, with the bridge as both interfaces.
import { formatSubnet, type Subnet } from "./cidr.js";

export interface NftSpec { table: string; bridge: string; subnet: Subnet; uplink: boolean }

/** The table's text, preceded by add+delete so that `nft -f` replaces an old one or makes it fresh. */
export function renderNftRuleset(spec: NftSpec): string {
  const subnet = formatSubnet(spec.subnet);
  const bridge = JSON.stringify(spec.bridge);
  const body = spec.uplink
    ? [
      "  chain postrouting {",
      "    type nat hook postrouting priority srcnat; policy accept;",
      `    ip saddr ${subnet} ip daddr != ${subnet} oifname != ${bridge} masquerade`,
      "  }",
      "  chain forward {",
      "    type filter hook forward priority filter; policy accept;",
      `    iifname ${bridge} oifname ${bridge} accept`,
      `    iifname ${bridge} ip saddr ${subnet} accept`,
      `    oifname ${bridge} ip daddr ${subnet} ct state established,related accept`,
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
