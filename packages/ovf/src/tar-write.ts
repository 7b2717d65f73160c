// Writes a POSIX tar stream from entries in the order given (an OVA wants its descriptor first),
// with a pax header for names ustar cannot hold and sizes over 8 GiB.
import { Readable } from "node:stream";
import { BLOCK, encodeHeader, encodePax, MAX_OCTAL_SIZE, splitUstarName } from "./tar-header.js";
import { normalFormProblem, quote } from "./safe-path.js";

export interface TarWriteEntry {
  name: string;
  size: number;
  /** Called when the entry's turn comes; must yield exactly `size` bytes. */
  open(): AsyncIterable<Uint8Array> | Readable;
  mode?: number;
  mtime?: Date;
}

const RECORD = 20 * BLOCK;

function* headerBlocks(entry: TarWriteEntry, mtime: number, index: number): Generator<Buffer> {
  const split = splitUstarName(entry.name);
  const records: Record<string, string> = {};
  if (!split) records.path = entry.name;
  if (entry.size > MAX_OCTAL_SIZE) records.size = String(entry.size);
  const fields = { size: entry.size, typeflag: "0", mode: entry.mode ?? 0o644, mtime };
  if (Object.keys(records).length > 0) {
    const pax = encodePax(records);
    yield encodeHeader({ name: `PaxHeaders.0/entry${index}`, size: pax.length, typeflag: "x", mode: 0o644, mtime });
    yield pax;
    yield padding(pax.length);
  }
  // Readers without pax support still get a usable (shortened) name.
  const fallback = split ?? { prefix: "", name: entry.name.replace(/[^\x20-\x7e]/g, "_").slice(-100) };
  yield encodeHeader({ ...fields, ...fallback });
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The exact byte length createTarStream produces for these entries. */
export function tarSize(entries: Array<Pick<TarWriteEntry, "name" | "size">>): number {
  let total = 0;
  for (const [index, entry] of entries.entries()) {
    for (const block of headerBlocks({ ...entry, open: () => [] as never }, 0, index)) total += block.length;
    total += entry.size + padding(entry.size).length;
  }
  return total + endLength(total);
}

function endLength(written: number): number {
  return 2 * BLOCK + ((RECORD - ((written + 2 * BLOCK) % RECORD)) % RECORD);
}

/** A Readable of the whole archive. An entry with a bad name or the wrong byte count errors the stream. */
export function createTarStream(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>, options: { mtime?: Date } = {}): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    let written = 0;
    let index = 0;
    const seen = new Set<string>();
    for await (const entry of entries) {
      const problem = normalFormProblem(entry.name);
      if (problem !== undefined) throw new RangeError(`tar entry ${quote(entry.name)} ${problem}`);
      if (seen.has(entry.name)) throw new RangeError(`tar entry ${quote(entry.name)} is given twice`);
      seen.add(entry.name);
      if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw new RangeError(`tar entry ${quote(entry.name)} has size ${entry.size}`);
      const mtime = Math.floor((entry.mtime ?? options.mtime ?? new Date()).getTime() / 1000);
      for (const block of headerBlocks(entry, Math.max(0, mtime), index++)) {
        written += block.length;
        yield block;
      }
      let bytes = 0;
      for await (const chunk of entry.open()) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        bytes += buffer.length;
        if (bytes > entry.size) throw new RangeError(`tar entry ${quote(entry.name)} gave more than its ${entry.size} bytes`);
        yield buffer;
      }
      if (bytes !== entry.size) throw new RangeError(`tar entry ${quote(entry.name)} gave ${bytes} bytes, not its ${entry.size}`);
      const pad = padding(entry.size);
      written += entry.size + pad.length;
      yield pad;
    }
    // Two zero blocks end the archive; GNU tar also fills the last 10 KiB record.
    yield Buffer.alloc(endLength(written));
  }
  return Readable.from(generate(), { objectMode: false });
}
