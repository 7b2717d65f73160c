// Reads a ustar/pax/GNU tar stream member by member, refusing anything that could write outside
// a target folder or is not a plain file or folder: the common ground of listing and extracting.
import { OvfError } from "./errors.js";
import { BLOCK, decodeHeader, decodePax, isZeroBlock } from "./tar-header.js";
import { ChunkReader, type TarProgress, type TarSource } from "./tar-source.js";
import { checkRelativeName, quote } from "./safe-path.js";

export interface TarReadOptions {
  /** Refuse the archive when its members add up to more bytes than this. */
  maxBytes?: number;
  /** Refuse the archive when it has more members than this (default 1000). */
  maxMembers?: number;
  /** Called about every MiB read from the source, and at its end. */
  onProgress?: (progress: TarProgress) => void;
  signal?: AbortSignal;
}

export interface TarMember {
  /** Normalized relative name: "./disk.vmdk" is "disk.vmdk", a folder has no trailing slash. */
  name: string;
  type: "file" | "directory";
  size: number;
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
}

const MAX_META_SIZE = 1024 * 1024;

/** The bytes before a run of trailing NULs. Not a regex: /\0+$/ takes quadratic time on a 1 MiB name of NULs ending in one other byte. */
function withoutTrailingNuls(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
}

const REFUSED_TYPES: Record<string, string> = {
  "1": "a hard link", "2": "a symbolic link", "3": "a character device", "4": "a block device", "6": "a FIFO",
  S: "a GNU sparse file", M: "a multi-volume continuation", V: "a volume label", D: "a GNU dump folder",
};

function refused(name: string, reason: string): OvfError {
  return new OvfError("tar_refused", `tar member ${quote(name)} ${reason}; the archive is refused`, { member: name });
}

/**
 * Yields each member with its body, which must be read (or left: it is skipped) before asking for
 * the next. Throws OvfError at the first member that is refused.
 */
export async function* readTarMembers(source: TarSource, options: TarReadOptions = {}): AsyncGenerator<{ member: TarMember; body: AsyncIterable<Buffer> }> {
  const reader = await ChunkReader.open(source, options);
  const maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
  const maxMembers = options.maxMembers ?? 1000;
  const files = new Set<string>();
  const folders = new Set<string>();
  let total = 0;
  let count = 0;
  let pax = new Map<string, string>();
  let longName: string | undefined;
  try {
    for (;;) {
      const block = await reader.read(BLOCK);
      if (block.length < BLOCK) throw new OvfError("tar_malformed", `the archive is truncated: it ends ${block.length === 0 ? "without an end-of-archive block" : "inside a header"}`);
      if (isZeroBlock(block)) {
        if (pax.size > 0 || longName !== undefined) throw new OvfError("tar_malformed", "the archive ends right after an extended header");
        return;
      }
      const header = decodeHeader(block);
      const padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
      if (header.typeflag === "x" || header.typeflag === "g" || header.typeflag === "L" || header.typeflag === "K") {
        if (header.size > MAX_META_SIZE) throw new OvfError("tar_malformed", `an extended header of ${header.size} bytes is larger than ${MAX_META_SIZE}`);
        const data = await reader.read(header.size + padding);
        if (data.length < header.size + padding) throw new OvfError("tar_malformed", "the archive is truncated inside an extended header");
        const content = data.subarray(0, header.size);
        if (header.typeflag === "x") pax = new Map([...pax, ...decodePax(content)]);
        else if (header.typeflag === "g") decodePax(content); // checked, then ignored: nothing global matters here
        else if (header.typeflag === "L") longName = withoutTrailingNuls(content).toString("utf8");
        // "K" (a GNU long link name) only ever precedes a link, which is refused below.
        continue;
      }
      const name = pax.get("path") ?? longName ?? header.name;
      const sizeText = pax.get("size");
      pax = new Map();
      longName = undefined;
      if (sizeText !== undefined && !/^\d{1,16}$/.test(sizeText)) throw new OvfError("tar_malformed", `member ${quote(name)} has a pax size ${quote(sizeText)} that is not a number`);
      const size = sizeText === undefined ? header.size : Number(sizeText);
      if (!Number.isSafeInteger(size)) throw new OvfError("tar_malformed", `member ${quote(name)} is too large`);
      const member = checkMember(name, header.typeflag, size, files, folders);
      if (++count > maxMembers) throw refused(name, `is one more than the ${maxMembers} members allowed`);
      total += size;
      if (total > maxBytes) throw new OvfError("too_large", `the archive holds more than ${maxBytes} bytes (at member ${quote(name)}); the limit is ${maxBytes}`);
      const memberPadding = (BLOCK - (size % BLOCK)) % BLOCK;
      if (member === undefined) {
        await reader.skip(size + memberPadding, `member ${quote(name)}`);
        continue;
      }
      const what = `member ${quote(name)}`;
      let remaining = size;
      const body: AsyncIterable<Buffer> = {
        [Symbol.asyncIterator]: () => ({
          next: async (): Promise<IteratorResult<Buffer>> => {
            if (remaining === 0) return { done: true, value: undefined };
            const chunk = await reader.readSome(remaining, what);
            remaining -= chunk.length;
            return { done: false, value: chunk };
          },
        }),
      };
      yield { member: { ...member, mode: header.mode & 0o7777, mtime: header.mtime }, body };
      // Whatever the consumer left of the body is skipped.
      await reader.skip(remaining, what);
      remaining = 0;
      await reader.skip(memberPadding, what);
    }
  } finally {
    await reader.close();
  }
}

/** Type and name checks; undefined for an entry that is skipped (the "./" folder itself). */
function checkMember(rawName: string, typeflag: string, size: number, files: Set<string>, folders: Set<string>): Omit<TarMember, "mode" | "mtime"> | undefined {
  // A NUL in the name is refused by checkRelativeName below, with the other unsafe names.
  const refusedType = REFUSED_TYPES[typeflag];
  if (refusedType) throw refused(rawName, `is ${refusedType}`);
  const isFolder = typeflag === "5" || ((typeflag === "0" || typeflag === "\0") && rawName.endsWith("/"));
  if (!isFolder && typeflag !== "0" && typeflag !== "\0" && typeflag !== "7") throw refused(rawName, `has type ${quote(typeflag)}, which is not a file or folder`);
  const checked = checkRelativeName(rawName);
  if (!checked.ok) {
    if (isFolder && checked.reason === "is empty" && rawName !== "") return undefined;
    throw refused(rawName, checked.reason);
  }
  const name = checked.name;
  const parents = name.split("/").slice(0, -1).map((_, i, all) => all.slice(0, i + 1).join("/"));
  for (const parent of parents) {
    if (files.has(parent)) throw refused(rawName, `lies inside ${quote(parent)}, which is a file`);
    folders.add(parent);
  }
  if (files.has(name)) throw refused(rawName, "appears twice");
  if (isFolder) {
    folders.add(name);
    return { name, type: "directory", size: 0 };
  }
  if (folders.has(name)) throw refused(rawName, "is a file but also a folder of other members");
  files.add(name);
  return { name, type: "file", size };
}

/** The members of an archive, checked as for extraction, without writing anything. */
export async function listTar(source: TarSource, options: TarReadOptions = {}): Promise<TarMember[]> {
  const members: TarMember[] = [];
  for await (const { member } of readTarMembers(source, options)) members.push(member);
  return members;
}
