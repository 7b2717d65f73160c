// Byte counts written as DMTF programmatic units ("byte * 2^30"), the older VMware words
// ("MegaBytes", "MB") and libvirt's unit attribute ("KiB", "G").
import { OvfError } from "./errors.js";

const WORDS: Record<string, number> = {
  byte: 1, bytes: 1, b: 1,
  kilobytes: 2 ** 10, kb: 2 ** 10, kib: 2 ** 10,
  megabytes: 2 ** 20, mb: 2 ** 20, mib: 2 ** 20,
  gigabytes: 2 ** 30, gb: 2 ** 30, gib: 2 ** 30,
  terabytes: 2 ** 40, tb: 2 ** 40, tib: 2 ** 40,
};

/** The multiplier of an OVF allocation unit, or null when it is not a byte unit we understand. */
export function ovfUnitMultiplier(units: string): number | null {
  const text = units.trim().replace(/\s+/g, " ").toLowerCase();
  const word = WORDS[text];
  if (word !== undefined) return word;
  // byte [* base^exponent] [* factor], in either order of the two factors
  const match = /^byte((?: ?\* ?(?:\d+ ?\^ ?\d+|\d+)){0,2})$/.exec(text);
  if (!match) return null;
  let multiplier = 1;
  for (const factor of match[1]!.split("*").map((f) => f.trim()).filter(Boolean)) {
    const power = /^(\d+) ?\^ ?(\d+)$/.exec(factor);
    multiplier *= power ? Number(power[1]) ** Number(power[2]) : Number(factor);
  }
  return Number.isSafeInteger(multiplier) && multiplier > 0 ? multiplier : null;
}

// libvirt: "KB" is 1000 but "k" and "KiB" are 1024 (see formatdomain "memory").
const LIBVIRT_UNITS: Record<string, number> = {
  b: 1, bytes: 1,
  kb: 1e3, k: 2 ** 10, kib: 2 ** 10,
  mb: 1e6, m: 2 ** 20, mib: 2 ** 20,
  gb: 1e9, g: 2 ** 30, gib: 2 ** 30,
  tb: 1e12, t: 2 ** 40, tib: 2 ** 40,
};

export function libvirtUnitMultiplier(unit: string): number | null {
  return LIBVIRT_UNITS[unit.trim().toLowerCase()] ?? null;
}

/** `quantity × multiplier` as a safe integer, or an OvfError naming `where`. */
export function scaledBytes(quantity: string | undefined, multiplier: number, where: string, reason: "descriptor_invalid" | "domain_invalid"): number {
  if (quantity === undefined || !/^\d+$/.test(quantity.trim())) {
    throw new OvfError(reason, `${where} ${quantity === undefined ? "is missing" : `"${quantity}" is not a whole number`}`);
  }
  const bytes = Number(quantity.trim()) * multiplier;
  if (!Number.isSafeInteger(bytes)) throw new OvfError(reason, `${where} "${quantity.trim()}" is too large`);
  return bytes;
}
