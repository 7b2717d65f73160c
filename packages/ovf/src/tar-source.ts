// Pulls exact byte counts out of a tar source (a file path, a Readable such as an HTTP upload, or
// any async iterable of bytes), counting what it consumed for progress reports.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { OvfError } from "./errors.js";

/**
 * A file path (opened and closed here), or a stream the caller owns: after the end-of-archive
 * block or a refusal it is left as it is, so an HTTP handler can still drain it and answer.
 */
export type TarSource = string | AsyncIterable<Uint8Array | string>;

export interface TarProgress { bytes: number; total?: number }

const PROGRESS_STEP = 1024 * 1024;

export class ChunkReader {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private bytes = 0;
  private reported = 0;

  private constructor(
    private readonly iterator: AsyncIterator<Uint8Array | string>,
    private readonly total: number | undefined,
    private readonly onProgress: ((progress: TarProgress) => void) | undefined,
    private readonly signal: AbortSignal | undefined,
    private readonly owned: boolean,
  ) {}

  static async open(source: TarSource, options: { onProgress?: (progress: TarProgress) => void; signal?: AbortSignal }): Promise<ChunkReader> {
    let total: number | undefined;
    let iterable: AsyncIterable<Uint8Array | string>;
    if (typeof source === "string") {
      total = (await stat(source)).size;
      iterable = createReadStream(source, { highWaterMark: 1024 * 1024 });
    } else {
      iterable = source;
    }
    return new ChunkReader(iterable[Symbol.asyncIterator](), total, options.onProgress, options.signal, typeof source === "string");
  }

  private async pull(): Promise<boolean> {
    this.signal?.throwIfAborted();
    if (this.ended) return false;
    const next = await this.iterator.next();
    if (next.done) {
      this.ended = true;
      this.report(true);
      return false;
    }
    if (typeof next.value === "string") throw new TypeError("the tar source yields strings; pass a binary stream (no setEncoding)");
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.bytes += chunk.length;
    this.report(false);
    return true;
  }

  private report(final: boolean): void {
    if (!this.onProgress || (!final && this.bytes - this.reported < PROGRESS_STEP)) return;
    this.reported = this.bytes;
    this.onProgress(this.total === undefined ? { bytes: this.bytes } : { bytes: this.bytes, total: this.total });
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length <= n) {
      this.chunks.shift();
      this.buffered -= first.length;
      return first;
    }
    this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return first.subarray(0, n);
  }

  /** Exactly `n` bytes, or fewer only when the source ends first. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n && (await this.pull()));
    const parts: Buffer[] = [];
    let wanted = Math.min(n, this.buffered);
    while (wanted > 0) {
      const part = this.take(wanted);
      parts.push(part);
      wanted -= part.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Up to `max` bytes, as soon as some are there; throws when the source ends first. */
  async readSome(max: number, what: string): Promise<Buffer> {
    if (this.buffered === 0 && !(await this.pull())) throw new OvfError("tar_malformed", `the archive is truncated inside ${what}`);
    return this.take(Math.min(max, this.buffered));
  }

  async skip(n: number, what: string): Promise<void> {
    for (let remaining = n; remaining > 0;) remaining -= (await this.readSome(remaining, what)).length;
  }

  /** Stops reading, after a last progress report; closes the file when the source was a path. */
  async close(): Promise<void> {
    if (this.bytes !== this.reported) this.report(true);
    if (this.owned) await this.iterator.return?.();
  }
}
