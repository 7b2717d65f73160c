// The source side of a live migration (POST /api/v1/vms/{name}/migrate-out): a task in the VM's
// exclusive section moves it to `migrating`, streams it to the target's uri with progress, and on
// completion ends its QEMU here (an expected exit, no crash), hands the folder to the target (its
// owner file) and lets the VM go from this host. A cancel (DELETE /tasks/{id}) or a failed stream
// leaves it running (or paused) here, as it was.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { VmctlError, type MigrateOutRequest, type MigrationResult, type Task, type VmState } from "@vmctl/api-types";
import { MigrationCancelled, type VmHandle } from "@vmctl/qemu";
import { readOwner, writeOwner } from "../cluster/vm-ownership.js";
import type { Datastores } from "./datastores.js";
import type { EventLog } from "./event-log.js";
import type { Inventory } from "./inventory.js";
import type { VmLifecycle } from "./vm-lifecycle.js";
import type { RuntimeTable } from "./vm-runtime.js";
import { TaskCancelled, type TaskContext, type TaskManager } from "./task-manager.js";
import { assertLiveMigratable } from "./vm-migration-checks.js";

export interface MigrateOutDeps {
  hostId: string;
  inventory: Inventory;
  datastores: Datastores;
  runtimes: RuntimeTable;
  lifecycle: VmLifecycle;
  tasks: TaskManager;
  events: EventLog;
  log: Logger;
}

/** How long the source waits for the target to write itself into the owner file before writing it for it. */
const OWNER_HANDOVER_MS = 5000;

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export class MigrateOut {
  constructor(private readonly deps: MigrateOutDeps) {}

  /** Checks what can be checked at once (409/400), then queues the task in the VM's section. */
  request(name: string, request: MigrateOutRequest, user: string): Task {
    const { inventory, lifecycle, datastores, hostId } = this.deps;
    const entry = inventory.get(name);
    const def = inventory.definition(name);
    lifecycle.assertMigratable(name);
    if (request.targetHost === hostId) throw new VmctlError("bad_request", `targetHost: "${request.targetHost}" is this host; name the host the VM moves to (its id, GET /api/v1/host there)`, { field: "targetHost" });
    assertLiveMigratable(name, def, entry.datastore, datastores);
    if (!this.deps.runtimes.get(name).process?.migration) throw new VmctlError("migration_incompatible", `VM "${name}" runs on a backend that cannot migrate live; stop it and migrate it cold`);
    return this.deps.tasks.run("vm.migrate_out", `vm/${name}`, user, (ctx) => lifecycle.migrate(name, async () => {
      ctx.begin();
      await this.run(name, request, ctx);
    }), { queued: true });
  }

  private async run(name: string, request: MigrateOutRequest, ctx: TaskContext): Promise<void> {
    const { runtimes, lifecycle, inventory } = this.deps;
    const rt = runtimes.get(name);
    const proc = rt.process;
    const migration = proc?.migration;
    if (!proc || !migration) throw new VmctlError("vm_wrong_state", `VM "${name}" has no running QEMU`);
    const before = rt.state as Extract<VmState, "running" | "paused">;
    const entry = inventory.get(name);
    lifecycle.transition(name, "migrating", { reason: `live migration to host ${request.targetHost}` });
    ctx.log(`streaming "${name}" to ${request.uri} (host ${request.targetHost})${request.maxBandwidth ? `, at most ${mib(request.maxBandwidth)}/s` : ""}`);
    let lastLogged = -10;
    let outcome;
    try {
      outcome = await migration.send({
        uri: request.uri, signal: ctx.signal,
        ...(request.maxBandwidth !== undefined ? { maxBandwidth: request.maxBandwidth } : {}),
        ...(request.downtimeLimitMs !== undefined ? { downtimeLimitMs: request.downtimeLimitMs } : {}),
      }, (progress) => {
        ctx.progress(progress.percent);
        if (progress.percent - lastLogged >= 25) {
          lastLogged = progress.percent;
          ctx.log(`RAM ${mib(progress.total - progress.remaining)} of ${mib(progress.total)} sent (${mib(progress.transferred)} on the wire)`);
        }
      });
    } catch (error) {
      await this.stayHere(name, proc, before, error);
      if (error instanceof MigrationCancelled || ctx.signal.aborted) throw new TaskCancelled();
      throw error;
    }
    const result: MigrationResult = { downtimeMs: outcome.downtimeMs, bytes: outcome.bytes, totalMs: outcome.totalMs };
    ctx.log(`migration completed: ${mib(result.bytes)} sent in ${(result.totalMs / 1000).toFixed(2)} s, guest paused ${result.downtimeMs} ms at switch-over`);
    ctx.result(result);
    // Named with its uuid: the target may already have taken the folder over, and a scan here dropped the entry.
    this.deps.events.record("vm.migrated", { name, uuid: entry.def?.uuid }, { direction: "out", peerHost: request.targetHost, ...result });
    // The target runs the guest now: this QEMU (paused for good) ends as a stop, never a crash.
    rt.stopping = true;
    lifecycle.transition(name, "stopped", { reason: `migrated to host ${request.targetHost}` });
    await proc.forceStop();
    while (rt.process === proc) await sleep(5);
    await rt.filesReturned;
    await this.handOver(name, entry.dir, entry.datastore, request.targetHost, ctx);
    inventory.forget(name);
    runtimes.forget(name);
    ctx.log(`QEMU ended here; "${name}" now belongs to host ${request.targetHost}`);
  }

  /** A stream that did not complete: the VM is here still, as it was (QEMU resumes a guest it had been running). */
  private async stayHere(name: string, proc: VmHandle, before: "running" | "paused", error: unknown): Promise<void> {
    const rt = this.deps.runtimes.get(name);
    if (rt.process !== proc) return; // QEMU ended meanwhile: its exit moved the VM already
    const status = await proc.status().catch(() => undefined);
    const now = status === "running" ? "running" : status === undefined ? before : "paused";
    const why = error instanceof MigrationCancelled ? "the migration was cancelled" : `the migration failed: ${(error as Error).message}`;
    this.deps.lifecycle.transition(name, now, { reason: `${why}; the VM stays on this host` });
  }

  /** Waits for the target to write itself as the owner; writes it for it if it has not (the stream completed, so it runs the VM). */
  private async handOver(name: string, dir: string, datastore: string, target: string, ctx: TaskContext): Promise<void> {
    if (!this.deps.datastores.isShared(datastore)) return;
    const deadline = Date.now() + OWNER_HANDOVER_MS;
    while (readOwner(dir) === this.deps.hostId && Date.now() < deadline) await sleep(100);
    if (readOwner(dir) !== this.deps.hostId) return;
    writeOwner(dir, target);
    ctx.log(`the target had not taken "${name}"'s folder over yet: its owner file now names host ${target}`);
    this.deps.log.warn({ vm: name, target }, "wrote the migrated VM's owner file for the target");
  }
}
