// A VM's Events and Tasks tabs: its own timeline and its own work, live.
import { useMemo } from "react";
import { useApi } from "../../api/use-api";
import { client } from "../../api/http";
import { useHostData } from "../../state/host-data";
import { Empty, LoadError, Loading } from "../shared/states";
import { EventTable } from "../events/EventTable";
import { useEventLog } from "../events/use-event-log";
import { TaskTable } from "../tasks/TaskTable";

export function VmEvents({ name }: { name: string }) {
  const { events, error, reload } = useEventLog(name);
  if (error && !events) return <LoadError what={`the events of ${name}`} error={error} onRetry={reload} />;
  if (!events) return <Loading what="events" />;
  if (events.length === 0) return <Empty title="No events yet">What is done to {name} (started, stopped, snapshots, changes), and by whom, appears here as it happens.</Empty>;
  return <div style={{ marginTop: 8 }}><EventTable events={events} label={`Events of ${name}`} testId="vm-events" /></div>;
}

export function VmTasks({ name }: { name: string }) {
  // The host-wide task list moves with every task event: read this VM's again when one of its tasks
  // starts or ends (not another VM's), and take the progress of running ones from it as it moves.
  const { tasks: recent } = useHostData();
  const target = `vm/${name}`;
  const version = useMemo(() => recent?.filter((t) => t.target === target).map((t) => `${t.id}:${t.state}`).join(), [recent, target]);
  const { data, error, reload } = useApi(() => client.listTasks({ target, limit: 50 }), ["tasks", target], version);
  if (error && !data) return <LoadError what={`the tasks of ${name}`} error={error} onRetry={reload} />;
  if (!data) return <Loading what="tasks" />;
  if (data.length === 0) return <Empty title="No tasks yet">Starting, stopping and other long work on {name} appear here with their progress and log.</Empty>;
  const live = new Map(recent?.map((t) => [t.id, t]));
  const tasks = data.map((t) => (t.state === "running" && live.get(t.id)?.state === "running" ? { ...t, progress: live.get(t.id)!.progress, eta: live.get(t.id)!.eta } : t));
  return <div style={{ marginTop: 8 }}><TaskTable tasks={tasks} label={`Tasks of ${name}`} showTarget={false} testId="vm-tasks" /></div>;
}
