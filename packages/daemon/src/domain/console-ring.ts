// The scroll-back of one serial console: a single buffer of fixed size allocated once, written with
// wrap-around. Reads are copied in, so no chunk QEMU's socket handed over (nor the larger
// allocation a small chunk may sit in) stays alive; positions are absolute byte counts since the
// console opened, so a viewer can hold a cursor and learn how much it missed.
export class ConsoleRing {
  private buffer: Buffer;
  private written = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`ring capacity must be a positive integer, not ${capacity}`);
    this.buffer = Buffer.alloc(capacity);
  }

  /** Position just past the newest byte: every byte ever written. */
  get end(): number {
    return this.written;
  }

  /** Position of the oldest byte still kept. */
  get start(): number {
    return this.buffer.length === 0 ? this.written : Math.max(0, this.written - this.capacity);
  }

  get size(): number {
    return this.written - this.start;
  }

  /** Bytes the ring holds in memory (its one allocation; 0 once released). */
  get allocated(): number {
    return this.buffer.length;
  }

  /** Copies `chunk` in; beyond the capacity the oldest bytes are overwritten. */
  write(chunk: Uint8Array): void {
    if (this.buffer.length === 0) throw new Error("the console ring was released");
    const { capacity } = this;
    let bytes = chunk;
    if (bytes.length > capacity) bytes = bytes.subarray(bytes.length - capacity);
    const skipped = chunk.length - bytes.length;
    const at = (this.written + skipped) % capacity;
    const first = Math.min(bytes.length, capacity - at);
    this.buffer.set(bytes.subarray(0, first), at);
    if (first < bytes.length) this.buffer.set(bytes.subarray(first), 0);
    this.written += chunk.length;
  }

  /**
   * A copy of at most `max` bytes from position `from` on (from the oldest kept byte when `from` is
   * older than that); empty when nothing is newer.
   */
  read(from: number, max = this.capacity): Buffer {
    const length = Math.max(0, Math.min(this.written - Math.max(from, this.start), max));
    if (length === 0) return Buffer.alloc(0);
    // Its own allocation of exactly this size: a piece from Buffer's shared pool would keep the
    // whole pool slab alive for as long as a slow viewer's connection holds the piece.
    const out = Buffer.allocUnsafeSlow(length);
    this.readInto(out, from);
    return out;
  }

  /**
   * Copies bytes from position `from` on (from the oldest kept byte when `from` is older) into
   * `target`, as many as fit; returns how many.
   */
  readInto(target: Uint8Array, from: number): number {
    const begin = Math.max(from, this.start);
    const length = Math.max(0, Math.min(this.written - begin, target.length));
    if (length === 0) return 0;
    const at = begin % this.capacity;
    const first = Math.min(length, this.capacity - at);
    target.set(this.buffer.subarray(at, at + first), 0);
    if (first < length) target.set(this.buffer.subarray(0, length - first), first);
    return length;
  }

  /**
   * The bytes from position `from` on (from the oldest kept byte when `from` is older), at most
   * `max`, as a view into the ring itself: no copy, and it stops where the ring wraps around. Valid
   * only until the next write: use it at once, never keep it.
   */
  view(from: number, max = this.capacity): Buffer {
    const begin = Math.max(from, this.start);
    const at = begin % this.capacity;
    const length = Math.max(0, Math.min(this.written - begin, max, this.capacity - at));
    return this.buffer.subarray(at, at + length);
  }

  /** Everything kept, oldest first: what a new viewer is shown. */
  snapshot(): Buffer {
    return this.read(this.start);
  }

  /** Gives the memory back (the console has ended); positions stay, reads are empty. */
  release(): void {
    this.buffer = Buffer.alloc(0);
  }
}
