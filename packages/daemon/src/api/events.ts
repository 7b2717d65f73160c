// /api/v1/events and /ws/events: the persisted event log, and its live stream that resumes after a
// reconnect from the last id seen, with nothing missed.
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { EventListSchema, type VmctlEvent } from "@vmctl/api-types";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";
import { send } from "./ws-message.js";

const EventQuery = Type.Object({
  vm: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  since: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
}, { additionalProperties: false });

export function registerEventRoutes(app: FastifyInstance, host: Host): void {
  app.get("/api/v1/events", { schema: { querystring: EventQuery, response: responses({ 200: EventListSchema }), summary: "Events, oldest first; ?since=ID for those after an id" } }, async (request) => ({ events: host.events.list(request.query as object) }));

  app.get("/ws/events", { websocket: true, schema: { querystring: EventQuery, hide: true } }, (socket, request) => {
    const query = request.query as { vm?: string; type?: string; since?: number };
    const matches = (event: VmctlEvent) => (!query.vm || event.vm === query.vm) && (!query.type || event.type === query.type || (query.type.endsWith("*") && event.type.startsWith(query.type.slice(0, -1))));
    let lastSent = query.since ?? Number.MAX_SAFE_INTEGER;
    const pending: VmctlEvent[] = [];
    let replaying = query.since !== undefined;
    const listener = (event: VmctlEvent) => {
      if (!matches(event)) return;
      if (replaying) pending.push(event);
      else if (event.id > lastSent || lastSent === Number.MAX_SAFE_INTEGER) { send(socket, "event", event); lastSent = event.id; }
    };
    // Live-only events (task progress) pass straight through: they repeat a stored id and are never replayed.
    const live = (event: VmctlEvent) => { if (!replaying && matches(event)) send(socket, "event", event); };
    host.events.on("event", listener);
    host.events.on("live", live);
    socket.on("close", () => { host.events.off("event", listener); host.events.off("live", live); });
    socket.on("message", () => {}); // clients only listen here; pings are answered by ws itself
    if (replaying) {
      for (const event of host.events.list({ ...query, since: query.since!, limit: 10000 })) { send(socket, "event", event); lastSent = event.id; }
      replaying = false;
      for (const event of pending) if (event.id > lastSent) { send(socket, "event", event); lastSent = event.id; }
    }
  });
}
