// Bulk power from the inventory: each VM is asked for the state it should end in (PUT
// /api/v1/vms/NAME/state), so one already there counts as done (skipped) and not as a failure, and the
// message says what happened to each: "Started 1 VM; 1 was already running",
// "Could not stop 1 of 3 VMs: web02: …". Pure: the requests come in as `BulkApi`.
import type { DesiredState, DesiredStateResult } from "@vmctl/api-types";

export type BulkAction = "start" | "stop";

export interface BulkOutcome {
  name: string;
  /** done: the task got it there; skipped: it was there already; failed: refused, or its task failed. */
  result: "done" | "skipped" | "failed";
  error?: string;
}

/** How a task ended, as the events stream or GET /tasks/ID tells it. */
export interface TaskEnd { state: string; error?: { message: string } | null }

export interface BulkApi {
  desired: (name: string, state: DesiredState) => Promise<DesiredStateResult>;
  /** Resolves when the task has ended. */
  ended: (task: { id: string; state: string; error?: { message: string } | null }) => Promise<TaskEnd>;
}

export interface BulkMessage { variant: "success" | "info" | "warning" | "danger"; title: string; detail?: string }

const WORDS = {
  start: { desired: "running", verb: "start", past: "Started", ing: "Starting", there: "running" },
  stop: { desired: "stopped", verb: "stop", past: "Stopped", ing: "Stopping", there: "stopped" },
} as const satisfies Record<BulkAction, { desired: DesiredState; verb: string; past: string; ing: string; there: string }>;

const vms = (n: number) => `${n} VM${n === 1 ? "" : "s"}`;
const were = (n: number) => (n === 1 ? "was" : "were");

/** Asks for every VM at once; answers each VM's outcome, in the order of `names`. */
export async function runBulk(names: string[], action: BulkAction, api: BulkApi): Promise<BulkOutcome[]> {
  return Promise.all(names.map(async (name): Promise<BulkOutcome> => {
    try {
      const answer = await api.desired(name, WORDS[action].desired);
      if (!answer.changed) return { name, result: "skipped" };
      const end = await api.ended(answer.task);
      if (end.state === "success") return { name, result: "done" };
      return { name, result: "failed", error: end.error?.message ?? (end.state === "cancelled" ? "its task was cancelled" : "its task failed; its log says why") };
    } catch (error) {
      return { name, result: "failed", error: (error as Error).message };
    }
  }));
}

/** While it runs: "Starting 3 VMs…". */
export const bulkProgress = (action: BulkAction, count: number): BulkMessage => ({ variant: "info", title: `${WORDS[action].ing} ${vms(count)}…` });

/** What happened, counted right. */
export function bulkMessage(action: BulkAction, outcomes: BulkOutcome[]): BulkMessage {
  const w = WORDS[action];
  if (!outcomes.length) return { variant: "info", title: `No VM to ${w.verb}` };
  const done = outcomes.filter((o) => o.result === "done").length;
  const skipped = outcomes.filter((o) => o.result === "skipped").length;
  const failed = outcomes.filter((o) => o.result === "failed");
  const rest = [done ? `${w.past} ${vms(done)}` : "", skipped ? `${skipped} ${were(skipped)} already ${w.there}` : ""].filter(Boolean).join("; ");
  if (failed.length) {
    const why = failed.map((o) => `${o.name}: ${o.error ?? "failed"}`).join("; ");
    return { variant: done || skipped ? "warning" : "danger", title: `Could not ${w.verb} ${failed.length} of ${vms(outcomes.length)}: ${why}`, ...(rest ? { detail: `${rest}.` } : {}) };
  }
  if (!done && skipped === 1 && outcomes.length === 1) return { variant: "info", title: `${outcomes[0]!.name} was already ${w.there}` };
  if (!done) return { variant: "info", title: `Nothing to ${w.verb}: ${skipped === 2 ? "both" : `all ${skipped}`} VMs were already ${w.there}` };
  return { variant: "success", title: rest };
}
