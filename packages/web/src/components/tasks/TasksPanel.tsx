// Recent tasks below every page, as ESXi's: updated from the events stream, foldable out of the way.
import { useState } from "react";
import { Badge, Button, PageSection, Title } from "@patternfly/react-core";
import AngleDownIcon from "@patternfly/react-icons/dist/esm/icons/angle-down-icon";
import AngleRightIcon from "@patternfly/react-icons/dist/esm/icons/angle-right-icon";
import { useHostData } from "../../state/host-data";
import { LoadError, Loading } from "../shared/states";
import { TaskTable } from "./TaskTable";

const SHOWN = 6;

export function TasksPanel() {
  const { tasks, tasksError, refresh } = useHostData();
  const [open, setOpen] = useState(() => localStorage.getItem("vmctl.tasks-panel") !== "closed");
  const running = tasks?.filter((t) => t.state === "running" || t.state === "queued").length ?? 0;
  const toggle = () => { setOpen(!open); localStorage.setItem("vmctl.tasks-panel", open ? "closed" : "open"); };
  return (
    <PageSection aria-labelledby="recent-tasks-title" className="vmctl-tasks-panel">
      <Title headingLevel="h2" size="md" id="recent-tasks-title">
        <Button variant="plain" size="sm" onClick={toggle} aria-expanded={open} aria-controls="recent-tasks-body" icon={open ? <AngleDownIcon /> : <AngleRightIcon />} style={{ marginRight: 4 }}>
          Recent tasks
        </Button>
        {running ? <Badge isRead={false}>{running} running</Badge> : null}
      </Title>
      <div id="recent-tasks-body" hidden={!open}>
        {tasksError && !tasks ? <LoadError what="the tasks" error={tasksError} onRetry={refresh} />
          : !tasks ? <Loading what="tasks" lines={2} />
          : tasks.length === 0 ? <p className="vmctl-muted">No tasks yet. Starting, stopping or creating a VM shows its task here.</p>
          : <TaskTable tasks={tasks.slice(0, SHOWN)} label="Recent tasks" testId="tasks" />}
      </div>
    </PageSection>
  );
}
