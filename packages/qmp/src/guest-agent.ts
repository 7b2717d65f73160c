// The QEMU guest agent's protocol (qemu-ga in the guest, over a virtio-serial port whose host end is
// a unix socket QEMU serves): JSON lines like QMP, but no greeting, and no way to know whether
// anything listens on the guest's side. Bytes written while no agent runs wait in the channel and
// reach an agent started later, which answers them then; so every exchange begins with
// guest-sync-delimited and a random id, and everything before the answer with that id is discarded.
// Everything the agent sends is the guest's: untrusted, bounded, and checked before use.
// One command at a time; each has a short timeout, and after a timeout the next one syncs afresh.
import { connect, type Socket } from "node:net";
import { randomInt } from "node:crypto";

export type GuestAgentErrorKind = "not-connected" | "timeout" | "command" | "protocol" | "closed";

export class GuestAgentError extends Error {
  readonly kind: GuestAgentErrorKind;
  readonly agentClass: string | undefined;
  constructor(kind: GuestAgentErrorKind, message: string, agentClass?: string) {
    super(message);
    this.name = "GuestAgentError";
    this.kind = kind;
    this.agentClass = agentClass;
  }
}

export interface GuestAgentOptions {
  /** Per command (default 5 s): a guest without an agent must never hold anyone long. */
  timeoutMs?: number;
  /** For the sync that begins an exchange (default 2 s). */
  syncTimeoutMs?: number;
  /**
   * Whether the guest has its end of the channel open (QMP query-chardev's frontend-open): when it
   * says no, nothing is written (it would wait in the channel for an agent started later).
   */
  isOpen?: () => Promise<boolean>;
}

/** guest-get-osinfo (members vmctl reads). */
export interface GuestOsInfo { id?: string; name?: string; "pretty-name"?: string; version?: string; "version-id"?: string; "kernel-release"?: string; machine?: string }
export interface GuestIpAddress { "ip-address-type": "ipv4" | "ipv6"; "ip-address": string; prefix: number }
export interface GuestNetworkInterface { name: string; "hardware-address"?: string; "ip-addresses"?: GuestIpAddress[] }
export interface GuestAgentInfo { version: string; supported_commands: Array<{ name: string; enabled: boolean; "success-response": boolean }> }
export type FsfreezeStatus = "thawed" | "frozen";

/** The most one line from the guest may hold (a reply of guest-network-get-interfaces is a few KiB). */
export const MAX_AGENT_LINE = 1024 * 1024;
const DELIMITER = 0xff;

interface Waiter {
  /** Returns true when the message was the one waited for. */
  take(message: Record<string, unknown>): boolean;
  fail(error: Error): void;
}

export class GuestAgentClient {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  /** Until a sync answer arrives, everything up to the 0xFF delimiter and every other answer are discarded. */
  private awaitingDelimiter = false;
  private waiter: Waiter | undefined;
  private synced = false;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly timeoutMs: number;
  private readonly syncTimeoutMs: number;

  constructor(private readonly path: string, private readonly options: GuestAgentOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.syncTimeoutMs = options.syncTimeoutMs ?? 2000;
  }

