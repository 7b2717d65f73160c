// The VMs and recent tasks, kept current by the events stream: no reload to see a change, no poll
// (tasks announce themselves and their progress) but for running VMs' IP addresses, which no event announces. Views that need other events (a VM's timeline,
// the events page) listen here rather than open a stream.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { Task, VmSummary, VmctlEvent } from "@vmctl/api-types";
import { client } from "../api/http";
import { useEventStream } from "../api/live";
import { useNotify } from "./notify";
import { hostOf } from "../components/cluster/cluster-words";
import { rememberHostName } from "../components/tasks/task-words";

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
  /** Reports the task's failure, when it ends in one, as "Could not <what>". */
  watchTask: (id: string, what: string) => void;
}

const HostDataContext = createContext<HostData | null>(null);

type TaskFinished = Extract<VmctlEvent, { type: "task.finished" }>;

export function HostDataProvider({ children }: { children: ReactNode }) {
  const [vms, setVms] = useState<VmSummary[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tasks, setTasks] = useState<Task[] | undefined>(undefined);
  const [tasksError, setTasksError] = useState<string | null>(null);
  const listeners = useRef(new Set<Listener>());
  const watched = useRef(new Map<string, string>());
  const known = useRef(new Set<string>());
  known.current = new Set(tasks?.map((t) => t.id));
  const asked = useRef(new Set<string>());
  // Ends are kept a while: a quick task may end before the answer that started it arrives.
  const ended = useRef(new Map<string, TaskFinished>());
  const notify = useNotify();
  const reportEnd = useCallback((id: string) => {
    const what = watched.current.get(id);
    const end = ended.current.get(id);
    if (what === undefined || !end) return;
    watched.current.delete(id);
    if (end.data.state === "error") notify(`Could not ${what}`, end.data.error?.message ?? "the task failed; its log says why");
  }, [notify]);
  const readTasks = useCallback(() => {
    client.listTasks({ limit: 20 }).then((list) => { setTasks(list); setTasksError(null); }, (e: Error) => setTasksError(e.message));
  }, []);
  const readVms = useCallback(() => {
    // An answer like the last one keeps the list as it was: views keyed on it do not read again.
    client.listVms().then((list) => {
      // At vmcenter each VM names its host: tasks on "host/<id>" then read as that host's name.
      for (const vm of list) { const host = hostOf(vm); if (host) rememberHostName(host.id, host.name); }
      setVms((old) => (old && JSON.stringify(old) === JSON.stringify(list) ? old : list)); setError(null); }, (e: Error) => setError(e.message));
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
  // IP addresses come from DHCP leases and the guest agent, which no event announces: while a VM
  // runs, the list is read again every 10 s (vmctld answers an unchanged list from its cache).
  const running = vms?.some((vm) => vm.state === "running" || vm.state === "paused") ?? false;
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => schedule({ vms: true }), 10_000);
    return () => window.clearInterval(timer);
  }, [running, schedule]);
  useEventStream(useCallback((event: VmctlEvent) => {
    // At vmcenter, cluster events (a VM placed, migrated, restarted by HA) move VMs between hosts.
    if (event.type.startsWith("vm.") || event.type.startsWith("cluster.")) schedule({ vms: true });
    else if (event.type === "task.created") schedule({ tasks: true });
    else if (event.type === "task.finished") {
      // A finished task may have moved a VM (a migration's host) without a vm.* event of its own here.
      schedule({ tasks: true, vms: true });
      ended.current.set(event.data.task, event);
      if (ended.current.size > 100) ended.current.delete(ended.current.keys().next().value!);
      reportEnd(event.data.task);
    } else if (event.type === "task.progress") {
      // Live only, at most two a second per task.
      const p = event.data;
      // A task this page has not read yet is read with its log; one it has only moves its bar.
      if (known.current.has(p.task)) setTasks((list) => list?.map((t) => (t.id === p.task ? { ...t, state: "running", progress: p.progress, eta: p.eta } : t)));
      else if (!asked.current.has(p.task)) { asked.current.add(p.task); schedule({ tasks: true }); }
    }
    for (const listener of listeners.current) listener(event);
  }, [schedule, reportEnd]), refresh);
  const watchTask = useCallback((id: string, what: string) => { watched.current.set(id, what); reportEnd(id); }, [reportEnd]);
  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => { listeners.current.delete(listener); };
  }, []);
  const value = useMemo(() => ({ vms, error, tasks, tasksError, refresh, subscribe, watchTask }), [vms, error, tasks, tasksError, refresh, subscribe, watchTask]);
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
