// /api/v1/events and /ws/events at vmcenter: the cluster's own events merged with every connected
// host's, each fetched (or relayed) as the asking user through ctx.hosts. A host that fails is
// skipped and named (the `unreachable` field and the X-Vmctl-Unreachable-Hosts header); on the
// WebSocket its relay is retried from the last event id it gave.
import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { WebSocket } from "ws";
import { Type } from "@sinclair/typebox";
import { EventQuerySchema, type EventQuery } from "@vmctl/api-types";
import type { CenterContext, ClusterPrincipal } from "../center-context.js";
import type { EtcdClusterEvents, ClusterEvent } from "./cluster-events.js";
import { eventMatches } from "./cluster-events.js";
import { principalOf } from "./role-hook.js";
import { responses } from "./openapi.js";

const HOST_TIMEOUT_MS = 10_000;
const RELAY_REFRESH_MS = 10_000;
const MAX_BUFFERED = 4 * 1024 * 1024;

export const MergedEventListSchema = Type.Object({
  events: Type.Array(Type.Unknown(), { description: "cluster events (host = the cluster id) and every connected host's, oldest first, in the host event shape" }),
  unreachable: Type.Array(Type.String(), { description: "ids of connected hosts whose events could not be read (skipped)" }),
});

interface TimedEvent { time: string; host: string; id: number }

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    work.then((value) => { clearTimeout(timer); resolve(value); }, (error: unknown) => { clearTimeout(timer); reject(error as Error); });
  });
}

/** Merges event lists by time (then host and id), keeping the newest `limit`. */
export function mergeEvents<T extends TimedEvent>(lists: T[][], limit: number): T[] {
  const all = lists.flat().sort((a, b) => a.time.localeCompare(b.time) || a.host.localeCompare(b.host) || a.id - b.id);
  return all.slice(-limit);
}

function sendEvent(socket: WebSocket, text: string): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED) { socket.close(1013, "client too slow"); return; }
  socket.send(text);
}

export function registerEventRoutes(root: FastifyInstance, ctx: CenterContext, events: EtcdClusterEvents): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get("/api/v1/events", {
    config: { role: "ReadOnly" },
    schema: { querystring: EventQuerySchema, response: responses({ 200: MergedEventListSchema }), summary: "Cluster events and every connected host's, oldest first; ?since= applies to the cluster's own ids" },
  }, async (request, reply) => {
    const query = request.query;
    const principal = principalOf(request);
    const limit = Math.min(query.limit ?? 1000, 10_000);
    const hosts = (await ctx.hosts.list()).filter((host) => host.state === "connected");
    const unreachable: string[] = [];
    const { since: _since, ...hostQuery } = query;
    const lists = await Promise.all(hosts.map(async (host) => {
      try {
        const client = await ctx.hosts.client(host.meta.id, principal);
        return (await withTimeout(client.listEvents({ ...hostQuery, limit }), HOST_TIMEOUT_MS)) as unknown as ClusterEvent[];
      } catch (error) {
        request.log.warn({ err: error, host: host.meta.id }, "a host's events could not be read; answered without them");
        unreachable.push(host.meta.id);
        return [];
      }
    }));
    const merged = mergeEvents([await events.list(query), ...lists], limit);
    if (unreachable.length) void reply.header("X-Vmctl-Unreachable-Hosts", unreachable.join(","));
    return { events: merged, unreachable };
  });

  app.get("/ws/events", { websocket: true, config: { role: "ReadOnly" }, schema: { querystring: EventQuerySchema, hide: true } }, (socket, request) => {
    const query = request.query as EventQuery;
    const principal = principalOf(request);
    let closed = false;
    const message = (event: unknown) => JSON.stringify({ type: "event", timestamp: new Date().toISOString(), data: event });
    const stop = events.onEvent((event) => { if (eventMatches(event, query)) sendEvent(socket, message(event)); });
    if (query.since !== undefined) void events.list({ ...query, limit: 10_000 }).then((past) => { for (const event of past) sendEvent(socket, message(event)); }, () => {});
    const relays = new Map<string, { upstream: WebSocket | null; lastId: number | undefined }>();
    const relay = (hostId: string) => {
      const state = relays.get(hostId) ?? { upstream: null, lastId: undefined };
      relays.set(hostId, state);
      void openRelay(ctx, hostId, principal, query, state.lastId).then((upstream) => {
        if (closed) { upstream.terminate(); return; }
        state.upstream = upstream;
        upstream.on("message", (data: Buffer) => {
          const text = data.toString();
          try {
            const parsed = JSON.parse(text) as { type?: string; data?: { id?: number; type?: string } };
            if (parsed.type !== "event") return;
            if (query.type && !eventMatches({ vm: null, vmUuid: null, type: String(parsed.data?.type ?? "") }, { type: query.type })) return;
            if (typeof parsed.data?.id === "number" && parsed.data.type !== "task.progress") state.lastId = parsed.data.id;
          } catch {
            return;
          }
          sendEvent(socket, text);
        });
        upstream.on("error", () => {});
        upstream.on("close", () => { if (state.upstream === upstream) state.upstream = null; });
      }, (error: unknown) => { request.log.debug({ err: error, host: hostId }, "cannot relay a host's events"); });
    };
    const refresh = async () => {
      try {
        const hosts = (await ctx.hosts.list()).filter((host) => host.state === "connected").map((host) => host.meta.id);
        for (const id of hosts) if (!relays.get(id)?.upstream) relay(id);
      } catch {
        // etcd away: the next refresh tries again
      }
    };
    void refresh();
    const timer = setInterval(() => void refresh(), RELAY_REFRESH_MS);
    socket.on("message", () => {});
    socket.on("close", () => {
      closed = true;
      clearInterval(timer);
      stop();
      for (const state of relays.values()) state.upstream?.terminate();
    });
  });
}

async function openRelay(ctx: CenterContext, hostId: string, principal: ClusterPrincipal, query: EventQuery, since: number | undefined): Promise<WebSocket> {
  const client = await ctx.hosts.client(hostId, principal);
  const upstream = client.openEvents({ ...(since !== undefined ? { since } : {}), ...(query.vm ? { vm: query.vm } : {}) }) as unknown as WebSocket;
  return new Promise((resolve, reject) => {
    upstream.once("open", () => resolve(upstream));
    upstream.once("error", reject);
  });
}
