// The dnsmasq configuration of one managed network: DHCP and DNS on its bridge only, its own pid
// and lease files, no upstream servers for an isolated network, and no router handed out there.
import { dhcpRangeOf, gatewayOf, netmaskOf, type Subnet } from "./cidr.js";

export interface DnsmasqFiles { conf: string; pid: string; leases: string }

export interface DnsmasqSpec {
  bridge: string;
  subnet: Subnet;
  /** nat: guests get the gateway as their router and DNS forwards to the host's resolvers. */
  uplink: boolean;
  files: DnsmasqFiles;
  /** dnsmasq drops root for this user once its sockets and files are open. */
  user: string;
  /**
   * MAC → address reservations, as dhcp-host lines of this file (read as root at start). Not a
   * dhcp-hostsfile: dnsmasq reads that as the user it dropped to, who cannot reach vmctld's run dir.
   */
  reservations?: readonly { mac: string; ip: string }[];
}

export function renderDnsmasqConfig(spec: DnsmasqSpec): string {
  const range = dhcpRangeOf(spec.subnet);
  const lines = [
    "# written by vmctld for one network; rewritten at every start",
    `interface=${spec.bridge}`,
    "bind-interfaces",
    "except-interface=lo",
    `listen-address=${gatewayOf(spec.subnet)}`,
    `pid-file=${spec.files.pid}`,
    `dhcp-leasefile=${spec.files.leases}`,
    `dhcp-range=${range.first},${range.last},${netmaskOf(spec.subnet)},1h`,
    "dhcp-authoritative",
    "dhcp-no-override",
    // Only what this file says: no /etc/dnsmasq.conf, no /etc/hosts of the host.
    "no-hosts",
    "domain-needed",
    "bogus-priv",
    `user=${spec.user}`,
    ...(spec.reservations ?? []).map((r) => `dhcp-host=${r.mac},${r.ip}`),
  ];
  // An isolated network has no way out: no default route for guests, no upstream DNS.
  if (!spec.uplink) lines.push("dhcp-option=option:router", "no-resolv");
  return `${lines.join("\n")}\n`;
}
