// Who may call which vmcenter route: every route declares `config.role` ("public", "authenticated",
// or the least cluster role it needs) and a route without one is refused at registration. Each
// request is authenticated by an API token (Authorization: Bearer vmcenter_…) or a session cookie
// (with the X-CSRF-Token from login for changes, and our own Origin on WebSockets), and its
// principal put on request.clusterPrincipal. Proxied host routes use "authenticated": the host
// checks the user's role from the cluster token vmcenter mints for it.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { VmctlError } from "@vmctl/api-types";
import type { ClusterPrincipal } from "../center-context.js";
import { CLUSTER_ROLES, type ClusterRole } from "../cluster-token.js";
import { roleRank, type AuthStore, type CenterPrincipal } from "./auth-store.js";
import { sameSecret } from "./secrets.js";

export type RouteRole = "public" | "authenticated" | ClusterRole;
export const ROUTE_ROLES: readonly RouteRole[] = ["public", "authenticated", ...CLUSTER_ROLES];

declare module "fastify" {
  interface FastifyContextConfig { role?: RouteRole }
  interface FastifyRequest {
    /**
     * Who asks: set on every route whose role is not "public" before its handler runs (null on
     * public routes, whatever the type says: those never read it).
     */
    clusterPrincipal: ClusterPrincipal;
  }
}

export const SESSION_COOKIE = "vmcenter_session";
export const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Files of the Host Client (@fastify/static's routes, which take no config): public, as any login page's assets. */
const STATIC_PREFIX = "/ui/";

/** The role a route declares, or an error naming the route: no route is registered without one. */
export function routeRoleOf(method: string, url: string, config: unknown): RouteRole {
  const role = (config as { role?: unknown } | undefined)?.role;
  if (role === undefined && url.startsWith(STATIC_PREFIX)) return "public";
  if (typeof role !== "string" || !ROUTE_ROLES.includes(role as RouteRole)) {
    throw new Error(`vmcenter route ${method} ${url} declares no role: add config: { role: ${ROUTE_ROLES.map((r) => `"${r}"`).join(" | ")} }`);
  }
  return role as RouteRole;
}

/** Whether a principal may call a route of this role: ok, or the error to answer. */
export function verdict(role: RouteRole, principal: ClusterPrincipal | null): "ok" | "unauthenticated" | "forbidden" {
  if (role === "public") return "ok";
  if (!principal) return "unauthenticated";
  if (role === "authenticated") return "ok";
  return roleRank(principal.role) >= roleRank(role) ? "ok" : "forbidden";
}

export function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key !== name) continue;
    try {
      return decodeURIComponent(rest.join("="));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/** The client's address (for the login rate limit and the log). */
export function sourceOf(request: FastifyRequest): string {
  return request.raw.socket?.remoteAddress ?? "unknown";
}

async function authenticate(auth: AuthStore, request: FastifyRequest): Promise<CenterPrincipal | null> {
  const query = request.query as Record<string, unknown> | undefined;
  if (query?.token !== undefined) throw new VmctlError("unauthenticated", "a token in the URL (?token=) is not accepted: send it as Authorization: Bearer <token>");
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const token = /^Bearer (\S+)$/.exec(authorization)?.[1];
    const principal = token ? await auth.principalForToken(token) : null;
    if (!principal) throw new VmctlError("unauthenticated", "the bearer token is unknown, expired or revoked (vmcenter takes its own tokens, vmcenter_…; make one with POST /api/v1/tokens)");
    return principal;
  }
  const sessionId = cookie(request, SESSION_COOKIE);
  if (!sessionId) return null;
  const principal = await auth.principalForSession(sessionId);
  if (!principal) return null;
  const isWebSocket = (request.raw as { upgrade?: boolean }).upgrade === true;
  if (isWebSocket) {
    const origin = request.headers.origin;
    if (origin !== undefined && originHost(origin) !== request.headers.host) throw new VmctlError("forbidden", `WebSocket from origin ${origin.slice(0, 200)} refused: only vmcenter's own pages may open one with a session`);
  } else if (UNSAFE_METHODS.has(request.method) && !sameSecret(String(request.headers["x-csrf-token"] ?? ""), principal.csrf ?? "")) {
    throw new VmctlError("csrf_failed", "this request changes something and needs the X-CSRF-Token header given at login");
  }
  return principal;
}

/** The principal of a request on a non-public route (or unauthenticated). */
export function principalOf(request: FastifyRequest): CenterPrincipal {
  const principal = request.clusterPrincipal as CenterPrincipal | null;
  if (!principal) throw new VmctlError("unauthenticated", "log in first (POST /api/v1/login) or send Authorization: Bearer vmcenter_…");
  return principal;
}

export function registerRoleHook(app: FastifyInstance, auth: AuthStore): void {
  app.decorateRequest("clusterPrincipal", null as unknown as ClusterPrincipal);
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      const role = routeRoleOf(method, route.url, route.config);
      route.config = { ...(route.config ?? {}), role } as NonNullable<typeof route.config>;
    }
  });
  app.addHook("onRequest", async (request) => {
    if (!request.routeOptions.url) return; // unknown route: the 404 handler answers
    const role = (request.routeOptions.config as { role?: RouteRole }).role ?? "Admin";
    if (role === "public") return;
    // The host proxy's /ws/vms/… sockets opened with a console ticket alone: the route redeems the
    // ticket (the owning host checks it, single use; vmcenter knows which user asked for it).
    const query = request.query as { ticket?: unknown } | undefined;
    if ((request.routeOptions.config as { ticketAuth?: boolean }).ticketAuth === true && (request.raw as { upgrade?: boolean }).upgrade === true && typeof query?.ticket === "string") return;
    const principal = await authenticate(auth, request);
    const answer = verdict(role, principal);
    if (answer === "unauthenticated") throw new VmctlError("unauthenticated", "log in (POST /api/v1/login) or send Authorization: Bearer vmcenter_…");
    if (answer === "forbidden") throw new VmctlError("forbidden", `${principal!.name} (role ${principal!.role}) may not do this: it needs the role ${role}`, { role });
    request.clusterPrincipal = principal!;
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    void reply.header("X-Content-Type-Options", "nosniff").header("X-Frame-Options", "DENY").header("Referrer-Policy", "no-referrer")
      .header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
      .header("Strict-Transport-Security", "max-age=31536000");
    return payload;
  });
  // Every change is logged: who, from where, what, how it ended (bodies never: secrets).
  app.addHook("onResponse", async (request, reply) => {
    if (!UNSAFE_METHODS.has(request.method) || !request.routeOptions.url) return;
    const principal = request.clusterPrincipal as ClusterPrincipal | null;
    request.log.info({ user: principal?.name ?? "anonymous", source: sourceOf(request), action: `${request.method} ${request.routeOptions.url}`, status: reply.statusCode }, "change");
  });
}
