// What a port forward may not take from the host: a port a host process already listens on (TCP) or
// has bound (UDP) in vmctld's network namespace, read from /proc/net; and the host's own IPv4
// addresses, the only ones a forward may answer on.
import { readFile } from "node:fs/promises";
import { numberToIp } from "./cidr.js";
import { runNet } from "./net-commands.js";

export interface Listener { protocol: "tcp" | "udp"; address: string; port: number }

const TCP_LISTEN = "0A";

/** A /proc/net/{tcp,udp}[6] "ADDR:PORT" field: IPv4 as 8 hex digits in host (little-endian) order; IPv6 as 32, a v4-mapped one given as IPv4. */
function decodeAddress(hex: string): string {
  if (hex.length === 8) return numberToIp(Buffer.from(hex, "hex").readUInt32LE(0));
  const words = Buffer.from(hex, "hex");
  const swapped = Buffer.alloc(16);
  for (let i = 0; i < 16; i += 4) swapped.writeUInt32BE(words.readUInt32LE(i), i);
  if (swapped.subarray(0, 10).every((b) => b === 0) && swapped[10] === 0xff && swapped[11] === 0xff) return numberToIp(swapped.readUInt32BE(12));
  if (swapped.every((b) => b === 0)) return "::";
  return swapped.toString("hex").replace(/(.{4})(?!$)/g, "$1:");
}

/** The sockets of a /proc/net table text that hold a port: TCP in LISTEN, every bound UDP socket. */
export function parseProcNet(text: string, protocol: "tcp" | "udp"): Listener[] {
  return text.split("\n").slice(1).flatMap((line) => {
    const fields = line.trim().split(/\s+/);
    const [address, portHex] = (fields[1] ?? "").split(":");
    if (!address || !portHex || (protocol === "tcp" && fields[3] !== TCP_LISTEN)) return [];
    const port = parseInt(portHex, 16);
    return port > 0 ? [{ protocol, address: decodeAddress(address), port }] : [];
  });
}

/** The host's listeners on `port` that an IPv4 forward on `hostAddress` (or on every address) would take. */
export function clashingListeners(listeners: readonly Listener[], protocol: "tcp" | "udp", port: number, hostAddress: string | undefined): Listener[] {
  return listeners.filter((l) => l.protocol === protocol && l.port === port && (hostAddress === undefined || l.address === "0.0.0.0" || l.address === "::" || l.address === hostAddress));
}

export async function hostListeners(): Promise<Listener[]> {
  const read = (file: string) => readFile(file, "utf8").catch(() => "");
  const [tcp, tcp6, udp, udp6] = await Promise.all(["/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"].map(read));
  return [...parseProcNet(tcp!, "tcp"), ...parseProcNet(tcp6!, "tcp"), ...parseProcNet(udp!, "udp"), ...parseProcNet(udp6!, "udp")];
}

/** The IPv4 addresses of every interface of vmctld's namespace, loopback included. */
export async function hostAddresses(): Promise<string[]> {
  const links = JSON.parse(await runNet("ip", ["-j", "-4", "addr", "show"])) as { addr_info?: { local: string }[] }[];
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local));
}
