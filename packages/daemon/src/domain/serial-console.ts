// vmctld holds the one connection a QEMU serial socket allows and fans it out: every viewer gets the
// recent scroll-back first, then live output; input from any viewer reaches the guest.
import { connect, type Socket } from "node:net";
import { open } from "node:fs/promises";
import { constants } from "node:fs";

export const SCROLLBACK_BYTES = 256 * 1024;
/** Viewers of one console at once: each costs a scroll-back copy and a share of every output chunk. */
export const MAX_CONSOLE_VIEWERS = 32;
/** Input the guest has not read yet (QEMU stops reading when the UART is full): beyond it, input is refused. */
export const MAX_INPUT_BACKLOG = 256 * 1024;

export interface ConsoleViewer {
  output(chunk: Buffer): void;
  end(): void;
}

export class SerialConsole {
  private socket: Socket | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly viewers = new Set<ConsoleViewer>();
  private ended = false;

  constructor(readonly socketPath: string, readonly logPath: string) {}

  /** Connects to QEMU's serial socket, retrying briefly while QEMU creates it. */
  async connect(options: { seedFromLog?: boolean } = {}): Promise<void> {
    if (options.seedFromLog) await this.seedFromLog();
    for (let attempt = 0; ; attempt++) {
      try {
        this.socket = await new Promise<Socket>((resolve, reject) => {
          const socket = connect(this.socketPath);
          socket.once("connect", () => { socket.off("error", reject); resolve(socket); });
          socket.once("error", reject);
        });
        break;
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => this.append(chunk));
    this.socket.on("error", () => {});
    this.socket.on("close", () => this.end());
  }

  /** Subscribes a viewer: it receives the scroll-back at once, then live output. */
  attach(viewer: ConsoleViewer): () => void {
    if (this.size > 0) viewer.output(this.scrollback());
    if (this.ended) {
      viewer.end();
      return () => {};
    }
    this.viewers.add(viewer);
    return () => this.viewers.delete(viewer);
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** True when another viewer would pass MAX_CONSOLE_VIEWERS. */
  get full(): boolean {
    return this.viewers.size >= MAX_CONSOLE_VIEWERS;
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
    if (!this.socket || this.ended || this.inputBacklogged) return false;
    this.socket.write(input);
    return true;
  }

  scrollback(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  close(): void {
    this.socket?.destroy();
    this.end();
  }

  private append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > SCROLLBACK_BYTES * 1.25) {
      const all = Buffer.concat(this.chunks);
      // Copy so the ring does not pin the large concatenation.
      this.chunks = [Buffer.from(all.subarray(all.length - SCROLLBACK_BYTES))];
      this.size = SCROLLBACK_BYTES;
    }
    for (const viewer of this.viewers) viewer.output(chunk);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const viewer of this.viewers) viewer.end();
    this.viewers.clear();
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
