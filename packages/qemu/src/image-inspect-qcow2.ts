// What a qcow2 header makes QEMU read besides the image itself: the backing file (with the format
// it is declared in, if any) and the external data file, read with QEMU 7.2's own bounds so that a
// header QEMU would refuse is refused here too, and one it accepts yields the same names.

export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
const EXT_END = 0;
const EXT_BACKING_FORMAT = 0xe2792aca;
const EXT_DATA_FILE = 0x44415441;
const INCOMPAT_DATA_FILE = 1n << 2n;

export interface Qcow2References {
  /** The backing file name as stored (a C string: up to its first NUL); absent when none. */
  backing?: string;
  /** The backing format from the header extension; absent means QEMU would probe it. */
  backingFormat?: string;
  /** The external data file's name, when the header has one. */
  dataFile?: string;
  /** The incompatible-features bit that makes QEMU open the data file. */
  usesDataFile: boolean;
}

/** What the fixed header says: where to read the rest. Throws a reason QEMU would refuse the header for. */
export function parseQcow2Fixed(head: Buffer): { version: number; clusterSize: number; headerLength: number; backingOffset: number; backingSize: number; incompatible: bigint } {
  if (head.length < 72 || head.readUInt32BE(0) !== QCOW2_MAGIC) throw new Error("it is not a qcow2 image (no QFI magic)");
  const version = head.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new Error(`qcow2 version ${version} is not supported`);
  const clusterBits = head.readUInt32BE(20);
  if (clusterBits < 9 || clusterBits > 21) throw new Error(`its cluster size (2^${clusterBits}) is invalid`);
  const clusterSize = 2 ** clusterBits;
  let headerLength = 72;
  let incompatible = 0n;
  if (version === 3) {
    if (head.length < 104) throw new Error("its qcow2 v3 header is truncated");
    incompatible = head.readBigUInt64BE(72);
    headerLength = head.readUInt32BE(100);
    if (headerLength < 104 || headerLength > clusterSize) throw new Error(`its header length ${headerLength} is invalid`);
  }
  const backingOffsetBig = head.readBigUInt64BE(8);
  if (backingOffsetBig > BigInt(clusterSize)) throw new Error("its backing file offset lies outside the first cluster");
  const backingOffset = Number(backingOffsetBig);
  const backingSize = head.readUInt32BE(16);
  if (backingOffset !== 0 && backingSize > Math.min(1023, clusterSize - backingOffset)) throw new Error("its backing file name is too long");
  return { version, clusterSize, headerLength, backingOffset, backingSize, incompatible };
}

/**
 * The header extensions, read from `area` (the bytes from the header's end to where QEMU stops
 * reading extensions: the backing name, or the first cluster's end), and the backing name.
 */
export function parseQcow2Extensions(area: Buffer, backingName: Buffer | null, incompatible: bigint): Qcow2References {
  const refs: Qcow2References = { usesDataFile: (incompatible & INCOMPAT_DATA_FILE) !== 0n };
  let offset = 0;
  while (offset < area.length) {
    if (offset + 8 > area.length) throw new Error("a header extension is truncated");
    const magic = area.readUInt32BE(offset);
    const len = area.readUInt32BE(offset + 4);
    offset += 8;
    if (len > area.length - offset) throw new Error("a header extension is larger than the header");
    if (magic === EXT_END) break;
    const data = area.subarray(offset, offset + len);
    if (magic === EXT_BACKING_FORMAT) {
      if (len >= 16) throw new Error("its backing format name is too long");
      refs.backingFormat = cString(data);
    } else if (magic === EXT_DATA_FILE) {
      refs.dataFile = cString(data);
    }
    offset += (len + 7) & ~7;
  }
  if (backingName) {
    const name = cString(backingName);
    if (name !== "") refs.backing = name;
  }
  return refs;
}

/** A C string's bytes up to the first NUL, kept byte for byte (latin1). */
function cString(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return bytes.toString("latin1", 0, nul === -1 ? bytes.length : nul);
}
