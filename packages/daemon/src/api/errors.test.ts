import { describe, it, expect, afterEach } from "vitest";
import Fastify, { type FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import type { WebSocket } from "ws";
import { VmctlError } from "@vmctl/api-types";
import { registerErrorHandling } from "./errors.js";
import { closedForUnknownVm, closeWithError, sendErrorOf } from "./ws-message.js";

let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; });

async function appWith(routes: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  app = Fastify({ bodyLimit: 64 });
  registerErrorHandling(app);
  routes(app);
  await app.ready();
  return app;
}

describe("errors as HTTP answers", () => {
  it("a coded error, a schema refusal naming the field, a body too large, a route that is not, and an unexpected error", async () => {
    const server = await appWith((a) => {
      a.get("/coded", async () => { throw new VmctlError("vm_not_found", 'no VM named "x"'); });
      a.post("/typed", { schema: { body: Type.Object({ cpus: Type.Integer() }) } }, async () => ({ ok: true }));
      a.get("/broken", async () => { throw new Error("ENOENT: /root/secret"); });
    });
    const coded = await server.inject({ method: "GET", url: "/coded" });
    expect([coded.statusCode, coded.json()]).toEqual([404, { error: { code: "vm_not_found", message: 'no VM named "x"' } }]);
    const typed = await server.inject({ method: "POST", url: "/typed", payload: { cpus: "two" } });
    expect(typed.statusCode).toBe(400);
    expect(typed.json().error).toMatchObject({ code: "bad_request", message: expect.stringContaining("cpus") });
    const large = await server.inject({ method: "POST", url: "/typed", payload: { cpus: 1, pad: "x".repeat(200) } });
    expect([large.statusCode, large.json().error.code]).toEqual([413, "payload_too_large"]);
    const missing = await server.inject({ method: "GET", url: "/nowhere?x=1" });
    expect([missing.statusCode, missing.json()]).toEqual([404, { error: { code: "not_found", message: "no route GET /nowhere" } }]);
    const broken = await server.inject({ method: "GET", url: "/broken" });
    expect([broken.statusCode, broken.json()]).toEqual([500, { error: { code: "internal", message: "internal error in vmctld; its log has the details" } }]);
  });
});

/** A socket that records what it was sent and how it was closed. */
function fakeSocket(): { socket: WebSocket; sent: unknown[]; closed: Array<[number, string]> } {
  const sent: unknown[] = [];
  const closed: Array<[number, string]> = [];
  const socket = { OPEN: 1, readyState: 1, bufferedAmount: 0, send: (text: string) => sent.push(JSON.parse(text)), close: (code: number, reason: string) => closed.push([code, reason]) };
  return { socket: socket as unknown as WebSocket, sent, closed };
}

describe("errors as WebSocket answers", () => {
  it("an unknown VM: an error message with the code, then close code 4404", () => {
    const { socket, sent, closed } = fakeSocket();
    expect(closedForUnknownVm(socket, false, "ghost")).toBe(true);
    expect(sent).toMatchObject([{ type: "error", data: { code: "vm_not_found", message: 'no VM named "ghost"' } }]);
    expect(closed).toEqual([[4404, "vm not found"]]);
  });

  it("a wrong state closes with 4409; an unexpected error is told without its message and leaves the socket open", () => {
    const { socket, sent, closed } = fakeSocket();
    closeWithError(socket, "vm_wrong_state", 'VM "a" has no running display', "no display");
    expect(closed).toEqual([[4409, "no display"]]);
    expect(sendErrorOf(socket, new Error("EACCES /root")).code).toBe("internal");
    expect(sent.at(-1)).toMatchObject({ type: "error", data: { code: "internal", message: "internal error in vmctld; its log has the details" } });
    expect(closed).toHaveLength(1);
  });
});
