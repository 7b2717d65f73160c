// Following tasks to their end for a person: each task's log lines on stderr as they come and, on a
// terminal, one line of progress for all of them; stdout is left for the result.
import type { ClusterTask, Task } from "@vmctl/api-types";
import type { VmctlClient } from "@vmctl/client";
import { CliError, statusLine } from "./output.js";

export interface Followed { label: string; task: Task }

/** Task log lines start with their ISO time; a person following along sees them as they come. */
const LOG_TIME = /^\d{4}-\d\d-\d\dT[\d:.]+Z /;
const ended = (task: Task) => task.state !== "queued" && task.state !== "running";

/**
 * Waits for every task (concurrently) and answers them ended, in the same order. `quiet` (for
 * --json, whose stderr carries only the error object) shows nothing.
 */
export async function followTasks(client: VmctlClient, followed: Followed[], quiet: boolean): Promise<Task[]> {
  const tasks = followed.map((f) => f.task);
  const shown = tasks.map(() => 0);
  const status = statusLine(quiet);
  for (;;) {
    if (!quiet) {
      tasks.forEach((task, i) => {
        const fresh = task.log.slice(shown[i]);
        if (fresh.length > 0) status.clear();
        for (const line of fresh) process.stderr.write(`${followed[i]!.label}: ${line.replace(LOG_TIME, "")}\n`);
        shown[i] = task.log.length;
      });
    }
    const pending = tasks.flatMap((task, i) => (ended(task) ? [] : [i]));
    if (pending.length === 0) break;
    status.show(pending.map((i) => `${followed[i]!.label} ${tasks[i]!.state === "queued" ? "queued" : `${Math.round(tasks[i]!.progress)}%`}`).join("  "));
    // A one-second long poll: answers at once when a task ends, else brings fresh progress.
    await Promise.all(pending.map(async (i) => { tasks[i] = await client.getTask(tasks[i]!.id, 1); }));
  }
  status.clear();
  return tasks;
}

export async function followTask(client: VmctlClient, label: string, task: Task, quiet: boolean): Promise<Task> {
  return (await followTasks(client, [{ label, task }], quiet))[0]!;
}

/** Throws a task that did not succeed as the CLI's error, keeping its code for --json. */
export function assertSucceeded(task: Task): void {
  if (task.state === "success") return;
  if (task.state === "cancelled") throw new CliError(`task ${task.id} (${task.op}) was cancelled`, "cancelled");
  throw new CliError(task.error?.message ?? `task ${task.id} (${task.op}) ended ${task.state}`, task.error?.code ?? "failed");
}

/**
 * Follows a vmcenter cluster task to its end (log lines and progress on stderr, as followTask),
 * then answers it with its result, or throws when it did not succeed. `onInterrupt` runs on the
 * first Ctrl-C instead of leaving (a migration cancels itself); a second Ctrl-C leaves.
 */
export async function followClusterTask(client: VmctlClient, label: string, task: ClusterTask, quiet: boolean, onInterrupt?: () => Promise<void>): Promise<ClusterTask> {
  let interrupted = false;
  const interrupt = () => {
    if (interrupted || !onInterrupt) process.exit(130);
    interrupted = true;
    void onInterrupt().catch((error: Error) => process.stderr.write(`vmctl: ${error.message}\n`));
  };
  process.on("SIGINT", interrupt);
  try {
    await followTask(client, label, task, quiet);
  } finally {
    process.off("SIGINT", interrupt);
  }
  // followTask's Task has no result: the cluster task's own answer carries it.
  const ended = await client.cluster.task(task.id);
  assertSucceeded(ended);
  return ended;
}
