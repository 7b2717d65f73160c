// /api/v1/events and /ws/events: the persisted event log, and its live stream that resumes after a
// reconnect from the last id seen, with nothing missed (but what retention has pruned meanwhile).
import type { WebSocket } from "ws";
import { EventListSchema, EventQuerySchema, type VmctlEvent } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";
import { send, MAX_BUFFERED } from "./ws-message.js";

/** A replay goes out a page at a time, each once the socket has drained the one before. */
const REPLAY_PAGE = 500;
/** Live events held back while a replay runs; a replay this far behind ends (the client resumes with ?since=). */
const MAX_PENDING = 5000;

/** Resolves once the socket has sent most of what it holds (or has closed), never before other work had a turn. */
function drained(socket: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (socket.readyState !== socket.OPEN || socket.bufferedAmount < MAX_BUFFERED / 4) resolve();
      else setTimeout(check, 20);
    };
    setImmediate(check);
  });
}

export function registerEventRoutes(app: ApiApp, host: Host): void {
  app.get("/api/v1/events", { schema: { querystring: EventQuerySchema, response: responses({ 200: EventListSchema }), summary: "Events, oldest first; ?since=ID for those after an id (retention may have pruned the oldest)" } }, async (request) => ({ events: host.events.list(request.query) }));

  app.get("/ws/events", { websocket: true, schema: { querystring: EventQuerySchema, hide: true } }, (socket, request) => {
    const query = request.query;
    const matches = (event: VmctlEvent) => (!query.vm || event.vm === query.vm) && (!query.vmUuid || event.vmUuid === query.vmUuid) && (!query.type || event.type === query.type || (query.type.endsWith("*") && event.type.startsWith(query.type.slice(0, -1))));
    let lastSent = query.since ?? Number.MAX_SAFE_INTEGER;
    const pending: VmctlEvent[] = [];
    let replaying = query.since !== undefined;
    const listener = (event: VmctlEvent) => {
      if (!matches(event)) return;
      if (replaying) {
        if (pending.length < MAX_PENDING) pending.push(event);
        else if (socket.readyState === socket.OPEN) socket.close(1013, "too far behind: reconnect with ?since= the last id received");
      } else if (event.id > lastSent || lastSent === Number.MAX_SAFE_INTEGER) { send(socket, "event", event); lastSent = event.id; }
    };
    // Live-only events (task progress) pass straight through: they repeat a stored id and are never replayed.
    const live = (event: VmctlEvent) => { if (!replaying && matches(event)) send(socket, "event", event); };
    host.events.on("event", listener);
    host.events.on("live", live);
    socket.on("close", () => { host.events.off("event", listener); host.events.off("live", live); });
    socket.on("message", () => {}); // clients only listen here; pings are answered by ws itself
    if (!replaying) return;
    void (async () => {
      // Ids up to the oldest kept one were pruned by retention: say so, then replay what there is.
      const oldest = host.events.oldestId();
      if (oldest !== null && query.since! < oldest - 1) send(socket, "events_pruned", { since: query.since!, oldestKept: oldest });
      for (;;) {
        const page = host.events.list({ ...query, since: lastSent, limit: REPLAY_PAGE });
        for (const event of page) { send(socket, "event", event); lastSent = event.id; }
        if (page.length < REPLAY_PAGE) break;
        await drained(socket);
        if (socket.readyState !== socket.OPEN) return;
      }
      replaying = false;
      for (const event of pending.splice(0)) if (event.id > lastSent) { send(socket, "event", event); lastSent = event.id; }
    })();
  });
}
