// The names of everything vmctld makes for its networks: each carries this vmctld's prefix (from its
// host id), so several vmctld on one machine never collide and each finds its own leftovers.
// Linux interface names hold at most 15 characters.
import { createHash } from "node:crypto";

const IFNAMSIZ = 15;

function hex(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** What a network's bridge and nftables table are named by: two managed networks may not share it. */
export function networkKey(network: string): string {
  return hex(network, 6);
}

export interface NetworkNames {
  /** "vm" and 5 hex digits of the host id: begins every bridge and tap name of this vmctld. */
  readonly prefix: string;
  bridge(network: string): string;
  tap(vm: string, nic: string): string;
  /** A portgroup's veth pair (its bridge's end, its parent's end) and its VLAN sub-interface of the parent. */
  portgroupLinks(network: string): { veth: string; peer: string; vlan: string };
  /** The nftables table (family ip) of a network. */
  nftTable(network: string): string;
  /** Every nftables table of this vmctld starts with this. */
  readonly nftPrefix: string;
  /** Whether an interface name is one of this vmctld's. */
  owns(ifname: string): boolean;
}

export function networkNames(hostId: string): NetworkNames {
  const prefix = `vm${hex(hostId, 5)}`;
  const nftPrefix = `vmctl_${prefix}_`;
  const names: NetworkNames = {
    prefix,
    nftPrefix,
    // "b" + 6 hex digits of the network's name: 14 characters.
    bridge: (network) => `${prefix}b${networkKey(network)}`,
    // "t" + 7 hex digits of the VM's identity and the NIC: 15 characters, stable across restarts.
    tap: (vm, nic) => `${prefix}t${hex(`${vm}/${nic}`, 7)}`,
    // "p", "q" and "v" + the same 6 hex digits as its bridge: 14 characters.
    portgroupLinks: (network) => ({ veth: `${prefix}p${networkKey(network)}`, peer: `${prefix}q${networkKey(network)}`, vlan: `${prefix}v${networkKey(network)}` }),
    nftTable: (network) => `${nftPrefix}${networkKey(network)}`,
    owns: (ifname) => ifname.length <= IFNAMSIZ && ifname.startsWith(prefix) && /^([bpqv][0-9a-f]{6}|t[0-9a-f]{7})$/.test(ifname.slice(prefix.length)),
  };
  return names;
}

/** A seed for pickFreeSubnet, from the same host id: hosts start their search at different places. */
export function subnetSeed(hostId: string): number {
  return parseInt(hex(`subnet/${hostId}`, 4), 16);
}

/** Whether an interface name is one a vmctld (this one or another on the machine) makes: none of them is a bridge network's. */
export function isVmctlDevice(ifname: string): boolean {
  return /^vm[0-9a-f]{5}([bpqv][0-9a-f]{6}|t[0-9a-f]{7})$/.test(ifname);
}
