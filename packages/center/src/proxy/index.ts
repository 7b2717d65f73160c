// vmcenter serves the host routes for every VM of the cluster, so that a client talks to vmcenter as
// to a host: GET /api/v1/vms merges every connected host's list; every method of /api/v1/vms/{name}
// and /api/v1/vms/{name}/… is streamed to the VM's owning host as the asking user (a cluster token
// minted for that host; the host checks the user's role); /ws/vms/{name}[/console|/vnc] are relayed,
// a serial console surviving a live migration. POST /api/v1/vms (placement) is the controller's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import websocket from "@fastify/websocket";
import type WebSocket from "ws";
import { VmctlError, VmListQuerySchema, type SocketTicket } from "@vmctl/api-types";
import type { Endpoint } from "@vmctl/client";
import type { CenterContext, ClusterPrincipal } from "../center-context.js";
import { keys, type ObservedVm } from "../cluster-keys.js";
import { bodyOf, openUpstream, readSmall, relayAnswer, requestHeaders, answerHeaders } from "./forward.js";
import { upstreamPath, splitUrl } from "./upstream-path.js";
import { listClusterVms, missingHostsWarning } from "./vm-list.js";
import { TicketMemory, purposeOfPath, type TicketPurpose } from "./tickets.js";
import { chooseSubprotocol, hostError, offeredSubprotocols, openHostSocket, type HostSocket } from "./host-socket.js";
import { SocketRelay, type RelayOptions } from "./ws-relay.js";

const PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
/** A ticket answer is a few hundred bytes; anything much larger is not one. */
const MAX_TICKET_ANSWER = 64 * 1024;
/** A host socket opened for a client whose upgrade then never completes is closed after this. */
const UPGRADE_GRACE_MS = 10_000;

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The route takes a console ticket minted through vmcenter: a WebSocket upgrade with ?ticket= is
     * let through unauthenticated by the role hook, and the route redeems the ticket itself.
     */
    ticketAuth?: boolean;
  }
}

type NameRequest = FastifyRequest<{ Params: { name: string } }>;

/** The cluster user A's auth hook found (null or absent: nobody). */
export function clusterPrincipalOf(request: FastifyRequest): ClusterPrincipal | null {
  return (request as unknown as { clusterPrincipal?: ClusterPrincipal | null }).clusterPrincipal ?? null;
}

function requirePrincipal(request: FastifyRequest): ClusterPrincipal {
  const principal = clusterPrincipalOf(request);
  if (!principal) throw new VmctlError("unauthenticated", "log in at vmcenter, or send Authorization: Bearer <vmcenter token>");
  return principal;
}

export async function registerHostProxy(app: FastifyInstance, ctx: CenterContext): Promise<void> {
  const tickets = new TicketMemory();
  // WebSockets need @fastify/websocket; vmcenter's core registers it (with vmctld's subprotocol choice), else it is done here.
  if (!app.hasDecorator("websocketServer")) {
    await app.register(websocket, { options: { maxPayload: 2 * 64 * 1024, handleProtocols: (offered) => chooseSubprotocol(offered) } });
  }

  await app.register(async (scope) => {
    // Bodies are streamed to the host unread, whatever their type (JSON, TOML, an image, an OVA): no
    // parser and no body limit here; the host applies its own.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, _payload, done) => done(null));

    scope.get("/api/v1/vms", { config: { role: "authenticated" }, schema: { querystring: VmListQuerySchema, hide: true } }, async (request, reply) => {
      const as = requirePrincipal(request);
      const query = new URLSearchParams(splitUrl(request.raw.url ?? "").query);
      const listing = await listClusterVms(ctx, as, query);
      if (listing.missing.length > 0) reply.header("warning", missingHostsWarning(listing.missing));
      return reply.type("application/json; charset=utf-8").send({ vms: listing.vms, total: listing.total });
    });

    /** Streams the request to the VM's owner; `onAnswer` may take over the answer (the ticket route). */
    const forward = async (request: NameRequest, reply: FastifyReply, onAnswer?: (answer: import("node:http").IncomingMessage, hostId: string, as: ClusterPrincipal) => Promise<FastifyReply>) => {
      const as = requirePrincipal(request);
      const { name } = request.params;
      const path = upstreamPath(request.raw.url ?? "", "/api/v1/vms/", name);
      const owner = await ctx.hosts.ownerOf(name);
      const send = (hostId: string, endpoint: Endpoint) => openUpstream(endpoint, hostId, request.method, path, requestHeaders(request.headers, endpoint.token), bodyOf(request));
      let hostId = owner.hostId;
      let answer = await send(hostId, (await ctx.hosts.client(hostId, as)).endpoint);
      // Mid-migration the source forgets the VM before desired state names the target: a request
      // without a body that the owner answers 404 goes, once, to the joined host that reports the VM now.
      if (answer.statusCode === 404 && bodyOf(request) === null) {
        const observed = await ctx.store.get<ObservedVm>(keys.observed(owner.uuid)).catch(() => null);
        const now = observed && observed.value.host !== hostId ? await ctx.hosts.client(observed.value.host, as).catch(() => null) : null;
        if (now && observed) {
          answer.resume();
          hostId = observed.value.host;
          answer = await send(hostId, now.endpoint);
        }
      }
      return onAnswer ? onAnswer(answer, hostId, as) : relayAnswer(reply, answer);
    };

    // Console tickets: the host's, remembered with who asked, for the WebSocket that redeems one here.
    scope.post("/api/v1/vms/:name/console", { config: { role: "authenticated" }, schema: { hide: true } }, (request: NameRequest, reply) =>
      forward(request, reply, async (answer, hostId, as) => {
        if (answer.statusCode !== 200) return relayAnswer(reply, answer);
        const body = await readSmall(answer, MAX_TICKET_ANSWER);
        let ticket: Partial<SocketTicket> = {};
        try {
          ticket = JSON.parse(body.toString()) as Partial<SocketTicket>;
        } catch {
          throw new VmctlError("host_unreachable", `host ${hostId} answered the ticket request with something that is not JSON`);
        }
        if (typeof ticket.ticket === "string" && typeof ticket.url === "string") {
          tickets.remember(ticket.ticket, { user: as.user, role: as.role, name: as.name, vm: request.params.name, purpose: purposeOfPath(ticket.url), hostId }, ticket.expiresAt);
        }
        const headers = answerHeaders(answer.headers);
        delete headers["content-length"];
        return reply.code(200).headers(headers).send(body);
      }));

    for (const url of ["/api/v1/vms/:name", "/api/v1/vms/:name/*"]) {
      scope.route({ method: [...PROXIED_METHODS], url, config: { role: "authenticated" }, schema: { hide: true }, handler: (request: NameRequest, reply) => forward(request, reply) });
    }

    registerSocketRoutes(scope, ctx, tickets);
  });
}

