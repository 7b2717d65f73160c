// Sizes with units, as people write them in definitions ("512MiB", "20G") and as QEMU wants them (bytes).

const UNITS: Record<string, number> = {
  "": 1, B: 1,
  K: 1024, KIB: 1024, KB: 1000,
  M: 1024 ** 2, MIB: 1024 ** 2, MB: 1000 ** 2,
  G: 1024 ** 3, GIB: 1024 ** 3, GB: 1000 ** 3,
  T: 1024 ** 4, TIB: 1024 ** 4, TB: 1000 ** 4,
};

/** Parses "512MiB", "1.5 GiB", "20G" (binary like QEMU's), "10GB" (decimal). Returns null if it is not a size. */
export function parseSize(text: string): number | null {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!m) return null;
  const unit = UNITS[(m[2] ?? "").toUpperCase()];
  if (unit === undefined) return null;
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** The shortest exact binary spelling of a byte count: 536870912 → "512MiB". */
export function formatSize(bytes: number): string {
  const units = ["TiB", "GiB", "MiB", "KiB"] as const;
  for (const [i, unit] of units.entries()) {
    const factor = 1024 ** (4 - i);
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return `${bytes}B`;
}

/** A rounded spelling for tables: 1610612736 → "1.5GiB" (with separator " ": "1.5 GiB"). */
export function humanSize(bytes: number, separator = ""): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) { value /= 1024; i++; }
  return `${Number.isInteger(value) ? value : value.toFixed(1)}${separator}${units[i]}`;
}