  /**
   * Runs one command (after a sync when the channel's state is unknown). `noReply`: the agent
   * answers only failures (guest-shutdown); success is no answer within `timeoutMs`.
   */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, options: { timeoutMs?: number; noReply?: boolean } = {}): Promise<T> {
    const run = this.queue.then(() => this.executeNow<T>(command, args, options));
    this.queue = run.catch(() => {});
    return run;
  }

  /** True when an agent answers a sync now (never throws). */
  async connected(): Promise<boolean> {
    try {
      await this.execute("guest-ping");
      return true;
    } catch {
      return false;
    }
  }

  /** Whether the guest has its end of the channel open (an agent started there), without writing anything. */
  async channelOpen(): Promise<boolean> {
    if (this.closed) return false;
    return this.options.isOpen ? this.options.isOpen().catch(() => false) : true;
  }

  close(): void {
    this.closed = true;
    this.drop(new GuestAgentError("closed", "the guest agent client was closed"));
  }

  private async executeNow<T>(command: string, args: Record<string, unknown> | undefined, options: { timeoutMs?: number; noReply?: boolean }): Promise<T> {
    if (this.closed) throw new GuestAgentError("closed", "the guest agent client was closed");
    if (this.options.isOpen && !(await this.options.isOpen().catch(() => false))) {
      this.synced = false;
      throw new GuestAgentError("not-connected", "agent: not connected (no guest agent has the channel open)");
    }
    const socket = await this.open();
    if (!this.synced) await this.sync(socket);
    const id = `vmctl-${randomInt(1, 2 ** 47)}`;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const reply = this.wait((message) => message.id === id || message.id === undefined, timeoutMs, command, options.noReply ?? false);
    socket.write(`${serialize({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    const message = await reply;
    if (message === undefined) {
      // No answer is guest-shutdown's success; the agent may still answer late, so sync next time.
      this.synced = false;
      return undefined as T;
    }
    if (message.error !== undefined) {
      const error = message.error as { class?: unknown; desc?: unknown };
      // The guest's words reach terminals (vmctl's errors), logs and task logs: no control characters.
      const desc = typeof error.desc === "string" ? printable(error.desc).slice(0, 500) || "unknown error" : "unknown error";
      throw new GuestAgentError("command", `guest agent: "${command}" failed: ${desc}`, typeof error.class === "string" ? printable(error.class).slice(0, 64) : undefined);
    }
    if (!("return" in message)) throw this.protocolError(`an answer to "${command}" with neither return nor error`);
    return message.return as T;
  }

  /** Sends 0xFF (the agent's parser starts afresh) and guest-sync-delimited; waits for its id past the delimiter. */
  private async sync(socket: Socket): Promise<void> {
    const id = randomInt(1, 2 ** 47);
    this.awaitingDelimiter = true;
    this.buffer = Buffer.alloc(0);
    const answer = this.wait((message) => message.return === id, this.syncTimeoutMs, "guest-sync-delimited", false);
    socket.write(Buffer.concat([Buffer.from([DELIMITER]), Buffer.from(`${JSON.stringify({ execute: "guest-sync-delimited", arguments: { id } })}\n`)]));
    try {
      await answer;
    } catch (error) {
      if (error instanceof GuestAgentError && error.kind === "timeout") throw new GuestAgentError("not-connected", `agent: not connected (no answer to guest-sync-delimited within ${this.syncTimeoutMs} ms)`);
      throw error;
    }
    this.synced = true;
  }

  /** Resolves with the first message `match` accepts (others are stale and dropped); undefined on timeout when `silentOk`. */
  private wait(match: (message: Record<string, unknown>) => boolean, timeoutMs: number, command: string, silentOk: boolean): Promise<Record<string, unknown> | undefined> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        if (silentOk) return resolve(undefined);
        this.synced = false;
        reject(new GuestAgentError("timeout", `guest agent: no answer to "${command}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        take: (message) => {
          if (!match(message)) return false;
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(message);
          return true;
        },
        fail: (error) => {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(error);
        },
      };
    });
  }

  private open(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const socket = connect(this.path);
      const timer = setTimeout(() => { socket.destroy(); reject(new GuestAgentError("not-connected", `agent: not connected (${this.path} did not accept within ${this.syncTimeoutMs} ms)`)); }, this.syncTimeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", onConnectError);
        this.socket = socket;
        this.synced = false;
        this.buffer = Buffer.alloc(0);
        socket.on("data", (chunk: Buffer) => this.onData(socket, chunk));
        socket.on("error", () => {});
        socket.on("close", () => { if (this.socket === socket) this.drop(new GuestAgentError("closed", "the guest agent's channel closed (QEMU exited?)")); });
        resolve(socket);
      });
      const onConnectError = (error: Error) => { clearTimeout(timer); reject(new GuestAgentError("not-connected", `agent: not connected (cannot connect to ${this.path}: ${error.message})`)); };
      socket.once("error", onConnectError);
    }).finally(() => { this.connecting = undefined; });
    return this.connecting;
  }

  private drop(error: Error): void {
    const socket = this.socket;
    this.socket = undefined;
    this.synced = false;
    this.buffer = Buffer.alloc(0);
    socket?.destroy();
    this.waiter?.fail(error);
  }

  private protocolError(what: string): GuestAgentError {
    this.synced = false;
    return new GuestAgentError("protocol", `guest agent: ${what}`);
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      // Between commands nothing is waited for: what the guest sends then is dropped unparsed (a
      // guest flooding its channel costs no more than the reading). Every exchange waits before it writes.
      if (!this.waiter) {
        this.buffer = Buffer.alloc(0);
        return;
      }
      if (this.awaitingDelimiter) {
        const at = this.buffer.indexOf(DELIMITER);
        if (at < 0) { this.buffer = Buffer.alloc(0); return; }
        this.buffer = this.buffer.subarray(at + 1);
        this.awaitingDelimiter = false;
      }
      const newline = this.buffer.indexOf(0x0a);
      if (newline < 0) break;
      const line = this.buffer.subarray(0, newline);
      this.buffer = this.buffer.subarray(newline + 1);
      this.onLine(line);
    }
    if (this.buffer.length > MAX_AGENT_LINE) {
      // A guest may send anything: a line this long is not an answer, and the channel is dropped.
      this.drop(this.protocolError(`a line longer than ${MAX_AGENT_LINE} bytes from the guest`));
    }
  }

  private onLine(raw: Buffer): void {
    // A stale sync answer carries its own delimiter; the agent's 0xFF bytes are never JSON.
    const text = raw.toString("utf8").replace(/\xff|\ufffd/g, "").trim();
    if (!text) return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return; // a torn or stale line: the waiter times out or a later line matches
    }
    if (typeof message !== "object" || message === null || Array.isArray(message)) return;
    this.waiter?.take(message as Record<string, unknown>);
  }

  // The commands vmctl uses, typed. The answers are the guest's: callers check them (readGuestFacts).
  ping(): Promise<unknown> { return this.execute("guest-ping"); }
  info(): Promise<GuestAgentInfo> { return this.execute("guest-info"); }
  osInfo(): Promise<GuestOsInfo> { return this.execute("guest-get-osinfo"); }
  hostName(): Promise<{ "host-name": string }> { return this.execute("guest-get-host-name"); }
  networkInterfaces(): Promise<GuestNetworkInterface[]> { return this.execute("guest-network-get-interfaces"); }
  /** The agent answers only a failure; no answer within timeoutMs is success. */
  shutdown(mode: "powerdown" | "reboot" | "halt" = "powerdown", timeoutMs = 2000): Promise<void> {
    return this.execute<void>("guest-shutdown", { mode }, { noReply: true, timeoutMs });
  }
  /** How many filesystems were frozen. Freezing can take long on a busy guest: 30 s unless told. */
  fsfreezeFreeze(timeoutMs = 30_000): Promise<number> { return this.count("guest-fsfreeze-freeze", timeoutMs); }
  fsfreezeThaw(timeoutMs = 30_000): Promise<number> { return this.count("guest-fsfreeze-thaw", timeoutMs); }
  /** A freeze's or thaw's count of filesystems, which task logs show: a number, or a protocol error. */
  private async count(command: string, timeoutMs: number): Promise<number> {
    const n = await this.execute<unknown>(command, undefined, { timeoutMs });
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw this.protocolError(`"${command}" answered no count of filesystems`);
    return n;
  }
  fsfreezeStatus(): Promise<FsfreezeStatus> { return this.execute("guest-fsfreeze-status"); }
  /** Sets the guest's clock (and its RTC) to `at` (default now, the host's time). */
  setTime(at: Date = new Date()): Promise<unknown> { return this.execute("guest-set-time", { time: BigInt(at.getTime()) * 1_000_000n }); }
  /** The password is sent base64 (as the agent wants) and never appears in an error. */
  setUserPassword(username: string, password: string): Promise<unknown> {
    return this.execute("guest-set-user-password", { username, password: Buffer.from(password, "utf8").toString("base64"), crypted: false }, { timeoutMs: 15_000 });
  }
}

/** A guest's text with control characters (C0, DEL, C1: escapes, line breaks) made spaces. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
}

/** JSON with bigints written as integers (guest-set-time's nanoseconds exceed 2^53). */
function serialize(message: Record<string, unknown>): string {
  return JSON.stringify(message, (_key, value: unknown) => (typeof value === "bigint" ? `\u0000bigint:${value}` : value))
    .replace(/"\\u0000bigint:(-?\d+)"/g, "$1");
}
