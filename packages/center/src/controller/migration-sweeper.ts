// A migration mark (desired.migration) whose task is no longer running — the leader that ran it
// died, or it ended without clearing the mark — is resolved by the leader: the VM belongs to the
// host that reports it (the target when the stream completed, the source otherwise), and the
// agents take it from there.
import { keys, type DesiredVm, type ObservedVm } from "../cluster-keys.js";
import type { CenterContext } from "../center-context.js";
import { writeDesired } from "./cluster-state.js";

const ENDED = new Set(["success", "error", "cancelled"]);

/** Where a VM with a stale mark belongs: the mark's target when that host reports it, else the source. Pure. */
export function resolveStale(desired: DesiredVm, observed: ObservedVm | null): string {
  const mark = desired.migration;
  if (!mark) return desired.host;
  return observed && observed.host === mark.to ? mark.to : mark.from;
}

export async function sweepStaleMigrations(ctx: CenterContext): Promise<void> {
  const records = await ctx.store.list<DesiredVm>(keys.vms());
  for (const { key, value } of records) {
    if (!key.endsWith("/desired") || !value.migration) continue;
    const task = await ctx.tasks.get(value.migration.task);
    if (task && !ENDED.has(task.state)) continue;
    const observed = (await ctx.store.get<ObservedVm>(keys.observed(value.uuid)))?.value ?? null;
    const host = resolveStale(value, observed);
    await writeDesired(ctx, value.uuid, (current) => (current?.migration?.task === value.migration!.task
      ? { ...current, host, migration: null, reason: `migration task ${value.migration!.task} ended without finishing: ${host === value.migration!.to ? "the target reports the VM; it stays there" : "the VM stays on the source"}` }
      : undefined));
    ctx.logger.warn({ vm: value.name, host }, "cleared a stale migration mark");
  }
}
