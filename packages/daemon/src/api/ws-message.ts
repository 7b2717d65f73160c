// Messages of the WebSocket protocol (shared/WS-PROTOCOL.md): {type, timestamp, data}, timestamps in
// ISO 8601 with milliseconds and the zone offset. Errors are answered through the registry's one
// mapping (@vmctl/api-types errors.ts): an `error` message with its code, and 4000 + its HTTP
// status as the close code when the error ends the socket.
import type { WebSocket } from "ws";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import { VmctlError, wsCloseCodeOf, wsErrorAnswer, JSON_PROTOCOL, BINARY_CONSOLE_PROTOCOL, WS_CLIENT_DATA, type ErrorCode, type WsClientData, type WsClientType, type WsServerData, type WsServerType } from "@vmctl/api-types";

export function wsTimestamp(date = new Date()): string {
  const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, "0");
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}${sign}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
}

export const MAX_WS_MESSAGE = 64 * 1024;
/** Subprotocols (declared with the messages in @vmctl/api-types ws-wire.ts). */
export { JSON_PROTOCOL, BINARY_CONSOLE_PROTOCOL };
/** A viewer this far behind is cut off rather than letting vmctld's memory grow. */
export const MAX_BUFFERED = 4 * 1024 * 1024;

/** Sends one of the messages declared in @vmctl/api-types (ws-wire.ts): its data is the one its type declares. */
export function send<T extends WsServerType>(socket: WebSocket, type: T, data: WsServerData<T>): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED) {
    socket.close(1013, "client too slow");
    return;
  }
  socket.send(JSON.stringify({ type, timestamp: wsTimestamp(), data }));
}

export function sendError(socket: WebSocket, code: ErrorCode, message: string): void {
  send(socket, "error", { code, message });
}

/** Any error as an `error` message (an unexpected one says only that it happened); returns its answer. */
export function sendErrorOf(socket: WebSocket, error: unknown): ReturnType<typeof wsErrorAnswer> {
  const answer = wsErrorAnswer(error);
  sendError(socket, answer.code, answer.message);
  return answer;
}

/** Tells the client why and ends the socket with the error's close code (4404 no such VM, 4409 wrong state). */
export function closeWithError(socket: WebSocket, code: ErrorCode, message: string, reason: string): void {
  sendError(socket, code, message);
  socket.close(wsCloseCodeOf(code), reason);
}

const RATE_PER_SECOND = 200;
const BURST = 400;
const buckets = new WeakMap<WebSocket, { tokens: number; at: number; dropped: number }>();

/**
 * A token bucket per connection: a client may send 200 messages a second (bursts of 400; a paste
 * into a console is one message). Beyond that messages are refused with an error, and a client that
 * keeps flooding is disconnected; the VM and other viewers are untouched.
 */
export function overRateLimit(socket: WebSocket): boolean {
  const now = performance.now();
  const bucket = buckets.get(socket) ?? { tokens: BURST, at: now, dropped: 0 };
  bucket.tokens = Math.min(BURST, bucket.tokens + ((now - bucket.at) / 1000) * RATE_PER_SECOND);
  bucket.at = now;
  buckets.set(socket, bucket);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return false;
  }
  if (++bucket.dropped === 1 || bucket.dropped % 100 === 0) sendError(socket, "rate_limited", `more than ${RATE_PER_SECOND} messages a second; slow down`);
  if (bucket.dropped > 2000) socket.close(1008, "message flood");
  return true;
}

/** Parses one client message; returns null (after telling the client why) when it is malformed. */
export function parseClientMessage(socket: WebSocket, raw: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): { type: string; data: Record<string, unknown> } | null {
  if (overRateLimit(socket)) return null;
  if (isBinary) {
    sendError(socket, "bad_request", "binary messages are not accepted on this endpoint; send JSON text");
    return null;
  }
  const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : Array.isArray(raw) ? Buffer.concat(raw).toString("utf8") : Buffer.from(raw).toString("utf8");
  if (text.length > MAX_WS_MESSAGE) {
    sendError(socket, "payload_too_large", `message over ${MAX_WS_MESSAGE} bytes`);
    return null;
  }
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    sendError(socket, "bad_request", "message is not JSON");
    return null;
  }
  const m = message as { type?: unknown; data?: unknown };
  if (typeof m !== "object" || m === null || typeof m.type !== "string" || typeof m.data !== "object" || m.data === null) {
    sendError(socket, "bad_request", 'message must be {"type": string, "data": object}');
    return null;
  }
  return { type: m.type, data: m.data as Record<string, unknown> };
}

const clientChecks = { command: TypeCompiler.Compile(WS_CLIENT_DATA.command), console_input: TypeCompiler.Compile(WS_CLIENT_DATA.console_input) };

/** The data of a client message of this type, checked against its declared schema (ws-wire.ts); null when it is another or does not match. */
export function clientData<T extends WsClientType>(message: { type: string; data: Record<string, unknown> }, type: T): WsClientData<T> | null {
  if (message.type !== type) return null;
  const check: { Check(value: unknown): value is WsClientData<T> } = clientChecks[type];
  return check.Check(message.data) ? message.data : null;
}

/** Ends a VM WebSocket for a VM that does not exist (close code 4404); true when it did so. */
export function closedForUnknownVm(socket: WebSocket, known: boolean, name: string): boolean {
  if (known) return false;
  const { code, message } = wsErrorAnswer(new VmctlError("vm_not_found", `no VM named "${name}"`));
  closeWithError(socket, code, message, "vm not found");
  return true;
}
