// HTTP byte ranges both ways: the Range of a download, the Content-Range of a resumed upload.
import { VmctlError } from "@vmctl/api-types";

export interface ByteRange { start: number; end: number }

/**
 * `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` against a file of `size` bytes. Only one range is
 * served; several, other units or a malformed header give undefined: the whole file, as RFC 9110
 * lets a server ignore a Range it does not take. "unsatisfiable" starts past the end.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  const first = match[1] === "" ? undefined : Number(match[1]);
  const last = match[2] === "" ? undefined : Number(match[2]);
  if (first === undefined) {
    // A suffix: the last n bytes.
    if (last === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - last!), end: size - 1 };
  }
  if (last !== undefined && last < first) return undefined;
  if (first >= size) return "unsatisfiable";
  return { start: first, end: Math.min(last ?? size - 1, size - 1) };
}

export interface ContentRange { start: number; end: number; total: number }

/** `Content-Range: bytes <start>-<end>/<total>` of an upload; refuses anything else, saying what to send. */
export function parseContentRange(header: string): ContentRange {
  const match = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16})$/.exec(header.trim());
  const example = "e.g. \"bytes 1048576-2097151/2097152\" for the second MiB of a 2 MiB file";
  if (!match) throw new VmctlError("bad_request", `Content-Range: "${header}" is not "bytes <start>-<end>/<total>", ${example}`, { header: "content-range" });
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (![start, end, total].every(Number.isSafeInteger) || start > end || end >= total) {
    throw new VmctlError("bad_request", `Content-Range: "${header}": start ≤ end < total must hold (end is the last byte's offset), ${example}`, { header: "content-range" });
  }
  return { start, end, total };
}

/** The Content-Range header of a 206 answer. */
export function contentRangeHeader(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}
