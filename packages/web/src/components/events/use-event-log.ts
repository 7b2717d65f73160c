// The persisted events (newest first) with the live ones added as they happen: the events page and
// a VM's Events tab read the same way, the tab narrowed to its VM.
import { useCallback, useEffect, useState } from "react";
import type { VmctlEvent } from "@vmctl/api-types";
import { useApi } from "../../api/use-api";
import { client } from "../../api/http";
import { useLiveEvents } from "../../state/host-data";

const KEPT = 500;

export function useEventLog(vm?: string): { events: VmctlEvent[] | undefined; error: Error | null; reload: () => void } {
  const loaded = useApi(() => client.listEvents({ limit: 200, ...(vm ? { vm } : {}) }), ["events", vm]);
  const [events, setEvents] = useState<VmctlEvent[] | undefined>(undefined);
  useEffect(() => {
    if (loaded.data) setEvents((live) => merge([...loaded.data!].reverse(), live ?? []));
  }, [loaded.data]);
  useEffect(() => setEvents(undefined), [vm]);
  useLiveEvents(useCallback((event: VmctlEvent) => {
    // Progress is live only and repeats the newest stored id: it is not part of the log.
    if (event.type === "task.progress" || (vm && event.vm !== vm)) return;
    setEvents((list) => (list ? merge([event], list) : list));
  }, [vm]));
  return { events, error: loaded.error, reload: loaded.reload };
}

/** Newest first, each id once. */
function merge(a: VmctlEvent[], b: VmctlEvent[]): VmctlEvent[] {
  const byId = new Map<number, VmctlEvent>();
  for (const e of [...a, ...b]) byId.set(e.id, e);
  return [...byId.values()].sort((x, y) => y.id - x.id).slice(0, KEPT);
}
