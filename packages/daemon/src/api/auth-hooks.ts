// Authentication and authorization for every request, in one place: the unix socket is root's
// break-glass way in; over TCP a bearer token, a session cookie (with CSRF for changes) or, on
// WebSockets, a single-use ticket worth what its minter still holds. Then the route's privilege, at
// host scope or on the VM named. A joined host also takes vmcenter's cluster tokens (JWTs, verified
// offline: cluster/cluster-auth.ts) as bearer tokens. Every WebSocket is registered with its principal, so a change that
// takes a credential or a right away closes the sockets opened with it.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { VmctlError } from "@vmctl/api-types";
import type { Host } from "../host.js";
import { looksLikeJwt } from "@vmctl/center";
import { can, ROOT_PRINCIPAL, type Credential, type Principal, type TicketPurpose } from "../security/principal.js";
import { isClusterCredential } from "../cluster/cluster-auth.js";
import { isLocalConnection } from "../security/local-socket.js";
import { needOf } from "../security/route-privileges.js";
import { sameSecret } from "../security/passwords.js";
import { ticketPrincipal } from "../security/console-tickets.js";
import { SocketRegistry } from "../security/socket-registry.js";

declare module "fastify" {
  interface FastifyRequest { principal: Principal | null; auditUser: string | undefined }
  interface FastifyInstance { webSockets: SocketRegistry }
}

export const SESSION_COOKIE = "vmctl_session";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Sessions and tokens expire on their own: open sockets are re-checked this often too. */
const RECHECK_MS = 5000;

/**
 * The Host Client loads only its own scripts (no inline script, no eval); PatternFly sets inline
 * styles. 'self' covers wss: to the same host. Nothing may frame it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:", "connect-src 'self'",
  "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'",
].join("; ");

function ticketPurpose(url: string): TicketPurpose {
  return url.endsWith("/console") ? "console" : url.endsWith("/vnc") ? "vnc" : "monitor";
}

export function sourceOf(request: FastifyRequest): string {
  if (isLocalConnection(request.raw.socket)) return "unix socket";
  // A network client that has hung up (or reset) mid-request has no address any more.
  return request.raw.socket?.remoteAddress ?? "unknown (the connection has closed)";
}

export function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key !== name) continue;
    try {
      return decodeURIComponent(rest.join("="));
    } catch {
      return undefined; // not percent-encoding: no session of ours, as if none were sent
    }
  }
  return undefined;
}

/** The host part of an Origin header, or null for one that is no URL ("null", garbage). */
function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

function authenticate(host: Host, request: FastifyRequest): Principal | null {
  if (isLocalConnection(request.raw.socket)) return ROOT_PRINCIPAL;
  const query = request.query as Record<string, unknown> | undefined;
  // A URL ends up in logs, proxies and shell history: a long-lived secret never rides in one.
  if (query?.token !== undefined) throw new VmctlError("unauthenticated", "a token in the URL (?token=) is not accepted: send it as Authorization: Bearer <token>, or open the WebSocket with a ticket (POST /api/v1/vms/{name}/console)");
  const authorization = request.headers.authorization;
  if (authorization) {
    const token = /^Bearer (.+)$/.exec(authorization)?.[1];
    // A JWT is vmcenter's (a cluster token, verified offline); vmctld's own tokens are opaque.
    if (token && looksLikeJwt(token)) {
      if (!host.cluster) throw new VmctlError("unauthenticated", "a cluster token (JWT) was sent, but this host has joined no cluster; use one of its own tokens");
      return host.cluster.auth.principalForToken(token);
    }
    const principal = token ? host.auth.principalForToken(token) : null;
    if (!principal) throw new VmctlError("unauthenticated", "the bearer token is unknown, expired or revoked");
    return principal;
  }
  // A real upgrade (Node saw Connection: upgrade), not a header a client adds to skip the CSRF check;
  // and a ticket opens only the VM WebSockets it was made for, never a plain route.
  const isWebSocket = (request.raw as { upgrade?: boolean }).upgrade === true;
  if (isWebSocket && typeof query?.ticket === "string" && (request.routeOptions.url ?? "").startsWith("/ws/vms/")) {
    const ticket = host.tickets.redeem(query.ticket, (request.params as { name?: string }).name ?? "", ticketPurpose(request.routeOptions.url ?? ""));
    const principal = ticket ? ticketPrincipal(resolveCredential(host, ticket.via), ticket) : null;
    if (!principal) throw new VmctlError("unauthenticated", "the console ticket is unknown, expired, already used, for another VM or purpose, or the credential that made it no longer holds");
    return principal;
  }
  const sessionId = cookie(request, SESSION_COOKIE);
  if (sessionId) {
    const session = host.auth.session(sessionId);
    const principal = session ? host.auth.principalForSession(session.hash) : null;
    if (!principal || !session) return null;
    if (isWebSocket) {
      // A cookie rides along on cross-site WebSockets too: only our own pages may open one.
      const origin = request.headers.origin;
      if (origin !== undefined && originHost(origin) !== request.headers.host) throw new VmctlError("forbidden", `WebSocket from origin ${origin.slice(0, 200)} refused: only vmctld's own pages may open one with a session`);
    } else if (UNSAFE.has(request.method) && !sameSecret(String(request.headers["x-csrf-token"] ?? ""), session.csrf)) {
      throw new VmctlError("csrf_failed", "this request changes something and needs the X-CSRF-Token header given at login");
    }
    return { ...principal, csrf: session.csrf };
  }
  return null;
}

