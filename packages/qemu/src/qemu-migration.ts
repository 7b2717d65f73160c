// Live migration of a running QEMU to another host's QEMU over TCP (VmMigration of vm-driver.ts).
// Source: capabilities and parameters, `migrate` to the target's uri, progress from query-migrate
// until completed (downtime, total time, bytes from its figures), or failed/cancelled. Target: a
// QEMU started with -incoming defer listens (migrate-incoming, port 0: QEMU picks a free port and
// reports it), then waits for the stream to complete; the caller resumes the guest.
import { VmctlError } from "@vmctl/api-types";
import { QmpError, qmpCommands as qmp, type InetSocketAddress, type MigrationInfo } from "@vmctl/qmp";
import type { QemuProcess } from "./qemu-process.js";
import type { MigrationOutcome, MigrationProgress, MigrationSendOptions, VmMigration } from "./vm-driver.js";

/** How often query-migrate is asked while a stream runs. */
const POLL_MS = 100;
/** QEMU 7.2 caps a migration at 32 MiB/s unless told otherwise: loopback and LANs take far more. */
const UNLIMITED_BANDWIDTH = 2 ** 40;
/** How long a target waits for the source to connect before the incoming QEMU is given up. */
export const INCOMING_CONNECT_TIMEOUT_MS = 10 * 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The percentage of RAM sent so far (99 at most until QEMU says completed). */
function progressOf(info: MigrationInfo): MigrationProgress | undefined {
  const ram = info.ram;
  if (!ram || ram.total <= 0) return undefined;
  const sent = ram.total - ram.remaining;
  return {
    percent: Math.max(0, Math.min(99, (sent / ram.total) * 100)),
    transferred: ram.transferred, remaining: ram.remaining, total: ram.total,
    ...(ram.mbps !== undefined ? { mbps: ram.mbps } : {}),
  };
}

export class QemuMigration implements VmMigration {
  constructor(private readonly proc: QemuProcess) {}

  async send(options: MigrationSendOptions, onProgress: (progress: MigrationProgress) => void = () => {}): Promise<MigrationOutcome> {
    if (!/^tcp:[A-Za-z0-9.-]+:\d{1,5}$/.test(options.uri)) throw new VmctlError("bad_request", `uri: "${options.uri}" is not tcp:<host>:<port>`, { field: "uri" });
    await qmp.migrateSetCapabilities(this.proc.qmp, { events: true, "pause-before-switchover": false });
    await qmp.migrateSetParameters(this.proc.qmp, {
      "max-bandwidth": options.maxBandwidth ?? UNLIMITED_BANDWIDTH,
      "downtime-limit": options.downtimeLimitMs ?? 300,
    });
    const cancel = () => { void this.cancel().catch(() => {}); };
    options.signal?.addEventListener("abort", cancel, { once: true });
    try {
      if (options.signal?.aborted) throw new VmctlError("vm_wrong_state", "the migration was cancelled before it began");
      const began = Date.now();
      await qmp.migrate(this.proc.qmp, options.uri);
      for (;;) {
        const info = await this.query("sending the VM");
        switch (info.status) {
          case "completed":
            return {
              downtimeMs: info.downtime ?? 0,
              // QEMU may leave total-time out of a completed answer (seen once in a test): our own clock then.
              totalMs: info["total-time"] || Math.max(1, Date.now() - began),
              bytes: info.ram?.transferred ?? 0,
            };
          case "failed":
            throw new VmctlError("qemu_failed", `the migration failed: ${info["error-desc"] ?? "QEMU gave no reason"}`);
          case "cancelled":
            throw new MigrationCancelled();
          default: {
            const progress = progressOf(info);
            if (progress) onProgress(progress);
          }
        }
        await sleep(POLL_MS);
      }
    } finally {
      options.signal?.removeEventListener("abort", cancel);
    }
  }

  async cancel(): Promise<void> {
    await qmp.migrateCancel(this.proc.qmp);
  }

  async listen(address: string): Promise<{ uri: string }> {
    if (!/^[A-Za-z0-9.-]+$/.test(address)) throw new VmctlError("bad_request", `migration address "${address}" is not a host name or IPv4 address`);
    await qmp.migrateSetCapabilities(this.proc.qmp, { events: true });
    await qmp.migrateIncoming(this.proc.qmp, `tcp:${address}:0`);
    const info = await qmp.queryMigrate(this.proc.qmp);
    const inet = info["socket-address"]?.find((a): a is InetSocketAddress => a.type === "inet");
    if (!inet) throw new VmctlError("qemu_failed", "QEMU listens for the incoming migration but did not say on which port (query-migrate has no socket-address)");
    return { uri: `tcp:${address}:${inet.port}` };
  }

  async receive(onProgress: (progress: MigrationProgress) => void = () => {}, signal?: AbortSignal): Promise<void> {
    const waitingSince = Date.now();
    for (;;) {
      if (signal?.aborted) throw new MigrationCancelled();
      // The target's QEMU ends on a stream that breaks (a cancel on the source, a failure): its exit is the answer.
      if (this.proc.qmp.isClosed) throw new VmctlError("qemu_failed", "the incoming QEMU ended before the migration completed (the source cancelled, or the stream failed; its qemu.log says which)");
      let info: MigrationInfo;
      try {
        info = await qmp.queryMigrate(this.proc.qmp);
      } catch (error) {
        if (error instanceof QmpError && (error.kind === "closed" || error.kind === "timeout")) continue;
        throw error;
      }
      if (info.status === "completed") return;
      if (info.status === "failed") throw new VmctlError("qemu_failed", `the incoming migration failed: ${info["error-desc"] ?? "QEMU gave no reason"}`);
      if (info.status === "cancelled") throw new MigrationCancelled();
      if ((info.status === undefined || info.status === "none" || info.status === "setup") && Date.now() - waitingSince > INCOMING_CONNECT_TIMEOUT_MS) {
        throw new VmctlError("timeout", `no source connected within ${INCOMING_CONNECT_TIMEOUT_MS / 60_000} minutes`);
      }
      const progress = progressOf(info);
      if (progress) onProgress(progress);
      await sleep(POLL_MS);
    }
  }

  private async query(what: string): Promise<MigrationInfo> {
    try {
      return await qmp.queryMigrate(this.proc.qmp);
    } catch (error) {
      if (error instanceof QmpError && error.kind === "closed") throw new VmctlError("qemu_failed", `${what}: QEMU ended during the migration`);
      throw error;
    }
  }
}

/** A migration stopped by migrate_cancel (the source's guest runs on). */
export class MigrationCancelled extends Error {
  override readonly name = "MigrationCancelled";
  constructor() { super("the migration was cancelled"); }
}
