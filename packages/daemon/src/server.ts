// vmctld's HTTP side: one Fastify app served on the unix socket (mode 0600, the root-only way in) and
// on loopback TCP; the TCP server hands its requests and upgrades to the same app.
import { createServer, type Server } from "node:https";
import { chmod, rm } from "node:fs/promises";
import { connect } from "node:net";
import type { TLSSocket } from "node:tls";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifySchema } from "fastify";
import websocket from "@fastify/websocket";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Logger } from "pino";
import type { Host } from "./host.js";
import { VmctlError } from "@vmctl/api-types";
import { registerErrorHandling, toErrorBody } from "./api/errors.js";
import { registerVmRoutes } from "./api/vms.js";
import { registerPowerRoutes } from "./api/vm-power.js";
import { registerTaskRoutes } from "./api/tasks.js";
import { registerEventRoutes } from "./api/events.js";
import { registerConsoleRoutes } from "./api/vm-console.js";
import { registerHostRoutes } from "./api/host-info.js";
import { registerHostClient } from "./api/host-client.js";
import { registerMonitorRoutes } from "./api/vm-monitor.js";
import { registerDisplayRoutes } from "./api/vm-display.js";
import { registerGuestRoutes } from "./api/vm-guest.js";
import { registerVncRoutes } from "./api/vm-vnc.js";
import { registerDatastoreRoutes } from "./api/datastores.js";
import { registerNetworkRoutes } from "./api/networks.js";
import { registerPortForwardRoutes } from "./api/port-forwards.js";
import { registerDatastoreFileRoutes } from "./api/datastore-files.js";
import { registerIsoRoutes } from "./api/isos.js";
import { registerStorageRoutes } from "./api/vm-storage.js";
import { registerNicRoutes } from "./api/vm-nics.js";
import { registerSnapshotRoutes } from "./api/vm-snapshots.js";
import { registerImportRoutes } from "./api/vm-import.js";
import { registerMigrationRoutes } from "./api/vm-migration.js";
import { MAX_WS_MESSAGE, BINARY_CONSOLE_PROTOCOL, JSON_PROTOCOL } from "./api/ws-message.js";
import { registerOpenApi } from "./api/openapi.js";
import { registerAuth } from "./api/auth-hooks.js";
import { registerEventCause } from "./api/request-user.js";
import { limitWebSocketsPerUser } from "./api/ws-connection-limit.js";
import { registerAuthRoutes } from "./api/auth-routes.js";
import type { TlsMaterial } from "./security/tls.js";
import { enforceRequestDeadline } from "./security/request-deadline.js";
import { markLocalConnection } from "./security/local-socket.js";
import { lazySchemaController } from "./api/lazy-compilers.js";

/** `onRoute` hears every route as it is added, with its schema (the route tests walk them). */
export async function buildApp(host: Host, logger: Logger, onRoute?: (method: string, url: string, schema: FastifySchema | undefined) => void): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger, bodyLimit: 1024 * 1024, logController: new LogController({ disableRequestLogging: true }), return503OnClosing: true,
    // An unknown key is refused with its name (400), never silently dropped: Fastify's default
    // removeAdditional would strip it, so `{"forse": true}` would be a plain stop.
    ajv: { customOptions: { removeAdditional: false } },
    // Validators and serializers compile on first use or in the background after the start (lazy-compilers.ts).
    schemaController: lazySchemaController,
    // Path parameters are held to their schemas (a task id's 128 characters, a name's 63), not cut
    // first by the router at 100 with an answer of Fastify's own shape; what the router still
    // refuses (a segment over 256, a broken percent-encoding) answers in vmctld's error body.
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: (error, request, reply) => {
      const path = request.url.split("?")[0]!.slice(0, 200);
      const why = error.code === "FST_ERR_MAX_PARAM_LENGTH" ? "a path segment is longer than 256 characters" : error.code === "FST_ERR_BAD_URL" ? "a path segment is not valid percent-encoding" : error.message;
      const { status, body } = toErrorBody(new VmctlError("bad_request", `${path}: ${why}`));
      void (reply as unknown as FastifyReply).status(status).send(body);
    } }) as unknown as FastifyInstance;
  app.addContentTypeParser(["application/toml", "text/plain"], { parseAs: "string" }, (_request, body, done) => done(null, body));
  registerErrorHandling(app, () => [
    { path: host.config.home, shownAs: "(vmctld home)/" },
    ...host.datastores.names().map((ds) => ({ path: host.datastores.root(ds), shownAs: "" })),
  ]);
  if (onRoute) app.addHook("onRoute", (route) => { for (const m of [route.method].flat()) onRoute(m, route.url, route.schema); });
  registerAuth(app, host);
  registerEventCause(app); // after registerAuth: events name the user it found
  limitWebSocketsPerUser(app); // after registerAuth: it counts per authenticated user
  await registerOpenApi(app, host.version);
  await app.register(websocket, {
    options: {
      maxPayload: MAX_WS_MESSAGE * 2,
      // The console's binary fast path is chosen by subprotocol; without one, JSON messages.
      // noVNC asks for "binary" on the graphical console.
      handleProtocols: (offered) => (offered.has(BINARY_CONSOLE_PROTOCOL) ? BINARY_CONSOLE_PROTOCOL : offered.has(JSON_PROTOCOL) ? JSON_PROTOCOL : offered.has("binary") ? "binary" : false),
    },
  });
  // Idle consoles must never drop: ping every viewer, and end peers that stop answering.
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
  // The routes see their schemas' types: request.params, .query and .body as validated, answers as declared.
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  registerHostRoutes(api, host);
  await registerHostClient(api);
  registerAuthRoutes(api, host);
  registerVmRoutes(api, host);
  registerPowerRoutes(api, host);
  registerTaskRoutes(api, host);
  registerEventRoutes(api, host);
  registerConsoleRoutes(api, host);
  registerMonitorRoutes(api, host);
  registerDisplayRoutes(api, host);
  registerGuestRoutes(api, host);
  registerVncRoutes(api, host);
  registerDatastoreRoutes(api, host);
  registerNetworkRoutes(api, host);
  registerPortForwardRoutes(api, host);
  await registerDatastoreFileRoutes(api, host);
  registerIsoRoutes(api, host);
  registerStorageRoutes(api, host);
  registerNicRoutes(api, host);
  registerSnapshotRoutes(api, host);
  await registerImportRoutes(api, host);
  registerMigrationRoutes(api, host);
  return app;
}

