#!/usr/bin/env node
// vmctld: the host daemon. `vmctld [--home DIR] [--listen HOST:PORT]`; data under $VMCTL_HOME.
import { mkdir, writeFile, rm } from "node:fs/promises";
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

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { home: { type: "string" }, listen: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write("usage: vmctld [--home DIR] [--listen 127.0.0.1:8443]\n  data and settings live in --home, $VMCTL_HOME, /var/lib/vmctl (root) or ~/.local/share/vmctl\n");
    return;
  }
  // Nothing vmctld makes is readable by others unless it says so: the database, keys and tokens
  // sit in a home the QEMU user may traverse; VM files get their owner and mode explicitly.
  process.umask(0o077);
  closeInheritedDescriptors();
  const home = values.home ?? defaultHome();
  await mkdir(home, { recursive: true, mode: 0o700 });
  const config = await loadHostConfig(home, values.listen ? { listen: values.listen } : {});
  const logger = pino({ level: config.logLevel, base: { pid: process.pid }, ...LOG_REDACTION });
  const host = new Host(config, logger);
  await host.start();
  const app = await buildApp(host, logger);
  const tls = await loadOrCreateTls(home, config.tls);
  if (tls.generated) logger.info({ fingerprint: tls.fingerprint }, "generated a self-signed certificate in tls/");
  const listening = await listen(app, config.socketPath, config.listen, tls);
  const pidfile = join(home, "vmctld.pid");
  // Handled from the moment the socket can answer: a client that saw an answer and sends SIGTERM
  // gets the clean stop (networks taken down), not Node's default exit.
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "vmctld stopping; VMs keep running and are re-attached at the next start");
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