/** A credential as it stands now: a cluster token's until it expires (on a joined host), a local one's as the auth store has it. */
function resolveCredential(host: Host, via: Credential): Principal | null {
  if (isClusterCredential(via)) return host.cluster?.auth.resolve(via) ?? null;
  return host.auth.resolve(via);
}

/** A principal as its credential stands now: a ticket's is its minter's, cut to the ticket again. */
function reread(host: Host, principal: Principal): Principal | null {
  const current = resolveCredential(host, principal.via);
  return principal.ticket ? ticketPrincipal(current, principal.ticket) : current;
}

type WebSocketHandler = (this: FastifyInstance, socket: WebSocket, request: FastifyRequest) => unknown;

export function registerAuth(app: FastifyInstance, host: Host): void {
  app.decorateRequest("principal", null);
  app.decorateRequest("auditUser", undefined);
  const sockets = new SocketRegistry((principal) => reread(host, principal));
  app.decorate("webSockets", sockets);
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (!needOf(method, route.url)) throw new Error(`route ${method} ${route.url} declares no privilege: add it to security/route-privileges.ts`);
    }
    // Runs before @fastify/websocket's own onRoute hook (registered later), which takes this handler as the socket's.
    if (route.websocket) {
      const handler = route.handler as unknown as WebSocketHandler;
      const registered: WebSocketHandler = function (socket, request) {
        if (request.principal) sockets.add(socket, request.principal, (request.params as { name?: string }).name);
        return handler.call(this, socket, request);
      };
      route.handler = registered as unknown as typeof route.handler;
    }
  });
  let recheckTimer: NodeJS.Timeout | undefined;
  app.addHook("onReady", async () => { recheckTimer = setInterval(() => sockets.recheck(), RECHECK_MS).unref(); });
  app.addHook("onClose", async () => clearInterval(recheckTimer));
  app.addHook("onRequest", async (request) => {
    const url = request.routeOptions.url;
    if (!url) return; // unknown route: the 404 handler answers
    const need = needOf(request.method, url)!;
    if (need === "public") return;
    const principal = authenticate(host, request);
    if (!principal) throw new VmctlError("unauthenticated", "log in (POST /api/v1/login) or send Authorization: Bearer <token>");
    request.principal = principal;
    if (need === "authenticated") return;
    const vm = (request.params as { name?: string }).name;
    if (!can(principal, need, vm)) {
      throw new VmctlError("forbidden", `${principal.name} (role ${principal.role}) lacks the privilege "${need}"${vm ? ` on VM "${vm}"` : ""}`, { privilege: need, ...(vm ? { vm } : {}) });
    }
  });
  app.addHook("onSend", async (request, reply, payload) => {
    void reply.header("X-Content-Type-Options", "nosniff").header("X-Frame-Options", "DENY").header("Referrer-Policy", "no-referrer").header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    if (!isLocalConnection(request.raw.socket)) void reply.header("Strict-Transport-Security", "max-age=31536000");
    return payload;
  });
  // Every change is audited: who, from where, what, on what, and how it ended. Bodies never are (secrets).
  app.addHook("onResponse", async (request, reply) => {
    if (!UNSAFE.has(request.method) || !request.routeOptions.url) return;
    // A change may have taken a credential or a right away (a revoked token, a removed grant, a logout…).
    if (reply.statusCode < 400) sockets.recheckSoon();
    const params = request.params as { name?: string; id?: string; user?: string; ds?: string; "*"?: string };
    host.audit.record({
      user: request.principal?.name ?? request.auditUser ?? "anonymous",
      source: sourceOf(request),
      action: `${request.method} ${request.routeOptions.url}`,
      target: params.name ?? params.user ?? params.id ?? (params.ds === undefined ? null : params["*"] === undefined ? params.ds : `${params.ds}:${params["*"]}`),
      result: reply.statusCode < 400 ? "ok" : "refused",
      status: reply.statusCode,
    });
  });
}