async function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once("connect", () => { probe.destroy(); resolve(true); });
    probe.once("error", () => resolve(false));
  });
}

/** How long a TCP connection may take to finish its TLS handshake before vmctld closes it. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long a request's headers may take to arrive, the first one's counted from the handshake. */
export const HEADERS_TIMEOUT_MS = 20_000;
/** Open HTTPS connections at most; a connection past it is closed on arrival. */
export const TCP_MAX_CONNECTIONS = 1024;

export interface Listening { app: FastifyInstance; tcp: Server; port: number; close(): Promise<void> }

export async function listen(app: FastifyInstance, socketPath: string, tcp: { host: string; port: number }, tls: TlsMaterial): Promise<Listening> {
  if (await socketInUse(socketPath)) throw new Error(`another vmctld is already listening on ${socketPath}`);
  await rm(socketPath, { force: true });
  // Root is whoever came in on this listener: its connections are marked as they are accepted (the
  // HTTPS server below emits its requests into the same app, unmarked).
  app.server.on("connection", markLocalConnection);
  const previous = process.umask(0o177);
  try {
    await app.listen({ path: socketPath });
  } finally {
    process.umask(previous);
  }
  await chmod(socketPath, 0o600);
  // TCP is HTTPS only: the same app behind TLS, with authentication on every route but login and health.
  // Whoever reaches the port may open connections before any credential is asked: a handshake has
  // 10 s (Node's default is 120 s); then the first request's headers must be in within 20 s (Node
  // times headers only once a request has begun, so a silent connection would stay forever), as
  // each later request's; an idle keep-alive has 5 s; past TCP_MAX_CONNECTIONS open ones (WebSockets
  // included) a new connection is closed at once.
  const firstRequest = new WeakMap<object, NodeJS.Timeout>();
  const server = createServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2", handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS, connectionsCheckingInterval: 5_000 }, (request, response) => {
    clearTimeout(firstRequest.get(request.socket));
    enforceRequestDeadline(request, response);
    app.server.emit("request", request, response);
  });
  server.maxConnections = TCP_MAX_CONNECTIONS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.keepAliveTimeout = 5_000;
  server.on("secureConnection", (socket: TLSSocket) => {
    const timer = setTimeout(() => socket.destroy(), HEADERS_TIMEOUT_MS).unref();
    firstRequest.set(socket, timer);
    socket.once("close", () => clearTimeout(timer));
  });
  // A minute for the whole request, except uploads, which must only keep moving (request-deadline.ts).
  server.requestTimeout = 0;
  server.on("upgrade", (request, socket, head) => {
    clearTimeout(firstRequest.get(socket));
    app.server.emit("upgrade", request, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(tcp.port, tcp.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : tcp.port;
  return {
    app, tcp: server, port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}
