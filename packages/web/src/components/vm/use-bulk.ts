// The inventory's bulk power: runBulk (bulk.ts) over the desired-state endpoint, each task followed to
// its end by the events stream (task.finished), with a slow read of the task as a fallback should the
// stream miss it; answers the message that says what happened.
import { useCallback } from "react";
import { client } from "../../api/http";
import { useHostData } from "../../state/host-data";
import { bulkMessage, runBulk, type BulkAction, type BulkMessage, type TaskEnd } from "./bulk";

const ENDED = new Set(["success", "error", "cancelled"]);

export function useBulkPower(): (names: string[], action: BulkAction) => Promise<BulkMessage> {
  const { subscribe, refresh } = useHostData();
  return useCallback(async (names: string[], action: BulkAction) => {
    const seen = new Map<string, TaskEnd>();
    const waiting = new Map<string, (end: TaskEnd) => void>();
    const unsubscribe = subscribe((event) => {
      if (event.type !== "task.finished") return;
      const end = { state: event.data.state, error: event.data.error ?? null };
      seen.set(event.data.task, end);
      waiting.get(event.data.task)?.(end);
    });
    const timers: number[] = [];
    try {
      const outcomes = await runBulk(names, action, {
        desired: (name, state) => client.desiredState(name, state),
        ended: (task) => new Promise<TaskEnd>((resolve) => {
          if (ENDED.has(task.state)) { resolve(task); return; }
          const timer = window.setInterval(() => {
            client.getTask(task.id).then((now) => { if (ENDED.has(now.state)) finish(now); }, () => {});
          }, 5000);
          timers.push(timer);
          const finish = (end: TaskEnd) => { window.clearInterval(timer); waiting.delete(task.id); resolve(end); };
          waiting.set(task.id, finish);
          const known = seen.get(task.id);
          if (known) finish(known);
        }),
      });
      return bulkMessage(action, outcomes);
    } finally {
      unsubscribe();
      for (const timer of timers) window.clearInterval(timer);
      refresh();
    }
  }, [subscribe, refresh]);
}
