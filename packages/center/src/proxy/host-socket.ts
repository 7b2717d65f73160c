// A WebSocket to a VM's socket on its owning host (/ws/vms/NAME, …/console, …/vnc), opened with a
// host ticket minted as the cluster user (or one the user minted through vmcenter), with the same
// subprotocol as the client's. Messages that arrive before the relay takes the socket are kept.
import WebSocket from "ws";
import { BINARY_CONSOLE_PROTOCOL, JSON_PROTOCOL, VmctlError, isErrorCode, type SocketTicket } from "@vmctl/api-types";
import { ApiError, ConnectionError } from "@vmctl/client";
import type { CenterContext, ClusterPrincipal } from "../center-context.js";
import { hostTls } from "./forward.js";
import type { TicketPurpose } from "./tickets.js";

/** The host's WebSocket frame limit is 2 × 64 KiB; the relay takes somewhat more. */
export const MAX_RELAYED_MESSAGE = 1024 * 1024;
const OPEN_TIMEOUT_MS = 10_000;

/** vmctld's choice among offered subprotocols (its server.ts): the console's binary, then JSON, then noVNC's "binary". */
export function chooseSubprotocol(offered: ReadonlySet<string>): string | false {
  return offered.has(BINARY_CONSOLE_PROTOCOL) ? BINARY_CONSOLE_PROTOCOL : offered.has(JSON_PROTOCOL) ? JSON_PROTOCOL : offered.has("binary") ? "binary" : false;
}

export function offeredSubprotocols(header: string | string[] | undefined): Set<string> {
  return new Set(String(header ?? "").split(",").map((p) => p.trim()).filter(Boolean));
}

export function socketPath(vm: string, purpose: TicketPurpose): string {
  return `/ws/vms/${encodeURIComponent(vm)}${purpose === "monitor" ? "" : `/${purpose}`}`;
}

export interface Frame { data: Buffer; binary: boolean }

export class HostSocket {
  private early: Frame[] = [];
  private onFrame: ((frame: Frame) => void) | null = null;
  /** When the socket was opened (ms): a migration that ended before it is not this socket's. */
  readonly openedAt = Date.now();
  constructor(readonly socket: WebSocket, readonly hostId: string) {
    socket.on("message", (raw, binary) => {
      const data = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer);
      if (this.onFrame) this.onFrame({ data, binary });
      else this.early.push({ data, binary });
    });
  }

  /** Delivers what came so far, then every frame as it comes. */
  take(onFrame: (frame: Frame) => void): void {
    this.onFrame = onFrame;
    const early = this.early;
    this.early = [];
    for (const frame of early) onFrame(frame);
  }
}

/**
 * A host's answer as vmcenter's error: the host's own code and message (a 403 stays a 403), an
 * unreachable host as host_unreachable.
 */
export function hostError(error: unknown, hostLabel: string): VmctlError {
  if (error instanceof VmctlError) return error;
  if (error instanceof ApiError && isErrorCode(error.code)) return new VmctlError(error.code, `host ${hostLabel}: ${error.message}`, error.details);
  if (error instanceof ConnectionError || error instanceof ApiError) {
    return new VmctlError("host_unreachable", `host ${hostLabel} did not answer as expected (${error.message.slice(0, 200)}); retry when it is back`, { host: hostLabel });
  }
  return new VmctlError("host_unreachable", `host ${hostLabel}: ${String((error as Error)?.message ?? error).slice(0, 200)}`, { host: hostLabel });
}

/** A host ticket for the VM's socket, minted as `as` on the host (POST /api/v1/vms/{name}/console). */
export async function mintHostTicket(ctx: CenterContext, hostId: string, as: ClusterPrincipal, vm: string, purpose: TicketPurpose): Promise<string> {
  const client = await ctx.hosts.client(hostId, as);
  try {
    const answer = await client.call<SocketTicket>("POST", `/api/v1/vms/${encodeURIComponent(vm)}/console`, { purpose });
    return answer.ticket;
  } catch (error) {
    throw hostError(error, hostId);
  }
}

function refusal(status: number, body: string, hostLabel: string): VmctlError {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const code = parsed.error?.code;
    if (isErrorCode(code)) return new VmctlError(code, `host ${hostLabel}: ${String(parsed.error?.message ?? "")}`, parsed.error?.details);
  } catch {
    // not vmctld's error body
  }
  return new VmctlError("host_unreachable", `host ${hostLabel} refused the WebSocket with HTTP ${status}`, { host: hostLabel, status });
}

/** Opens the VM's socket on `hostId` with `ticket` (minted now as `as` when not given). */
export async function openHostSocket(ctx: CenterContext, options: { hostId: string; as: ClusterPrincipal; vm: string; purpose: TicketPurpose; protocol: string | false; ticket?: string }): Promise<HostSocket> {
  const { hostId, as, vm, purpose, protocol } = options;
  const ticket = options.ticket ?? await mintHostTicket(ctx, hostId, as, vm, purpose);
  const { endpoint } = await ctx.hosts.client(hostId, as);
  const url = new URL(`${socketPath(vm, purpose)}?ticket=${encodeURIComponent(ticket)}`, endpoint.url);
  url.protocol = url.protocol === "http:" ? "ws:" : "wss:";
  const tls = hostTls(endpoint);
  const socket = new WebSocket(url, protocol ? [protocol] : [], {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.checkServerIdentity ? { checkServerIdentity: tls.checkServerIdentity as unknown as () => boolean } : {}),
    maxPayload: MAX_RELAYED_MESSAGE, handshakeTimeout: OPEN_TIMEOUT_MS, perMessageDeflate: false,
  });
  // Errors after the opening (a dropped connection) end in "close", which the relay handles.
  socket.on("error", () => {});
  const host = new HostSocket(socket, hostId);
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: Error) => {
      socket.off("open", onOpen);
      socket.off("error", onError);
      socket.off("unexpected-response", onRefused);
      if (error) reject(error);
      else resolve();
    };
    const onOpen = () => settle();
    const onError = (error: Error) => {
      socket.terminate();
      settle(error instanceof VmctlError ? error : new VmctlError("host_unreachable", `host ${hostId} did not open the WebSocket: ${error.message.slice(0, 200)}; retry when it is back`, { host: hostId }));
    };
    const onRefused = (_request: unknown, response: import("node:http").IncomingMessage) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => { if (body.length < 16_384) body += chunk; });
      response.on("end", () => { socket.terminate(); settle(refusal(response.statusCode ?? 0, body, hostId)); });
      response.on("error", () => { socket.terminate(); settle(refusal(response.statusCode ?? 0, body, hostId)); });
    };
    socket.on("open", onOpen);
    socket.on("error", onError);
    socket.on("unexpected-response", onRefused);
  });
  return host;
}
