// Following a host task from a cluster task: record it as a child, copy its progress into a slice
// of the cluster task's, cancel it when the cluster task is cancelled, and wait for an observation.
import { VmctlError, type ErrorCode, type Task } from "@vmctl/api-types";
import type { VmctlClient } from "@vmctl/client";
import { keys, type ObservedVm } from "../cluster-keys.js";
import type { CenterContext, ClusterTaskContext } from "../center-context.js";

const ENDED = new Set(["success", "error", "cancelled"]);
const MIN_POLL_MS = 200;

export function isTask(value: unknown): value is Task {
  const v = value as Partial<Task> | null;
  return typeof v === "object" && v !== null && typeof v.id === "string" && typeof v.op === "string" && typeof v.state === "string" && Array.isArray(v.log);
}

/**
 * Waits for a host task to end, copying its progress into [from, to] of the cluster task's. A
 * cancelled cluster task cancels the host task (and still waits for it to end). Throws when the
 * host task did not succeed, with its error.
 */
export async function followHostTask(client: VmctlClient, task: Task, tctx: ClusterTaskContext, range: { from: number; to: number }, onProgress?: (t: Task) => void): Promise<Task> {
  tctx.child(task.id);
  let current = task;
  let cancelAsked = false;
  let failures = 0;
  while (!ENDED.has(current.state)) {
    if (tctx.signal.aborted && !cancelAsked) {
      cancelAsked = true;
      tctx.log(`cancelling host task ${task.id}`);
      await client.cancelTask(task.id).catch((error: unknown) => tctx.log(`cancelling host task ${task.id} failed: ${(error as Error).message}`));
    }
    const asked = Date.now();
    try {
      current = await client.getTask(task.id, 1);
      failures = 0;
      // A host that answers at once (no long poll) is asked again a little later, not in a tight loop.
      const early = MIN_POLL_MS - (Date.now() - asked);
      if (early > 0 && !ENDED.has(current.state)) await new Promise((resolve) => setTimeout(resolve, early));
    } catch (error) {
      if (++failures >= 10) throw new VmctlError("host_unreachable", `host task ${task.id} could not be read 10 times in a row: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    tctx.progress(range.from + ((range.to - range.from) * Math.max(0, Math.min(100, current.progress))) / 100);
    onProgress?.(current);
  }
  if (current.state !== "success") {
    const code = (current.error?.code ?? (current.state === "cancelled" ? "task_not_cancellable" : "internal")) as ErrorCode;
    const message = current.state === "cancelled" ? `host task ${task.id} was cancelled` : `host task ${task.id} (${current.op}) failed: ${current.error?.message ?? "no reason given"}`;
    throw new VmctlError(current.state === "cancelled" ? "internal" : code, message, { task: task.id });
  }
  return current;
}

/** Resolves with the VM's observed record once `host` reports it (in `states` when given), or throws timeout. */
export async function waitObserved(ctx: CenterContext, uuid: string, host: string, seconds: number, signal: AbortSignal, states?: readonly string[]): Promise<ObservedVm> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const observed = await ctx.store.get<ObservedVm>(keys.observed(uuid));
    if (observed && observed.value.host === host && (!states || states.includes(observed.value.summary.state))) return observed.value;
    if (signal.aborted) throw new VmctlError("internal", "cancelled while waiting for the host to report the VM");
    if (Date.now() > deadline) {
      const seen = observed ? `${observed.value.host} reports it ${observed.value.summary.state}` : "no host reports it";
      throw new VmctlError("timeout", `host ${host} did not report the VM${states ? ` ${states.join(" or ")}` : ""} within ${seconds} s (${seen})`, { uuid, host });
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
