// One QMP connection: greeting and capabilities handshake, commands matched to replies by id,
// asynchronous events, per-command timeouts, and a clean error for every pending command when QEMU goes away.
import { connect, type Socket } from "node:net";
import { EventEmitter } from "node:events";

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp: { seconds: number; microseconds: number };
}

export type QmpErrorKind = "command" | "timeout" | "closed" | "protocol" | "connect";

export class QmpError extends Error {
  readonly kind: QmpErrorKind;
  readonly qmpClass: string | undefined;
  constructor(kind: QmpErrorKind, message: string, qmpClass?: string) {
    super(message);
    this.name = "QmpError";
    this.kind = kind;
    this.qmpClass = qmpClass;
  }
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface QmpClientEvents {
  event: [QmpEvent];
  close: [Error | undefined];
}

const MAX_LINE = 16 * 1024 * 1024;

export class QmpClient extends EventEmitter<QmpClientEvents> {
  private readonly socket: Socket;
  private readonly pending = new Map<string, Pending>();
  private buffer = "";
  private nextId = 1;
  private closedWith: Error | undefined;
  private closed = false;
  readonly version: { qemu: { major: number; minor: number; micro: number } };

  private constructor(socket: Socket, version: QmpClient["version"]) {
    super();
    this.socket = socket;
    this.version = version;
    socket.on("data", (chunk) => this.onData(chunk.toString("utf8")));
    socket.on("error", (error) => { this.closedWith ??= error; });
    socket.on("close", () => this.onClose());
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(path: string, options: { timeoutMs?: number } = {}): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const socket = connect(path);
    socket.setNoDelay(true);
    const greeting = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let text = "";
      const fail = (error: Error) => { cleanup(); socket.destroy(); reject(error); };
      const timer = setTimeout(() => fail(new QmpError("timeout", `no QMP greeting on ${path} within ${timeoutMs} ms`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        text += chunk.toString("utf8");
        const newline = text.indexOf("\n");
        if (newline < 0) return;
        cleanup();
        try {
          const parsed = JSON.parse(text.slice(0, newline)) as Record<string, unknown>;
          socket.pause();
          if (text.length > newline + 1) socket.unshift(Buffer.from(text.slice(newline + 1)));
          resolve(parsed);
        } catch {
          fail(new QmpError("protocol", `QMP greeting on ${path} is not JSON`));
        }
      };
      const onError = (error: Error) => fail(new QmpError("connect", `cannot connect to QMP socket ${path}: ${error.message}`));
      const onClose = () => fail(new QmpError("closed", `QMP socket ${path} closed before the greeting`));
      const cleanup = () => { clearTimeout(timer); socket.off("data", onData); socket.off("error", onError); socket.off("close", onClose); };
      socket.on("data", onData);
      socket.on("error", onError);
      socket.on("close", onClose);
    });
    const qmp = greeting.QMP as { version?: QmpClient["version"] } | undefined;
    if (!qmp?.version) { socket.destroy(); throw new QmpError("protocol", `unexpected QMP greeting on ${path}`); }
    const client = new QmpClient(socket, qmp.version);
    socket.resume();
    await client.execute("qmp_capabilities", undefined, { timeoutMs });
    return client;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<T> {
    if (this.closed) return Promise.reject(this.closedError(command));
    const id = `vmctl-${this.nextId++}`;
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpError("timeout", `QMP command "${command}" got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (value: unknown) => void, reject, timer });
      const message = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private closedError(command: string): QmpError {
    const cause = this.closedWith ? `: ${this.closedWith.message}` : "";
    return new QmpError("closed", `QMP connection closed (QEMU exited?) before "${command}" was answered${cause}`);
  }

  private onData(text: string): void {
    this.buffer += text;
    if (this.buffer.length > MAX_LINE) {
      this.closedWith = new QmpError("protocol", "QMP message larger than 16 MiB");
      this.socket.destroy();
      return;
    }
    let newline: number;
    while ((newline = this.buffer.indexOf("\n")) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // QEMU only sends JSON; a torn line is not worth killing the connection for.
    }
    if (typeof message.event === "string") {
      this.emit("event", { event: message.event, data: (message.data as Record<string, unknown>) ?? {}, timestamp: message.timestamp as QmpEvent["timestamp"] });
      return;
    }
    const id = typeof message.id === "string" ? message.id : undefined;
    const pending = id ? this.pending.get(id) : undefined;
    if (!pending || !id) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if ("error" in message) {
      const error = message.error as { class?: string; desc?: string };
      pending.reject(new QmpError("command", `QMP "${pending.command}" failed: ${error.desc ?? "unknown error"}`, error.class));
    } else {
      pending.resolve(message.return);
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(this.closedError(pending.command));
      this.pending.delete(id);
    }
    this.emit("close", this.closedWith);
  }
}
