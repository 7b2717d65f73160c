// A DHCP reservation for each NIC on a managed network: its MAC always gets the same address, kept
// in SQLite, so a port forward's target is known before the guest boots and stays across restarts.
// The address is picked from a hash of the MAC (stable for a NIC), past the ones reserved for other
// MACs and those another MAC holds a lease on; a reservation outside the network's (changed) subnet
// is picked again.
import { createHash } from "node:crypto";
import { VmctlError } from "@vmctl/api-types";
import { dhcpRangeOf, ipToNumber, numberToIp, type Subnet } from "../network/cidr.js";
import type { Reservation } from "../network/network-plumbing.js";
import type { Db } from "../store/database.js";

/** The address for `mac` in `subnet`'s DHCP range that `taken` does not hold, starting where the MAC's hash points. */
export function pickReservedAddress(subnet: Subnet, mac: string, taken: ReadonlySet<string>): string | undefined {
  const range = dhcpRangeOf(subnet);
  const first = ipToNumber(range.first)!;
  const count = ipToNumber(range.last)! - first + 1;
  const start = parseInt(createHash("sha256").update(mac.toLowerCase()).digest("hex").slice(0, 8), 16) % count;
  for (let i = 0; i < count; i++) {
    const ip = numberToIp(first + ((start + i) % count));
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}

function inSubnet(ip: string, subnet: Subnet): boolean {
  const range = dhcpRangeOf(subnet);
  const n = ipToNumber(ip);
  return n !== undefined && n >= ipToNumber(range.first)! && n <= ipToNumber(range.last)!;
}

export class DhcpReservations {
  constructor(private readonly db: Db) {}

  list(network: string): Reservation[] {
    return this.db.prepare("SELECT mac, ip FROM dhcp_reservations WHERE network = ? ORDER BY ip").all(network) as Reservation[];
  }

  get(network: string, mac: string): string | undefined {
    return (this.db.prepare("SELECT ip FROM dhcp_reservations WHERE network = ? AND mac = ?").get(network, mac.toLowerCase()) as { ip: string } | undefined)?.ip;
  }

  /** The NIC's reserved address, made now if it has none (or one outside the subnet). `leased`: address → MAC of current leases. */
  reserve(network: string, subnet: Subnet, mac: string, leased: ReadonlyMap<string, string>): { ip: string; changed: boolean } {
    const key = mac.toLowerCase();
    const current = this.get(network, key);
    if (current !== undefined && inSubnet(current, subnet)) return { ip: current, changed: false };
    const taken = new Set(this.list(network).filter((r) => r.mac !== key && inSubnet(r.ip, subnet)).map((r) => r.ip));
    for (const [ip, holder] of leased) if (holder !== key) taken.add(ip);
    const ip = pickReservedAddress(subnet, key, taken);
    if (ip === undefined) throw new VmctlError("in_use", `network "${network}" has no address left to reserve for the NIC with MAC ${key}; give the network a larger subnet`, { network });
    this.db.transaction(() => {
      // A reservation outside a changed subnet holds nothing: it goes first.
      this.db.prepare("DELETE FROM dhcp_reservations WHERE network = ? AND (mac = ? OR ip = ?)").run(network, key, ip);
      this.db.prepare("INSERT INTO dhcp_reservations (network, mac, ip) VALUES (?, ?, ?)").run(network, key, ip);
    })();
    return { ip, changed: true };
  }

  /** Drops the reservations of MACs no NIC on the network has any more (a VM destroyed, a NIC moved); true when some went. */
  prune(network: string, macs: ReadonlySet<string>, subnet: Subnet | undefined): boolean {
    const gone = this.list(network).filter((r) => !macs.has(r.mac) || (subnet !== undefined && !inSubnet(r.ip, subnet)));
    const remove = this.db.prepare("DELETE FROM dhcp_reservations WHERE network = ? AND mac = ?");
    for (const r of gone) remove.run(network, r.mac);
    return gone.length > 0;
  }

  dropNetwork(network: string): void {
    this.db.prepare("DELETE FROM dhcp_reservations WHERE network = ?").run(network);
  }
}
