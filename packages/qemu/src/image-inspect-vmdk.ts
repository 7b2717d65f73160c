// What a VMDK makes QEMU read, decided from its bytes the way QEMU 7.2's vmdk driver reads them:
// the extent lines of a descriptor (scanned with sscanf's rules, so an extent spread over several
// lines is still seen), the descriptor embedded in a sparse header, and the parent hint.

/** QEMU reads at most this much of a descriptor (vmdk_read_desc). */
export const VMDK_DESCRIPTOR_MAX = (1 << 20) - 1;
/** vmdk_parent_open looks for parentFileNameHint in this many bytes (DESC_SIZE). */
export const VMDK_PARENT_SCAN = 20 * 512;

export interface VmdkExtent {
  access: string;
  type: string;
  /** The file name as written (at most 511 bytes, as QEMU keeps), in latin1 so every byte survives. */
  file: string;
}

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/**
 * Every extent QEMU could open from a descriptor: at the start of the text and after each "\n",
 * `sscanf(p, "%10s %ld %10s \"%511[^\n\r\"]\" %ld")` matching at least four fields. Access and type
 * are not filtered (QEMU follows only some of them): a superset is the safe side. The text is a
 * C string for QEMU, so it ends at the first NUL.
 */
export function parseVmdkExtents(bytes: Buffer): VmdkExtent[] {
  const end = bytes.indexOf(0) === -1 ? bytes.length : bytes.indexOf(0);
  const extents: VmdkExtent[] = [];
  for (let start = 0; start < end; ) {
    const extent = scanExtentLine(bytes, start, end);
    if (extent) extents.push(extent);
    const newline = bytes.indexOf(0x0a, start);
    if (newline === -1 || newline >= end) break;
    start = newline + 1;
  }
  return extents;
}

function scanExtentLine(b: Buffer, from: number, end: number): VmdkExtent | null {
  let i = from;
  const skipSpace = () => { while (i < end && isSpace(b[i]!)) i++; };
  const word = (max: number): string | null => {
    skipSpace();
    const s = i;
    while (i < end && i - s < max && !isSpace(b[i]!)) i++;
    return i === s ? null : b.toString("latin1", s, i);
  };
  const access = word(10);
  if (access === null) return null;
  skipSpace();
  if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
  const digits = i;
  while (i < end && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  if (i === digits) return null;
  const type = word(10);
  if (type === null) return null;
  skipSpace();
  if (i >= end || b[i] !== 0x22) return null;
  i++;
  const s = i;
  while (i < end && i - s < 511 && b[i] !== 0x0a && b[i] !== 0x0d && b[i] !== 0x22) i++;
  if (i === s) return null;
  return { access, type, file: b.toString("latin1", s, i) };
}

/** True when QEMU would take a parent (backing) VMDK from these bytes. */
export function hasParentHint(bytes: Buffer): boolean {
  return bytes.subarray(0, VMDK_PARENT_SCAN).includes("parentFileNameHint", 0, "latin1");
}

export const VMDK4_MAGIC = 0x4b444d56; // "KDMV"
export const VMDK3_MAGIC = 0x434f5744; // "COWD"

export interface Vmdk4Header { capacity: bigint; descriptorOffset: bigint; descriptorSize: bigint }

/** The fields of a sparse (VMDK4) header QEMU acts on before anything else; the magic is at 0. */
export function parseVmdk4Header(bytes: Buffer): Vmdk4Header | null {
  if (bytes.length < 44 || bytes.readUInt32BE(0) !== VMDK4_MAGIC) return null;
  return { capacity: bytes.readBigUInt64LE(12), descriptorOffset: bytes.readBigUInt64LE(28), descriptorSize: bytes.readBigUInt64LE(36) };
}
