// The task bar below every page: one line that says what runs or what ran last ("Tasks: 1 running —
// Start web01 45 %"), opening on demand to the task table. On a VM's page it is that VM's tasks only.
// Kept current by the events stream (host-data); the table never takes the page unless asked.
import { useEffect, useMemo, useState } from "react";
import { Button } from "@patternfly/react-core";
import AngleDownIcon from "@patternfly/react-icons/dist/esm/icons/angle-down-icon";
import AngleUpIcon from "@patternfly/react-icons/dist/esm/icons/angle-up-icon";
import type { Task } from "@vmctl/api-types";
import { useHostData } from "../../state/host-data";
import { useRoute } from "../../state/router";
import { useApi } from "../../api/use-api";
import { client } from "../../api/http";
import { LoadError, Loading } from "../shared/states";
import { TaskTable } from "./TaskTable";
import { taskStatusLine } from "./task-words";

const SHOWN = 8;
const KEY = "vmctl.task-bar";

/** One VM's latest tasks: read again when one of its tasks starts or ends, progress taken from the live list. */
function useVmTasks(name: string | undefined, recent: Task[] | undefined): { tasks: Task[] | undefined; error: Error | null; reload: () => void } {
  const target = name === undefined ? undefined : `vm/${name}`;
  const version = useMemo(() => recent?.filter((t) => t.target === target).map((t) => `${t.id}:${t.state}`).join(), [recent, target]);
  const { data, error, reload } = useApi(target ? () => client.listTasks({ target, limit: SHOWN }) : null, ["task-bar", target], version);
  const tasks = useMemo(() => {
    if (!data) return undefined;
    const live = new Map(recent?.map((t) => [t.id, t]));
    return data.map((t) => { const now = live.get(t.id); return t.state === "running" && now?.state === "running" ? { ...t, progress: now.progress, eta: now.eta } : t; });
  }, [data, recent]);
  return { tasks, error, reload };
}

export function TasksPanel() {
  const { tasks: recent, tasksError, refresh } = useHostData();
  const route = useRoute();
  const vm = route.page === "vm" ? route.name : undefined;
  const own = useVmTasks(vm, recent);
  const tasks = vm === undefined ? recent : own.tasks;
  const error = vm === undefined ? tasksError : own.error?.message ?? null;
  const [open, setOpen] = useState(() => localStorage.getItem(KEY) === "open");
  // "2 min ago" moves on while nothing else happens.
  const [, setTick] = useState(0);
  useEffect(() => { const timer = window.setInterval(() => setTick((t) => t + 1), 15_000); return () => window.clearInterval(timer); }, []);
  const toggle = () => { setOpen(!open); localStorage.setItem(KEY, open ? "closed" : "open"); };
  const prefix = vm === undefined ? "Tasks" : `Tasks of ${vm}`;
  const line = error && !tasks ? `${prefix}: could not be read` : !tasks ? `${prefix}: reading…` : taskStatusLine(tasks.slice(0, SHOWN), { prefix, showTarget: vm === undefined });
  const running = tasks?.some((t) => t.state === "running" || t.state === "queued") ?? false;
  return (
    <section className="vmctl-taskbar" aria-label={vm === undefined ? "Recent tasks" : `Recent tasks of ${vm}`}>
      <div id="task-bar-body" className="vmctl-taskbar__body" hidden={!open}>
        {!open ? null
          : error && !tasks ? <LoadError what="the tasks" error={error} onRetry={vm === undefined ? refresh : own.reload} />
          : !tasks ? <Loading what="tasks" lines={2} />
          : tasks.length === 0 ? <p className="vmctl-muted">{vm === undefined ? "No tasks yet. Starting, stopping or creating a VM shows its task here." : `No tasks of ${vm} yet. Starting or stopping it shows its task here.`}</p>
          : <TaskTable tasks={tasks.slice(0, SHOWN)} label={vm === undefined ? "Recent tasks" : `Recent tasks of ${vm}`} showTarget={vm === undefined} testId="tasks" />}
      </div>
      <div className="vmctl-taskbar__line">
        <Button variant="plain" size="sm" onClick={toggle} aria-expanded={open} aria-controls="task-bar-body" icon={open ? <AngleDownIcon /> : <AngleUpIcon />}
          className={running ? "vmctl-taskbar__toggle vmctl-taskbar__toggle--running" : "vmctl-taskbar__toggle"} data-testid="task-bar"
          // Named "Tasks" alone, described by the status: a name holding "Start web01" would answer for every "Start" button.
          aria-label="Tasks" aria-describedby="task-bar-status">
          <span id="task-bar-status">{line}</span>
        </Button>
      </div>
    </section>
  );
}
