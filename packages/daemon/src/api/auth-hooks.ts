// Authentication and authorization for every request, in one place: the unix socket is root's
// break-glass way in; over TCP a bearer token, a session cookie (with CSRF for changes) or, on
// WebSockets, a single-use ticket. Then the route's privilege, at host scope or on the VM named.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { VmctlError } from "@vmctl/api-types";
import type { Host } from "../host.js";
import { PRIVILEGES } from "../security/privileges.js";
import { can, type Principal } from "../security/principal.js";
import { needOf } from "../security/route-privileges.js";
import { sameSecret } from "../security/passwords.js";

declare module "fastify" {
  interface FastifyRequest { principal: Principal | null; auditUser: string | undefined }
}

export const SESSION_COOKIE = "vmctl_session";
const ROOT: Principal = { name: "root (unix socket)", user: "root", kind: "root", role: "Admin", host: new Set(PRIVILEGES), vms: new Map() };
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function sourceOf(request: FastifyRequest): string {
  // The socket is gone (null) once a client has hung up mid-request.
  return request.raw.socket?.remoteAddress ?? "unix socket";
}

export function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

function authenticate(host: Host, request: FastifyRequest): Principal | null {
  if (request.raw.socket.remoteAddress === undefined) return ROOT;
  const authorization = request.headers.authorization;
  if (authorization) {
    const token = /^Bearer (.+)$/.exec(authorization)?.[1];
    const principal = token ? host.auth.principalForToken(token) : null;
    if (!principal) throw new VmctlError("unauthenticated", "the bearer token is unknown, expired or revoked");
    return principal;
  }
  const query = request.query as Record<string, unknown> | undefined;
  const isWebSocket = request.headers.upgrade?.toLowerCase() === "websocket";
  if (isWebSocket && typeof query?.token === "string") {
    const principal = host.auth.principalForToken(query.token);
    if (!principal) throw new VmctlError("unauthenticated", "the token is unknown, expired or revoked");
    return principal;
  }
  if (isWebSocket && typeof query?.ticket === "string") {
    const vm = (request.params as { name?: string }).name ?? "";
    const url = request.routeOptions.url ?? "";
    const purpose = url.endsWith("/console") ? "console" : url.endsWith("/vnc") ? "vnc" : "monitor";
    const user = host.tickets.redeem(query.ticket, vm, purpose);
    const principal = user ? host.auth.principalFor(user, "ticket") : null;
    if (!principal) throw new VmctlError("unauthenticated", "the console ticket is unknown, expired, already used, or for another VM");
    return principal;
  }
  const sessionId = cookie(request, SESSION_COOKIE);
  if (sessionId) {
    const session = host.auth.session(sessionId);
    const principal = session ? host.auth.principalFor(session.user, "session") : null;
    if (!principal || !session) return null;
    if (isWebSocket) {
      // A cookie rides along on cross-site WebSockets too: only our own pages may open one.
      const origin = request.headers.origin;
      if (origin && new URL(origin).host !== request.headers.host) throw new VmctlError("forbidden", `WebSocket from origin ${origin} refused`);
    } else if (UNSAFE.has(request.method) && !sameSecret(String(request.headers["x-csrf-token"] ?? ""), session.csrf)) {
      throw new VmctlError("csrf_failed", "this request changes something and needs the X-CSRF-Token header given at login");
    }
    return { ...principal, csrf: session.csrf };
  }
  return null;
}

export function registerAuth(app: FastifyInstance, host: Host): void {
  app.decorateRequest("principal", null);
  app.decorateRequest("auditUser", undefined);
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (!needOf(method, route.url)) throw new Error(`route ${method} ${route.url} declares no privilege: add it to security/route-privileges.ts`);
    }
  });
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
    void reply.header("X-Content-Type-Options", "nosniff").header("X-Frame-Options", "DENY").header("Referrer-Policy", "no-referrer");
    if (request.raw.socket.remoteAddress !== undefined) void reply.header("Strict-Transport-Security", "max-age=31536000");
    return payload;
  });
  // Every change is audited: who, from where, what, on what, and how it ended. Bodies never are (secrets).
  app.addHook("onResponse", async (request, reply) => {
    if (!UNSAFE.has(request.method) || !request.routeOptions.url) return;
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
