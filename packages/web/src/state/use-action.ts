// useAction: how a view runs a change. A refused request goes to the notifier at once; an answer
// that is a task is watched, and its failure goes to the notifier when it ends.
import { useCallback } from "react";
import { ApiError } from "../api/http";
import { isTask } from "../api/vm-storage";
import { useHostData } from "./host-data";
import { useNotify } from "./notify";

/** Runs `work`; answers its result, or undefined when it failed (already reported as "Could not <what>"). */
export type RunAction = <T>(what: string, work: () => Promise<T>) => Promise<T | undefined>;

export function useAction(): RunAction {
  const { refresh, watchTask } = useHostData();
  const notify = useNotify();
  return useCallback(async <T,>(what: string, work: () => Promise<T>) => {
    try {
      const result = await work();
      if (isTask(result)) watchTask(result.id, what);
      return result;
    } catch (error) {
      // Stopped by the user (an upload cancelled): nothing went wrong.
      if (!(error instanceof ApiError && error.code === "aborted")) notify(`Could not ${what}`, (error as Error).message);
      return undefined;
    } finally {
      refresh();
    }
  }, [refresh, watchTask, notify]);
}
