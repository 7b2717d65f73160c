// IPv4 subnets of managed networks: parsing with a message that names the fix, overlap, and the
// addresses vmctld hands out (the gateway first, the DHCP range after it).

export interface Subnet {
  /** The network address as a 32-bit unsigned number. */
  base: number;
  prefix: number;
}

export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** The most and fewest addresses a managed network may have: /8 is already absurd, /29 gives 5 guests. */
const MIN_PREFIX = 8;
const MAX_PREFIX = 29;

/**
 * Ranges whose gateway on a bridge of vmctld's (root) would shadow the host's own routes: lo's
 * 127/8, link-local (where cloud metadata answers), multicast and the reserved rest.
 */
const SPECIAL: readonly { subnet: Subnet; what: string }[] = [
  { subnet: { base: 0, prefix: 8 }, what: '"this network"' },
  { subnet: { base: 127 * 2 ** 24, prefix: 8 }, what: "loopback" },
  { subnet: { base: (169 * 256 + 254) * 2 ** 16, prefix: 16 }, what: "link-local" },
  { subnet: { base: 224 * 2 ** 24, prefix: 3 }, what: "multicast and reserved" },
];

/** Parses "10.77.0.0/24", refusing host bits and sizes that leave no room for guests; throws a message for the field. */
export function parseSubnet(text: string): Subnet {
  const [ip, bits, extra] = text.split("/");
  const base = ipToNumber(ip ?? "");
  const prefix = bits !== undefined && /^\d{1,2}$/.test(bits) ? Number(bits) : NaN;
  if (base === undefined || extra !== undefined || Number.isNaN(prefix)) throw new Error(`"${text}" is not an IPv4 subnet; write it as address/prefix, e.g. "10.77.0.0/24"`);
  if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) throw new Error(`"${text}": the prefix must be /${MIN_PREFIX} to /${MAX_PREFIX}, e.g. "${ip}/24"`);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) throw new Error(`"${text}" has host bits set; the subnet is "${numberToIp(base - (base % size))}/${prefix}"`);
  const special = SPECIAL.find((s) => overlaps(s.subnet, { base, prefix }));
  if (special) throw new Error(`"${text}" is in ${formatSubnet(special.subnet)} (${special.what}), which a network may not use; choose a private subnet, e.g. "10.77.0.0/24"`);
  return { base, prefix };
}

export function formatSubnet(subnet: Subnet): string {
  return `${numberToIp(subnet.base)}/${subnet.prefix}`;
}

function size(subnet: Subnet): number {
  return 2 ** (32 - subnet.prefix);
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** vmctld's address on the bridge: the first of the subnet. */
export function gatewayOf(subnet: Subnet): string {
  return numberToIp(subnet.base + 1);
}

export function netmaskOf(subnet: Subnet): string {
  return numberToIp(2 ** 32 - size(subnet));
}

/** The DHCP pool: every address after the gateway up to the one before broadcast. */
export function dhcpRangeOf(subnet: Subnet): { first: string; last: string } {
  return { first: numberToIp(subnet.base + 2), last: numberToIp(subnet.base + size(subnet) - 2) };
}

/**
 * A free /24 for a network made without a subnet: in 10.0.0.0/8, starting at a place that `seed`
 * (this host's prefix) picks so that hosts do not all choose the same, clear of every `taken` one.
 */
export function pickFreeSubnet(taken: readonly Subnet[], seed: number): Subnet {
  const first = 0x0a000000;
  const count = 2 ** 16;
  for (let i = 0; i < count; i++) {
    const candidate = { base: first + ((seed + i) % count) * 256, prefix: 24 };
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  throw new Error("no free /24 is left in 10.0.0.0/8; give the network a subnet");
}