interface PreparedSocket { host: HostSocket; options: RelayOptions; taken: boolean }

function registerSocketRoutes(scope: FastifyInstance, ctx: CenterContext, tickets: TicketMemory): void {
  const prepared = new WeakMap<FastifyRequest, PreparedSocket>();

  /** Before the upgrade: who asks (a ticket minted here, or vmcenter's own login), the owner, and its socket opened. */
  const prepare = async (request: FastifyRequest, purpose: TicketPurpose) => {
    const { name } = request.params as { name: string };
    const query = request.query as { ticket?: unknown; token?: unknown };
    if (query.token !== undefined) throw new VmctlError("unauthenticated", "a token in the URL (?token=) is not accepted: send it as Authorization: Bearer <token>, or open the WebSocket with a ticket (POST /api/v1/vms/{name}/console)");
    let as: ClusterPrincipal;
    let hostTicket: { hostId: string; ticket: string } | undefined;
    if (typeof query.ticket === "string") {
      const remembered = tickets.redeem(query.ticket, name, purpose);
      if (!remembered) throw new VmctlError("unauthenticated", "the console ticket is unknown to this vmcenter, expired, already used, or for another VM or purpose: mint one with POST /api/v1/vms/{name}/console at vmcenter");
      as = { user: remembered.user, role: remembered.role, name: remembered.name };
      hostTicket = { hostId: remembered.hostId, ticket: query.ticket };
    } else {
      as = requirePrincipal(request);
      // A cookie rides along on cross-site WebSockets too: with one, only vmcenter's own pages may open a socket.
      const origin = request.headers.origin;
      if (!request.headers.authorization && origin !== undefined && originHost(origin) !== request.headers.host) {
        throw new VmctlError("forbidden", `WebSocket from origin ${origin.slice(0, 200)} refused: only vmcenter's own pages may open one with a session`);
      }
    }
    const owner = await ctx.hosts.ownerOf(name);
    const protocol = chooseSubprotocol(offeredSubprotocols(request.headers["sec-websocket-protocol"]));
    let host: HostSocket;
    try {
      // The ticket is the host's: it works only there; if the VM has moved since, a new one is minted as the same user.
      host = await openHostSocket(ctx, { hostId: owner.hostId, as, vm: name, purpose, protocol, ...(hostTicket?.hostId === owner.hostId ? { ticket: hostTicket.ticket } : {}) });
    } catch (error) {
      throw hostError(error, owner.hostId);
    }
    const entry: PreparedSocket = { host, options: { vm: name, uuid: owner.uuid, purpose, protocol: protocol || "", as }, taken: false };
    prepared.set(request, entry);
    const abandon = () => { if (!entry.taken) host.socket.close(1001, "the client did not complete its upgrade"); };
    request.raw.socket?.once("close", abandon);
    setTimeout(abandon, UPGRADE_GRACE_MS).unref();
  };

  const relay = (client: WebSocket, request: FastifyRequest) => {
    const entry = prepared.get(request);
    if (!entry || entry.host.socket.readyState !== entry.host.socket.OPEN) {
      client.close(1011, "the host's socket is not open");
      return;
    }
    entry.taken = true;
    if ((client.protocol || "") !== entry.options.protocol) {
      // vmcenter's WebSocket server chose another subprotocol than the one the host speaks on this socket.
      entry.host.socket.close(1000);
      client.close(1002, "subprotocol mismatch between vmcenter and the host");
      return;
    }
    new SocketRelay(ctx, client, entry.host, entry.options);
  };

  for (const [url, purpose] of [["/ws/vms/:name", "monitor"], ["/ws/vms/:name/console", "console"], ["/ws/vms/:name/vnc", "vnc"]] as const) {
    // A ticket minted here is checked by this route (ticketAuth: the role hook lets a WebSocket upgrade
    // with ?ticket= through unauthenticated); without one, vmcenter's login or token is required.
    scope.get(url, { websocket: true, config: { role: "authenticated", ticketAuth: true }, schema: { hide: true }, preHandler: async (request) => prepare(request, purpose) }, relay);
  }
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
