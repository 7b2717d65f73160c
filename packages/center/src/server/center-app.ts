// vmcenter's own part of the HTTPS app, registered before the join route, the cluster routes and the
// host proxy: errors in vmctld's JSON body, the role hook every route goes through, writes forwarded
// to the leader, WebSockets, OpenAPI, login/users/tokens, cluster tasks and events,
// GET /api/v1/cluster and the Host Client's files.
import { createRequire } from "node:module";
import type { FastifyError, FastifyInstance } from "fastify";
import websocket from "@fastify/websocket";
import { VmctlError, httpErrorAnswer, ClusterInfoSchema, BINARY_CONSOLE_PROTOCOL, JSON_PROTOCOL } from "@vmctl/api-types";
import type { CenterContext } from "../center-context.js";
import { AuthStore } from "./auth-store.js";
import { registerRoleHook } from "./role-hook.js";
import { registerAuthRoutes } from "./auth-routes.js";
import { registerOpenApi, responses } from "./openapi.js";
import { registerTaskRoutes } from "./task-routes.js";
import { registerEventRoutes } from "./event-routes.js";
import { registerWriteForwarding } from "./forward.js";
import { registerUi } from "./ui.js";
import { EtcdClusterTasks } from "./cluster-tasks.js";
import { EtcdClusterEvents } from "./cluster-events.js";
import type { ReplicaRecord } from "./election.js";

export const CENTER_VERSION = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
const MAX_WS_MESSAGE = 64 * 1024;

/** What registerCenterCore needs beyond the context: the replica list (from the election). */
export interface CoreParts { replicas: () => Promise<ReplicaRecord[]> }

/** Fastify's own errors (validation, bodies) as coded errors; anything else as it is. */
export function codedError(error: unknown): unknown {
  if (error instanceof VmctlError) return error;
  // etcd3's own failures that reach a handler unmapped (its circuit breaker, a gRPC error).
  const names = [(error as { name?: unknown })?.name, (error as object | null)?.constructor?.name];
  if (names.some((name) => typeof name === "string" && /^(BrokenCircuitError|GRPC\w+Error|ClientRuntimeError)$/.test(name)) || /circuit breaker is open/.test(String((error as Error)?.message))) {
    return new VmctlError("cluster_unavailable", `etcd does not answer (${String((error as Error).message).slice(0, 200)}); retry in a few seconds`);
  }
  const fastifyError = error as FastifyError;
  if (fastifyError?.validation) {
    const message = fastifyError.validation.map((v) => {
      const at = (v.instancePath || "").replace(/^\//, "").replace(/\//g, ".");
      const unknown = v.params?.additionalProperty as string | undefined;
      if (unknown !== undefined) return `${at ? `${at}.` : ""}${unknown}: unknown field; check its spelling (the API's schema is GET /api/v1/openapi.json)`;
      return `${at || String(v.params?.missingProperty ?? "") || fastifyError.validationContext || "body"}: ${v.message ?? "invalid"}`;
    }).join("; ");
    return new VmctlError("bad_request", message, fastifyError.validation);
  }
  if (fastifyError?.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new VmctlError("payload_too_large", fastifyError.message);
  if (fastifyError?.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return new VmctlError("unsupported_media_type", `${fastifyError.message}; send application/json or application/toml`);
  if (fastifyError?.statusCode === 400 || fastifyError?.code?.startsWith("FST_ERR_CTP")) return new VmctlError("bad_request", fastifyError.message);
  // @fastify/static's refusals (a path that climbs out, a missing file): the client's mistake.
  const status = fastifyError?.statusCode;
  if (error instanceof Error && typeof status === "number" && status >= 400 && status < 500 && !fastifyError.code?.startsWith("FST_")) {
    return new VmctlError(status === 403 || status === 404 ? "not_found" : "bad_request", status === 403 || status === 404 ? "no such file" : error.message);
  }
  return error;
}

export function registerErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = httpErrorAnswer(codedError(error));
    if (status >= 500 && body.error.code === "internal") request.log.error({ err: error }, "request failed");
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = httpErrorAnswer(new VmctlError("not_found", `no route ${request.method} ${request.url.split("?")[0]!.slice(0, 200)}`));
    void reply.status(status).send(body);
  });
}

export async function registerCenterCore(app: FastifyInstance, ctx: CenterContext, parts: CoreParts = { replicas: async () => [] }): Promise<void> {
  if (!(ctx.tasks instanceof EtcdClusterTasks) || !(ctx.events instanceof EtcdClusterEvents)) throw new Error("registerCenterCore needs vmcenter's own task and event stores in the context");
  const tasks = ctx.tasks;
  const events = ctx.events;
  registerErrors(app);
  app.addContentTypeParser(["application/toml", "text/plain"], { parseAs: "string" }, (_request, body, done) => done(null, body));
  // Before the role hook: the leader authenticates what is forwarded to it.
  registerWriteForwarding(app, ctx, parts.replicas);
  // Which replica answered (a write forwarded to the leader carries the leader's).
  app.addHook("onSend", async (_request, reply, payload) => { void reply.header("X-Vmctl-Replica", ctx.replicaId); return payload; });
  const auth = new AuthStore(ctx.store);
  registerRoleHook(app, auth);
  await registerOpenApi(app, CENTER_VERSION);
  await app.register(websocket, {
    options: {
      maxPayload: MAX_WS_MESSAGE * 2,
      handleProtocols: (offered) => (offered.has(BINARY_CONSOLE_PROTOCOL) ? BINARY_CONSOLE_PROTOCOL : offered.has(JSON_PROTOCOL) ? JSON_PROTOCOL : offered.has("binary") ? "binary" : false),
    },
  });
  // Idle consoles must never drop: ping every client, end those that stop answering.
  app.addHook("onReady", async () => {
    const timer = setInterval(() => {
      for (const client of app.websocketServer.clients) {
        const alive = client as typeof client & { vmctlAlive?: boolean };
        if (alive.vmctlAlive === false) { client.terminate(); continue; }
        alive.vmctlAlive = false;
        client.ping();
      }
    }, 30_000);
    timer.unref();
    app.websocketServer.on("connection", (client) => {
      const alive = client as typeof client & { vmctlAlive?: boolean };
      alive.vmctlAlive = true;
      client.on("pong", () => { alive.vmctlAlive = true; });
    });
    app.addHook("onClose", async () => clearInterval(timer));
  });
  registerAuthRoutes(app, auth);
  registerTaskRoutes(app, ctx, tasks);
  registerEventRoutes(app, ctx, events);
  const { $id: _id, ...clusterInfo } = ClusterInfoSchema;
  app.get("/api/v1/cluster", {
    config: { role: "public" },
    schema: { summary: "The cluster: its id, the leading replica and the live ones (a plain host answers 404 here)", response: responses({ 200: clusterInfo }) },
  }, async () => {
    const replicas = await parts.replicas().catch(() => [] as ReplicaRecord[]);
    const urls = [...new Set([ctx.url, ...replicas.map((r) => r.url)])].sort();
    return { clusterId: ctx.clusterId, leader: ctx.leaderUrl(), replica: ctx.replicaId, replicas: urls, version: CENTER_VERSION };
  });
  await registerUi(app);
}
