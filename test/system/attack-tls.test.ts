// Connections before any credential: anyone who reaches the HTTPS port can open TCP connections that
// never send a ClientHello, or finish the handshake and never send a request. Node's defaults would
// keep the first for 120 s and the second forever, so a few hundred would hold vmctld's port; here
// they are closed by vmctld (10 s for the handshake, 20 s for the first request's headers) while
// ordinary HTTPS keeps answering.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { TestHost } from "./harness.js";
import { https } from "./https-support.js";

let host: TestHost;
let port: number;

beforeAll(async () => {
  host = await TestHost.start();
  port = host.port;
});
afterAll(async () => { await host?.close(); });

/** Resolves with the bytes the server sent once it closes the connection; rejects if it has not after `boundMs`. */
function closedByServer(socket: Socket, boundMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const timer = setTimeout(() => reject(new Error(`vmctld had not closed the connection after ${boundMs} ms`)), boundMs);
    socket.on("data", (chunk: Buffer) => { bytes += chunk.length; });
    socket.on("error", () => undefined); // a reset is a close too
    socket.once("close", () => { clearTimeout(timer); resolve(bytes); });
  });
}

describe("connections that never authenticate", () => {
  it("50 TCP connections that never send a ClientHello do not stop HTTPS, and vmctld closes them after its handshake timeout", async () => {
    const silent = await Promise.all(Array.from({ length: 50 }, () => new Promise<Socket>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => resolve(socket));
      socket.once("error", reject);
    })));
    // Generous: the handshake timeout is 10 s; Node's default of 120 s would fail this.
    const closes = silent.map((socket) => closedByServer(socket, 60_000));
    const health = await https(port, "GET", "/healthz");
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ ok: true });
    // Still open after the request answered: they are closed by the timeout, not by the request.
    expect(silent.every((socket) => !socket.destroyed)).toBe(true);
    const bytes = await Promise.all(closes);
    expect(bytes.every((n) => n === 0)).toBe(true);
    expect((await https(port, "GET", "/healthz")).status).toBe(200);
  });

  it("a TLS connection that finishes its handshake but never sends a request is closed too", async () => {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const tls = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => resolve(tls));
      tls.once("error", reject);
    });
    // Node times a request's headers only once it has begun: without vmctld's own timer this stays open forever.
    await closedByServer(socket, 60_000);
    expect((await https(port, "GET", "/healthz")).status).toBe(200);
  });
});
