// The DHCP leases of one managed network, read from its dnsmasq lease file (dhcp-leasefile). Each
// IPv4 line is "<expiry epoch seconds> <mac> <ip> <hostname or *> <client-id or *>" (expiry 0: an
// infinite lease); DHCPv6 lines (after "duid …") and anything malformed are skipped, not fatal, as
// dnsmasq rewrites the file under the reader.
import { readFile } from "node:fs/promises";
import { ipToNumber } from "./cidr.js";

export interface Lease {
  /** Lower case, colon-separated. */
  mac: string;
  ip: string;
  /** The name the guest sent, when it sent one. */
  hostname?: string;
  /** When the lease ends (ISO 8601), or null for an infinite one. */
  expiresAt: string | null;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
/** dnsmasq writes a hostname only when it is a valid DNS label; anything else is not trusted. */
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The leases in `text` still valid at `now` (ms since the epoch), the newest per MAC. */
export function parseDnsmasqLeases(text: string, now = Date.now()): Lease[] {
  const byMac = new Map<string, { lease: Lease; expiry: number }>();
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    // The DHCPv6 leases follow the server's DUID line.
    if (fields[0] === "duid") break;
    if (fields.length < 4) continue;
    const [expiryText, macText, ip, hostname] = fields as [string, string, string, string];
    const mac = macText.toLowerCase();
    if (!/^\d{1,12}$/.test(expiryText) || !MAC.test(mac) || ipToNumber(ip) === undefined) continue;
    const expiry = Number(expiryText);
    if (expiry !== 0 && expiry * 1000 <= now) continue;
    const lease: Lease = { mac, ip, ...(hostname !== "*" && HOSTNAME.test(hostname) ? { hostname } : {}), expiresAt: expiry === 0 ? null : new Date(expiry * 1000).toISOString() };
    const rank = expiry === 0 ? Infinity : expiry;
    const seen = byMac.get(mac);
    if (!seen || rank >= seen.expiry) byMac.set(mac, { lease, expiry: rank });
  }
  return [...byMac.values()].map((v) => v.lease);
}

/** The current leases of the lease file at `path`; none when it does not exist (yet). */
export async function readDnsmasqLeases(path: string, now = Date.now()): Promise<Lease[]> {
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "";
    throw error;
  });
  return parseDnsmasqLeases(text, now);
}
