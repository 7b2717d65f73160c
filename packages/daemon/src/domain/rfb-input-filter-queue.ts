// Bytes of one direction of an RFB stream that the filter has received but not yet decided on.

export class ByteQueue {
  private data: Buffer = Buffer.alloc(0);
  private start = 0;

  get length(): number {
    return this.data.length - this.start;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.data = this.length === 0 ? chunk : Buffer.concat([this.data.subarray(this.start), chunk]);
    this.start = 0;
  }

  /** The first `n` bytes (fewer when fewer are there), without consuming them. */
  peek(n: number): Buffer {
    return this.data.subarray(this.start, this.start + Math.min(n, this.length));
  }

  take(n: number): Buffer {
    const bytes = this.peek(n);
    this.start += bytes.length;
    return bytes;
  }

  /** Drops up to `n` bytes; returns how many were there to drop. */
  skip(n: number): number {
    const count = Math.min(n, this.length);
    this.start += count;
    return count;
  }

  /** Keeps only a copy of what is left, so a large chunk is not held alive by its last few bytes. */
  compact(): void {
    this.data = Buffer.from(this.data.subarray(this.start));
    this.start = 0;
  }

  clear(): void {
    this.data = Buffer.alloc(0);
    this.start = 0;
  }
}
