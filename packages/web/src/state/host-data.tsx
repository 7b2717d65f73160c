// The VMs and recent tasks, kept current by the events stream: no reload to see a change. Views
// that need other events (a VM's timeline, the events page) listen here rather than open a stream.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { Task, VmSummary, VmctlEvent } from "@vmctl/api-types";
import { api } from "../api/http";
import { useEventStream } from "../api/live";

type Listener = (event: VmctlEvent) => void;

interface HostData {
  vms: VmSummary[] | undefined;
  error: string | null;
  tasks: Task[] | undefined;
  tasksError: string | null;
  /** Re-reads the VMs and tasks (after an action of this user, before its events arrive). */
  refresh: () => void;
  /** Hears every event of the stream until the returned function is called. */
  subscribe: (listener: Listener) => () => void;
}

const HostDataContext = createContext<HostData | null>(null);

/**
 * The daemon sends no event while a task progresses (only task.finished when it ends), so while
 * one runs its progress and ETA are read every few seconds; nothing is polled otherwise.
 */
const PROGRESS_POLL_MS = 3000;

export function HostDataProvider({ children }: { children: ReactNode }) {
  const [vms, setVms] = useState<VmSummary[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tasks, setTasks] = useState<Task[] | undefined>(undefined);
  const [tasksError, setTasksError] = useState<string | null>(null);
  const listeners = useRef(new Set<Listener>());
  const readTasks = useCallback(() => {
    api<{ tasks: Task[] }>("GET", "/api/v1/tasks?limit=20").then((a) => { setTasks(a.tasks); setTasksError(null); }, (e: Error) => setTasksError(e.message));
  }, []);
  const readVms = useCallback(() => {
    api<{ vms: VmSummary[] }>("GET", "/api/v1/vms").then((a) => { setVms(a.vms); setError(null); }, (e: Error) => setError(e.message));
  }, []);
  // A burst of events (a batch over many VMs) costs one read, not one per event.
  const pending = useRef<{ vms: boolean; tasks: boolean; timer: number | undefined }>({ vms: false, tasks: false, timer: undefined });
  const schedule = useCallback((what: { vms?: boolean; tasks?: boolean }) => {
    const p = pending.current;
    p.vms ||= what.vms ?? false;
    p.tasks ||= what.tasks ?? false;
    if (p.timer !== undefined) return;
    p.timer = window.setTimeout(() => {
      if (p.vms) readVms();
      if (p.tasks) readTasks();
      p.vms = p.tasks = false;
      p.timer = undefined;
    }, 100);
  }, [readVms, readTasks]);
  const refresh = useCallback(() => schedule({ vms: true, tasks: true }), [schedule]);
  useEffect(refresh, [refresh]);
  useEventStream(useCallback((event: VmctlEvent) => {
    // A VM's change starts or ends a task more often than not; task.finished ends one.
    if (event.type.startsWith("vm.")) schedule({ vms: true, tasks: true });
    else if (event.type === "task.finished") schedule({ tasks: true });
    for (const listener of listeners.current) listener(event);
  }, [schedule]), refresh);
  const running = tasks?.some((t) => t.state === "running" || t.state === "queued") ?? false;
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(readTasks, PROGRESS_POLL_MS);
    return () => window.clearInterval(timer);
  }, [running, readTasks]);
  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => { listeners.current.delete(listener); };
  }, []);
  const value = useMemo(() => ({ vms, error, tasks, tasksError, refresh, subscribe }), [vms, error, tasks, tasksError, refresh, subscribe]);
  return <HostDataContext.Provider value={value}>{children}</HostDataContext.Provider>;
}

export function useHostData(): HostData {
  const data = useContext(HostDataContext);
  if (!data) throw new Error("useHostData outside HostDataProvider");
  return data;
}

/** Calls `listener` for each live event while the calling component is shown. */
export function useLiveEvents(listener: Listener): void {
  const { subscribe } = useHostData();
  const current = useRef(listener);
  current.current = listener;
  useEffect(() => subscribe((event) => current.current(event)), [subscribe]);
}
