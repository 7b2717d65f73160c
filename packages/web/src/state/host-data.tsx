// The VMs and recent tasks, kept current by the events stream: no reload to see a change.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import type { Task, VmSummary, VmctlEvent } from "@vmctl/api-types";
import { api } from "../api/http";
import { useEvents } from "../api/live";

interface HostData { vms: VmSummary[] | undefined; tasks: Task[]; connected: boolean; error: string | null; refresh: () => void }

const HostDataContext = createContext<HostData | null>(null);

export function HostDataProvider({ children }: { children: ReactNode }) {
  const [vms, setVms] = useState<VmSummary[] | undefined>(undefined);
  const [tasks, setTasks] = useState<Task[]>([]);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => {
    api<{ vms: VmSummary[] }>("GET", "/api/v1/vms").then((answer) => { setVms(answer.vms); setError(null); }, (e: Error) => setError(e.message));
    api<{ tasks: Task[] }>("GET", "/api/v1/tasks?limit=20").then((answer) => setTasks(answer.tasks), () => {});
  }, []);
  useEffect(refresh, [refresh]);
  const { connected } = useEvents(useCallback((event: VmctlEvent) => {
    if (event.type.startsWith("vm.") || event.type === "task.finished") refresh();
  }, [refresh]));
  // Running tasks move their progress without events: poll while any runs.
  useEffect(() => {
    if (!tasks.some((t) => t.state === "running" || t.state === "queued")) return;
    const timer = window.setInterval(refresh, 1000);
    return () => window.clearInterval(timer);
  }, [tasks, refresh]);
  return <HostDataContext.Provider value={{ vms, tasks, connected, error, refresh }}>{children}</HostDataContext.Provider>;
}

export function useHostData(): HostData {
  const data = useContext(HostDataContext);
  if (!data) throw new Error("useHostData outside HostDataProvider");
  return data;
}
