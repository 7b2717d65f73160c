#!/usr/bin/env node
// vmcenter, the cluster controller: one replica of it. Reads (or, at the very first start, makes)
// the cluster in etcd, campaigns for the lead, and serves HTTPS: its own API (login, users, tokens,
// tasks, events, GET /api/v1/cluster), the host join, the cluster API and every host route for the
// VMs of the cluster. SIGTERM or SIGINT resigns the lead (another replica takes it at once) and ends.
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from "fastify";
import pino, { type Logger } from "pino";
import { VmctlError, httpErrorAnswer } from "@vmctl/api-types";
import { ClusterStore } from "./cluster-store.js";
import { TokenSigner } from "./cluster-token.js";
import type { CenterContext } from "./center-context.js";
import { createHostDirectory } from "./host-directory.js";
import { parseArgs, USAGE, UsageError, type CenterArgs } from "./server/args.js";
import { bootstrapCluster, prepareCluster, writeInitialAdmin, writePrivateFile, type Bootstrapped } from "./server/bootstrap.js";
import { centerTls } from "./server/tls.js";
import { CenterElection } from "./server/election.js";
import { EtcdClusterTasks } from "./server/cluster-tasks.js";
import { EtcdClusterEvents } from "./server/cluster-events.js";
import { registerCenterCore, CENTER_VERSION } from "./server/center-app.js";
import { registerJoinRoute } from "./server/join-route.js";
import { registerClusterRoutes } from "./controller/index.js";
import { registerHostProxy } from "./proxy/index.js";

const BOOTSTRAP_TRIES = 30;

/**
 * Reads or makes the cluster, retrying while etcd does not answer; an attempt that hangs (etcd went
 * away mid-call) is given up after 10 s with its connection, and the next one connects afresh.
 */
async function bootstrapWithRetry(endpoints: string[], logger: Logger): Promise<{ store: ClusterStore; boot: Bootstrapped }> {
  const candidate = await prepareCluster();
  for (let attempt = 1; ; attempt++) {
    const store = new ClusterStore({ endpoints });
    let timer: NodeJS.Timeout | undefined;
    try {
      const boot = await Promise.race([
        bootstrapCluster(store, candidate),
        new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error("etcd did not answer within 10 s")), 10_000); }),
      ]);
      return { store, boot };
    } catch (error) {
      store.close();
      if (attempt >= BOOTSTRAP_TRIES) throw error;
      logger.warn({ err: error, attempt }, "etcd does not answer yet; retrying in a second");
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      clearTimeout(timer);
    }
  }
}

function buildApp(logger: Logger, tls: { cert: string; key: string }): FastifyInstance {
  return Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    https: { cert: tls.cert, key: tls.key },
    bodyLimit: 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: (error, request, reply) => {
      const { status, body } = httpErrorAnswer(new VmctlError("bad_request", `${request.url.split("?")[0]!.slice(0, 200)}: ${error.message}`));
      void (reply as unknown as FastifyReply).status(status).send(body);
    },
  }) as unknown as FastifyInstance;
}

async function run(args: CenterArgs): Promise<void> {
  process.umask(0o077);
  mkdirSync(args.home, { recursive: true, mode: 0o700 });
  const logger = pino({ level: process.env.VMCENTER_LOG_LEVEL ?? "info", base: { pid: process.pid, name: "vmcenter" }, redact: { paths: ["req.headers.authorization", "req.headers.cookie", "password", "token", "joinToken"], censor: "[redacted]" } }, pino.destination(2));
  const { store, boot: { cluster, signingKey, initialAdmin } } = await bootstrapWithRetry(args.etcd, logger);
  if (initialAdmin) {
    const path = await writeInitialAdmin(args.home, initialAdmin);
    logger.info({ file: path, clusterId: cluster.clusterId }, "made a new cluster: the admin's password, an API token and the join token are in this file");
  }
  const tls = await centerTls(args.home, args.tlsCert && args.tlsKey ? { cert: args.tlsCert, key: args.tlsKey } : undefined);
  const hostCa = args.hostCa ? await readFile(args.hostCa, "utf8") : undefined;
  const signer = new TokenSigner(signingKey, cluster.clusterId);
  const app = buildApp(logger, tls);
  const replicaId = randomUUID();

  // The URL is known once listening (port 0): the parts that need it read it from the context.
  const election = new CenterElection({ store, logger, onLeadership: (leading) => tasks.leadershipChanged(leading) });
  const tasks: EtcdClusterTasks = new EtcdClusterTasks({
    store, clusterId: cluster.clusterId, replicaId, logger,
    isLeader: () => election.isLeader(),
    liveReplicas: () => election.liveReplicas(),
    events: () => events,
  });
  const events = new EtcdClusterEvents(store, cluster.clusterId, logger);
  const ctx: CenterContext = {
    clusterId: cluster.clusterId, replicaId, url: args.url ?? "", store, signer, logger, tasks, events,
    hosts: createHostDirectory({ store, signer, ...(hostCa ? { hostCa } : {}), logger }),
    isLeader: () => election.isLeader(),
    leaderUrl: () => election.leaderUrl(),
    settings: { haGraceSeconds: args.haGraceSeconds },
  };
  await registerCenterCore(app, ctx, { replicas: () => election.replicas() });
  await registerJoinRoute(app, ctx, { etcdEndpoints: args.etcd });
  await registerClusterRoutes(app, ctx);
  await registerHostProxy(app, ctx);
  await app.listen({ host: args.listenHost, port: args.listenPort });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : args.listenPort;
  ctx.url = args.url ?? `https://${args.listenHost.includes(":") ? `[${args.listenHost}]` : args.listenHost}:${port}`;
  await tasks.open();
  await events.open();
  await election.start({ id: replicaId, url: ctx.url, certPem: tls.cert, startedAt: new Date().toISOString(), version: CENTER_VERSION });
  await writePrivateFile(join(args.home, "vmcenter.pid"), `${process.pid}\n`);
  await writePrivateFile(join(args.home, "vmcenter.port"), `${port}\n`);
  logger.info({ url: ctx.url, replica: replicaId, clusterId: cluster.clusterId, fingerprint: tls.fingerprint }, "vmcenter serves");

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping: resigning the lead");
    const force = setTimeout(() => process.exit(0), 10_000);
    force.unref();
    try {
      await election.resign();
      await tasks.close();
      await events.close();
      await app.close();
      store.close();
    } catch (error) {
      logger.warn({ err: error }, "an error while stopping");
    }
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

let parsed: CenterArgs | "help";
try {
  parsed = parseArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`vmcenter: ${error.message}\n`);
  process.exit(2);
}
if (parsed === "help") {
  process.stdout.write(USAGE);
  process.exit(0);
}
run(parsed).catch((error: unknown) => {
  process.stderr.write(`vmcenter: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
