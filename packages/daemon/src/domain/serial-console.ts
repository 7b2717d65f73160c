// vmctld holds the one connection a QEMU serial socket allows and fans it out: every viewer gets the
// recent scroll-back first, then live output; input from any viewer reaches the guest. What it holds
// per console is fixed: one ring of SCROLLBACK_BYTES, and per viewer a cursor into it and a staging
// buffer of MAX_VIEWER_MESSAGES_IN_FLIGHT slots that its output goes out from (allocated when the
// viewer is first handed output, used again for every message, freed with the viewer).
import { connect, type Socket } from "node:net";
import { open } from "node:fs/promises";
import { constants } from "node:fs";
import { ConsoleRing } from "./console-ring.js";

export const SCROLLBACK_BYTES = 256 * 1024;
/** Viewers of one console at once: each costs a cursor and up to MAX_VIEWER_IN_FLIGHT of output under way. */
export const MAX_CONSOLE_VIEWERS = 32;
/** Input the guest has not read yet (QEMU stops reading when the UART is full): beyond it, input is refused. */
export const MAX_INPUT_BACKLOG = 256 * 1024;
/**
 * Output handed to one viewer's connection and not written out yet. A viewer this far behind gets
 * nothing more until its connection drains; what the ring overwrites meanwhile is skipped, and the
 * viewer is told so in its output (skippedMarker). No viewer can make vmctld hold more than this.
 */
export const MAX_VIEWER_IN_FLIGHT = 32 * 1024;
/**
 * Pieces of output handed to one viewer's connection and not written out yet. A message costs its
 * framing and the connection's bookkeeping beyond its bytes (a UART's few bytes in a JSON message
 * cost more than the bytes): while a viewer's connection lags, what the guest prints meanwhile is
 * gathered into the next, larger piece instead.
 */
export const MAX_VIEWER_MESSAGES_IN_FLIGHT = 4;
/** The largest piece of output handed to a viewer at once (a new viewer's scroll-back comes in such pieces). */
export const VIEWER_CHUNK_BYTES = 8 * 1024;
/** One slot of a viewer's staging buffer: a piece of output, or the message a viewer's framing makes of it. */
export const VIEWER_SLOT_BYTES = VIEWER_CHUNK_BYTES + 512;

/**
 * How a viewer wraps output into its messages (a JSON viewer's base64 in a JSON object), written
 * straight into the slot the message goes out from.
 */
export interface ViewerFraming {
  /** Output bytes per message at most: their message must fit in VIEWER_SLOT_BYTES. */
  readonly chunkBytes: number;
  /** Writes the message carrying `bytes` (valid only during the call) into `into`; returns its length. */
  write(bytes: Buffer, into: Buffer): number;
}

export interface ConsoleViewer {
  /**
   * Takes the next output: the raw bytes, or the message `frame` made of them. `chunk` is a slot of
   * the viewer's staging buffer, written again once `sent` is called: hand it to the connection as
   * it is and do not keep it. Calls `sent` once it has left vmctld (or never will), so that more may follow.
   */
  output(chunk: Buffer, sent: () => void): void;
  end(): void;
  readonly frame?: ViewerFraming | undefined;
}

/** What a viewer that fell behind sees in place of the output it missed. */
export function skippedMarker(bytes: number): Buffer {
  return Buffer.from(`\r\n[vmctl: ${bytes} bytes of console output skipped: this viewer fell behind]\r\n`);
}

interface ViewerState {
  readonly viewer: ConsoleViewer;
  /** Ring position of the next byte this viewer is to get. */
  cursor: number;
  inFlight: number;
  messagesInFlight: number;
  pumping: boolean;
  /**
   * Where the viewer's messages go out from: MAX_VIEWER_MESSAGES_IN_FLIGHT slots, each used again
   * once its message is sent. A busy console thus allocates nothing per message: pieces allocated
   * and freed per message pile up in malloc's heap until a GC frees them, and what malloc frees below
   * the top of its heap stays resident, so vmctld's memory would follow the busiest moment.
   */
  staging?: Buffer;
  freeSlots: number[];
}

/**
 * Where every console's socket reads land: QEMU's output is copied from here into the console's
 * ring at once (onread below), so a read allocates nothing. One buffer serves every console, as
 * each read is handed to its callback before the next read into the buffer begins.
 */
const READ_BUFFER = Buffer.alloc(64 * 1024);

export class SerialConsole {
  private socket: Socket | undefined;
  private readonly ring = new ConsoleRing(SCROLLBACK_BYTES);
  private readonly viewers = new Map<ConsoleViewer, ViewerState>();
  private done = false;
  private pumpScheduled = false;

  constructor(readonly socketPath: string, readonly logPath: string) {}

