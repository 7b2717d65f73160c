import { describe, it, expect, beforeEach, afterEach } from "vitest";
import Fastify, { type FastifyInstance } from "fastify";
import websocket from "@fastify/websocket";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type WebSocket from "ws";
import { openDatabase, type Db } from "../store/database.js";
import { EventLog } from "../domain/event-log.js";
import { pruneAll } from "../domain/retention.js";
import type { Host } from "../host.js";
import { registerEventRoutes } from "./events.js";
import { registerErrorHandling } from "./errors.js";

let db: Db;
let events: EventLog;
let app: FastifyInstance;

beforeEach(async () => {
  db = openDatabase(":memory:");
  events = new EventLog(db);
  app = Fastify();
  registerErrorHandling(app);
  await app.register(websocket);
  registerEventRoutes(app.withTypeProvider<TypeBoxTypeProvider>(), { events } as unknown as Host);
  await app.ready();
});
afterEach(async () => {
  await app.close();
  db.close();
});

interface Message { type: string; data: { id?: number; since?: number; oldestKept?: number } }

/** Opens the stream with a listener from the first byte on; `until` resolves once the messages satisfy it. */
async function open(path: string): Promise<{ socket: WebSocket; until: (enough: (messages: Message[]) => boolean) => Promise<Message[]> }> {
  const messages: Message[] = [];
  const waiters: Array<() => void> = [];
  const socket = await app.injectWS(path, {}, {
    onInit: (ws) => ws.on("message", (raw: Buffer) => { messages.push(JSON.parse(raw.toString()) as Message); for (const w of waiters) w(); }),
  });
  const until = (enough: (m: Message[]) => boolean) => new Promise<Message[]>((resolve) => {
    const check = () => { if (enough(messages)) resolve(messages); };
    waiters.push(check);
    check();
  });
  return { socket, until };
}

function addEvents(count: number, time = new Date().toISOString()): void {
  // Each stored event has the data its type declares (@vmctl/api-types events-wire.ts): the answer's schema holds it to that.
  const insert = db.prepare("INSERT INTO events (time, type, vm, data) VALUES (?, 'vm.state', 'web01', '{\"from\":\"stopped\",\"to\":\"starting\"}')");
  db.transaction(() => { for (let i = 0; i < count; i++) insert.run(time); })();
}

describe("/ws/events replay", () => {
  it("replays thousands of events in pages, in order, none twice, then goes live", async () => {
    addEvents(12_345);
    const { socket, until } = await open("/ws/events?since=0");
    // Recorded while the replay runs: it must come once, after the stored ones.
    events.record("vm.state", "web01", { from: "starting", to: "running" });
    const ids = (await until((m) => m.at(-1)?.data.id === 12_346)).filter((m) => m.type === "event").map((m) => m.data.id);
    expect(ids).toEqual(Array.from({ length: 12_346 }, (_, i) => i + 1));
    socket.terminate();
  });

  it("after retention pruned the ids after ?since=, says so and replays from the oldest kept", async () => {
    addEvents(100, new Date(Date.now() - 40 * 24 * 3600_000).toISOString());
    addEvents(5);
    await pruneAll({ events: { table: events, limits: { maxAgeMs: 30 * 24 * 3600_000, maxRows: 1000 } } });
    const { socket, until } = await open("/ws/events?since=7");
    const messages = await until((m) => m.length === 6);
    expect(messages[0]).toMatchObject({ type: "events_pruned", data: { since: 7, oldestKept: 101 } });
    expect(messages.slice(1).map((m) => m.data.id)).toEqual([101, 102, 103, 104, 105]);
    socket.terminate();

    // Resuming from a kept id: no notice, just what followed.
    const resumed = await open("/ws/events?since=103");
    expect((await resumed.until((m) => m.length === 2)).map((m) => [m.type, m.data.id])).toEqual([["event", 104], ["event", 105]]);
    resumed.socket.terminate();
  });

  it("GET /api/v1/events?since= of a pruned id starts at the oldest kept one", async () => {
    addEvents(10, new Date(Date.now() - 40 * 24 * 3600_000).toISOString());
    addEvents(3);
    await pruneAll({ events: { table: events, limits: { maxAgeMs: 30 * 24 * 3600_000, maxRows: 1000 } } });
    const answer = await app.inject({ method: "GET", url: "/api/v1/events?since=2" });
    expect((answer.json() as { events: Array<{ id: number }> }).events.map((e) => e.id)).toEqual([11, 12, 13]);
    expect((await app.inject({ method: "GET", url: `/api/v1/events?type=${"x".repeat(65)}` })).statusCode).toBe(400);
  });

  it("an event an older vmctld stored in another shape is listed as it was stored, and the rest of the log still reads", async () => {
    addEvents(2);
    const insert = db.prepare("INSERT INTO events (time, type, vm, data) VALUES (?, ?, 'web01', ?)");
    const time = new Date().toISOString();
    insert.run(time, "vm.teleported", '{"to":"web02"}');
    insert.run(time, "vm.state", '{"from":"stopped"}');
    insert.run(time, "vm.created", "not json");
    const answer = await app.inject({ method: "GET", url: "/api/v1/events" });
    expect(answer.statusCode).toBe(200);
    const listed = (answer.json() as { events: Array<{ id: number; type: string; data: Record<string, string> }> }).events;
    expect(listed.map((e) => e.type)).toEqual(["vm.state", "vm.state", "event.unrecognized", "event.unrecognized", "event.unrecognized"]);
    expect(listed[2]?.data).toEqual({ type: "vm.teleported", json: '{"to":"web02"}', why: 'no event type "vm.teleported" in this version' });
    expect(listed[3]?.data.why).toBe("to: Expected required property");
    expect(listed[4]?.data.why).toBe("its data is not JSON");
    const { socket, until } = await open("/ws/events?since=0");
    expect((await until((m) => m.length === 5)).map((m) => m.type)).toEqual(["event", "event", "event", "event", "event"]);
    socket.terminate();
  });
});
