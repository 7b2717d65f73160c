#!/usr/bin/env node
// vmctld: the host daemon. `vmctld [--home DIR] [--listen HOST:PORT] [--join URL --join-token T
// [--join-ca FILE]] [--host-name NAME]`; data under $VMCTL_HOME.
import { mkdir, readFile, writeFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getHeapStatistics } from "node:v8";
import pino from "pino";
import { loadHostConfig, defaultHome } from "./config/host-config.js";
import { Host } from "./host.js";
import { closeInheritedDescriptors } from "./domain/host-sandbox.js";
import { warmCompilers } from "./api/lazy-compilers.js";
import { buildApp, listen } from "./server.js";
import { loadOrCreateTls } from "./security/tls.js";
import { LOG_REDACTION } from "./security/log-redaction.js";
import { passwordCheckStats } from "./security/passwords.js";
import type { Agent } from "@vmctl/center";
import { defaultHostName, fence, joinCluster, prepareCluster, readClusterConfig, startHostAgent, type ClusterSide } from "./cluster/index.js";
import { HOST_NAME_PATTERN } from "./cluster/cluster-config.js";

/** The host part of this host's API URL: the listen address, or the host name when it listens on all. */
function apiHost(listenHost: string): string {
  if (listenHost === "0.0.0.0" || listenHost === "::") return hostname();
  return listenHost.includes(":") ? `[${listenHost}]` : listenHost;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      home: { type: "string" }, listen: { type: "string" }, help: { type: "boolean", short: "h" },
      join: { type: "string" }, "join-token": { type: "string" }, "join-ca": { type: "string" }, "host-name": { type: "string" },
    },
  });
  if (values.help) {
    process.stdout.write([
      "usage: vmctld [--home DIR] [--listen 127.0.0.1:8443] [--join https://CENTER:PORT --join-token T [--join-ca FILE]] [--host-name NAME]",
      "  data and settings live in --home, $VMCTL_HOME, /var/lib/vmctl (root) or ~/.local/share/vmctl",
      "  --join joins a vmcenter cluster (kept in $VMCTL_HOME/cluster.json; later starts need no token)",
      "",
    ].join("\n"));
    return;
  }
  if (values.join !== undefined && !values["join-token"]) throw new Error("--join needs --join-token T (the cluster's join token, in vmcenter's initial-admin.json)");
  if (values.join === undefined && (values["join-token"] !== undefined || values["join-ca"] !== undefined)) throw new Error("--join-token and --join-ca go with --join URL");
  if (values["host-name"] !== undefined && !new RegExp(HOST_NAME_PATTERN).test(values["host-name"])) throw new Error(`--host-name: "${values["host-name"]}" is not a host name; use letters, digits, "-", "_" and ".", e.g. "node1"`);
  // Nothing vmctld makes is readable by others unless it says so: the database, keys and tokens
  // sit in a home the QEMU user may traverse; VM files get their owner and mode explicitly.
  process.umask(0o077);
  closeInheritedDescriptors();
  const home = values.home ?? defaultHome();
  await mkdir(home, { recursive: true, mode: 0o700 });
  const config = await loadHostConfig(home, values.listen ? { listen: values.listen } : {});
  const logger = pino({ level: config.logLevel, base: { pid: process.pid }, ...LOG_REDACTION });
  const host = new Host(config, logger);
  // A joined host: cluster tokens, the fence and the agent (cluster/index.ts), around the usual start.
  let membership = readClusterConfig(home);
  const hostName = values["host-name"] ?? membership?.hostName ?? defaultHostName();
  let side: ClusterSide | undefined = membership ? await prepareCluster(host, membership, hostName, logger) : undefined;
  await host.start();
  if (side) await fence(host, side, logger);
  const app = await buildApp(host, logger);
  const tls = await loadOrCreateTls(home, config.tls);
  if (tls.generated) logger.info({ fingerprint: tls.fingerprint }, "generated a self-signed certificate in tls/");
  const listening = await listen(app, config.socketPath, config.listen, tls);
  const url = `https://${apiHost(config.listen.host)}:${listening.port}`;
  let agent: Agent | undefined;
  const pidfile = join(home, "vmctld.pid");
  // Handled from the moment the socket can answer: a client that saw an answer and sends SIGTERM
  // gets the clean stop (networks taken down), not Node's default exit.
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "vmctld stopping; VMs keep running and are re-attached at the next start");
    await agent?.stop().catch(() => {});
    side?.store.close();
    await listening.close().catch(() => {});
    await host.stopNetworks().catch((error: unknown) => logger.warn({ err: error }, "could not take the networks down"));
    host.close();
    await rm(pidfile, { force: true });
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  await writeFile(join(home, "tls-fingerprint"), `${tls.fingerprint}\n`);
  await writeFile(pidfile, `${process.pid}\n`);
  await writeFile(join(home, "vmctld.port"), `${listening.port}\n`);
  // Join and the agent once the port file names this vmctld's port (a reader of it never meets the last one's).
  if (values.join !== undefined) {
    const joinCa = values["join-ca"] === undefined ? undefined : await readFile(values["join-ca"], "utf8");
    const joining = joinCluster(home, {
      url: values.join, joinToken: values["join-token"]!, ...(joinCa ? { ca: joinCa } : {}),
      host: { id: host.hostId, name: hostName, url, certPem: tls.cert.toString() },
    });
    // Joined before: a vmcenter that does not answer now leaves the host in the cluster it knows.
    membership = side ? await joining.catch((error: unknown) => {
      logger.warn({ err: (error as Error).message }, "could not join again; staying in the cluster of cluster.json");
      return membership;
    }) : await joining;
    logger.info({ cluster: membership!.clusterId, via: membership!.joinedVia }, "joined the cluster");
    if (!side) {
      side = await prepareCluster(host, membership!, hostName, logger);
      await fence(host, side, logger);
    }
  }
  if (side) agent = await startHostAgent(host, side, url, tls.cert.toString(), logger);
  logger.info({ socket: config.socketPath, listen: `https://${config.listen.host}:${listening.port}`, fingerprint: tls.fingerprint, home }, "vmctld ready");
  // The schemas no request has used yet compile now, a little at a time; one that cannot is a bug that ends vmctld.
  void warmCompilers().catch((error: unknown) => {
    logger.fatal({ err: error }, "a route schema does not compile");
    process.exit(1);
  });
  // Diagnostics: SIGUSR2 writes vmctld's memory use (after a full GC when run with --expose-gc) and
  // how many password checks it has run (the login brute-force test counts them).
  process.on("SIGUSR2", () => {
    (globalThis as { gc?: () => void }).gc?.();
    void writeFile(join(home, "vmctld-memory.json"), `${JSON.stringify({ time: new Date().toISOString(), ...process.memoryUsage(), v8: getHeapStatistics(), passwords: passwordCheckStats() })}\n`);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`vmctld: ${(error as Error).message}\n`);
  process.exit(1);
});