  /** Connects to QEMU's serial socket, retrying briefly while QEMU creates it. */
  async connect(options: { seedFromLog?: boolean } = {}): Promise<void> {
    if (options.seedFromLog) await this.seedFromLog();
    for (let attempt = 0; ; attempt++) {
      try {
        this.socket = await new Promise<Socket>((resolve, reject) => {
          const socket = connect({ path: this.socketPath, onread: { buffer: READ_BUFFER, callback: (bytes, buffer) => { this.append(buffer.subarray(0, bytes)); return true; } } });
          socket.once("connect", () => { socket.off("error", reject); resolve(socket); });
          socket.once("error", reject);
        });
        break;
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    this.socket.on("error", () => {});
    this.socket.on("close", () => this.end());
  }

  /**
   * Subscribes a viewer: it gets the scroll-back, then live output, each at the pace its connection
   * takes it (see MAX_VIEWER_IN_FLIGHT). Returns the function that unsubscribes it.
   */
  attach(viewer: ConsoleViewer): () => void {
    if (this.done) {
      viewer.end();
      return () => {};
    }
    const state: ViewerState = { viewer, cursor: this.ring.start, inFlight: 0, messagesInFlight: 0, pumping: false, freeSlots: [] };
    this.viewers.set(viewer, state);
    this.pump(state);
    return () => { if (this.viewers.get(viewer) === state) this.viewers.delete(viewer); };
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** True when another viewer would pass MAX_CONSOLE_VIEWERS. */
  get full(): boolean {
    return this.viewers.size >= MAX_CONSOLE_VIEWERS;
  }

  /** True once QEMU's serial socket has closed (the VM stopped) or close() was called. */
  get ended(): boolean {
    return this.done;
  }

  /** What this console holds: the ring, and output handed to viewers' connections but not written out yet. */
  get memory(): { ring: number; inFlight: number; messagesInFlight: number } {
    let inFlight = 0;
    let messagesInFlight = 0;
    for (const state of this.viewers.values()) { inFlight += state.inFlight; messagesInFlight += state.messagesInFlight; }
    return { ring: this.ring.allocated, inFlight, messagesInFlight };
  }

  /**
   * True while the guest lags behind what viewers typed by more than MAX_INPUT_BACKLOG: write()
   * then drops input rather than queueing it in vmctld's memory for as long as the guest ignores it.
   */
  get inputBacklogged(): boolean {
    return (this.socket?.writableLength ?? 0) > MAX_INPUT_BACKLOG;
  }

  /** Sends input to the guest; false when the console has ended (or the input was dropped, see inputBacklogged). */
  write(input: Buffer): boolean {
    if (!this.socket || this.done || this.inputBacklogged) return false;
    this.socket.write(input);
    return true;
  }

  /** A copy of the scroll-back, oldest byte first. */
  scrollback(): Buffer {
    return this.ring.snapshot();
  }

  close(): void {
    this.socket?.destroy();
    this.end();
  }

  private append(chunk: Uint8Array): void {
    if (this.done) return;
    this.ring.write(chunk);
    // Output read in the same turn of the event loop goes to viewers together: a UART hands over a
    // few bytes per read, and one message per read would cost more than the bytes.
    if (this.pumpScheduled || this.viewers.size === 0) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      for (const state of this.viewers.values()) this.pump(state);
    });
  }

  /** Hands a viewer what it has not had yet, while its connection keeps up. */
  private pump(state: ViewerState, unbounded = false): void {
    if (state.pumping) return; // the loop under way sees what a synchronous `sent` changed
    state.pumping = true;
    const room = () => unbounded || (state.inFlight < MAX_VIEWER_IN_FLIGHT && state.messagesInFlight < MAX_VIEWER_MESSAGES_IN_FLIGHT);
    try {
      while (this.viewers.get(state.viewer) === state && room() && state.cursor < this.ring.end) {
        let bytes: Buffer;
        if (state.cursor < this.ring.start) {
          bytes = skippedMarker(this.ring.start - state.cursor);
          state.cursor = this.ring.start;
        } else {
          bytes = this.ring.view(state.cursor, state.viewer.frame?.chunkBytes ?? VIEWER_CHUNK_BYTES);
          state.cursor += bytes.length;
        }
        this.hand(state, bytes);
      }
    } finally {
      state.pumping = false;
    }
  }

  /** Writes `bytes` (or its framing's message) into a free slot of the viewer's staging buffer and hands it over. */
  private hand(state: ViewerState, bytes: Buffer): void {
    if (!state.staging) {
      state.staging = Buffer.allocUnsafeSlow(MAX_VIEWER_MESSAGES_IN_FLIGHT * VIEWER_SLOT_BYTES);
      state.freeSlots = Array.from({ length: MAX_VIEWER_MESSAGES_IN_FLIGHT }, (_, i) => MAX_VIEWER_MESSAGES_IN_FLIGHT - 1 - i);
    }
    const slotIndex = state.freeSlots.pop();
    // No slot free only when the console ends and a lagging viewer gets the rest at once (end()): a
    // one-off buffer then.
    const slot = slotIndex === undefined ? Buffer.allocUnsafeSlow(VIEWER_SLOT_BYTES) : state.staging.subarray(slotIndex * VIEWER_SLOT_BYTES, (slotIndex + 1) * VIEWER_SLOT_BYTES);
    const { frame } = state.viewer;
    const length = frame ? frame.write(bytes, slot) : bytes.copy(slot);
    const raw = bytes.length;
    state.inFlight += raw;
    state.messagesInFlight++;
    let settled = false;
    state.viewer.output(slot.subarray(0, length), () => {
      if (settled) return;
      settled = true;
      state.inFlight -= raw;
      state.messagesInFlight--;
      if (slotIndex !== undefined) state.freeSlots.push(slotIndex);
      if (!this.done) this.pump(state);
    });
  }

  private end(): void {
    if (this.done) return;
    // Each viewer gets the rest of the output, whatever its pace (once, and at most the ring), then the end.
    for (const state of [...this.viewers.values()]) {
      this.pump(state, true);
      state.viewer.end();
    }
    this.done = true;
    this.viewers.clear();
    this.ring.release();
  }

  /** After a vmctld restart, the scroll-back comes from the tail of the console log. */
  private async seedFromLog(): Promise<void> {
    try {
      // The log is in QEMU's run dir: never follow a link its user planted there to a host file.
      const handle = await open(this.logPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        const info = await handle.stat();
        if (!info.isFile() || info.nlink !== 1) return;
        const { size } = info;
        const length = Math.min(size, SCROLLBACK_BYTES);
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, size - length);
        this.append(buffer);
      } finally {
        await handle.close();
      }
    } catch { /* no log yet */ }
  }
}
