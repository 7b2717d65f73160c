// Tasks as rows, in words: what ("Start"), on what, by whom, how it went; a row opens to the task's log.
import { Fragment, useState } from "react";
import { Button, Label, Progress } from "@patternfly/react-core";
import AngleDownIcon from "@patternfly/react-icons/dist/esm/icons/angle-down-icon";
import AngleRightIcon from "@patternfly/react-icons/dist/esm/icons/angle-right-icon";
import { ExpandableRowContent, Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { Task } from "@vmctl/api-types";
import { stateLabel, targetLabel, taskLabel } from "./task-words";

const COLORS = { success: "green", error: "red", running: "blue", queued: "grey", cancelled: "orange" } as const;

function duration(task: Task): string {
  if (!task.startedAt) return "-";
  const ms = (task.endedAt ? Date.parse(task.endedAt) : Date.now()) - Date.parse(task.startedAt);
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function progress(task: Task): string | React.JSX.Element {
  if (task.state === "running") {
    const eta = task.eta ? `, ETA ${new Date(task.eta).toLocaleTimeString()}` : "";
    return <Progress value={task.progress} aria-label={`${taskLabel(task)} progress${eta}`} size="sm" title={eta ? eta.slice(2) : ""} />;
  }
  return task.state === "success" ? "100%" : task.state === "queued" ? "waiting" : `${Math.round(task.progress)}%`;
}

export function TaskTable({ tasks, label, showTarget = true, testId }: { tasks: Task[]; label: string; showTarget?: boolean; testId: string }) {
  const [open, setOpen] = useState<Set<string>>(new Set());
  const toggle = (id: string) => setOpen((s) => { const next = new Set(s); if (!next.delete(id)) next.add(id); return next; });
  const columns = showTarget ? 8 : 7;
  return (
    <Table variant="compact" aria-label={label} data-testid={testId}>
      <Thead><Tr><Th screenReaderText="Show the log" /><Th>Task</Th>{showTarget ? <Th>Target</Th> : null}<Th>User</Th><Th>Status</Th><Th>Progress</Th><Th>Started</Th><Th>Took</Th></Tr></Thead>
      {tasks.map((task) => (
        <Tbody key={task.id} isExpanded={open.has(task.id)}>
          <Tr>
            <Td style={{ width: 40 }}>
              <Button variant="plain" size="sm" aria-expanded={open.has(task.id)} aria-label={`Log of ${taskLabel(task)} on ${targetLabel(task.target)} at ${new Date(task.createdAt).toLocaleTimeString()}`}
                icon={open.has(task.id) ? <AngleDownIcon /> : <AngleRightIcon />} onClick={() => toggle(task.id)} />
            </Td>
            <Td dataLabel="Task">{taskLabel(task)}</Td>
            {showTarget ? <Td dataLabel="Target">{targetLabel(task.target)}</Td> : null}
            <Td dataLabel="User">{task.user}</Td>
            <Td dataLabel="Status"><Label color={COLORS[task.state]} isCompact>{stateLabel(task.state)}</Label>{task.error ? <span style={{ marginLeft: 8 }}>{task.error.message}</span> : null}</Td>
            <Td dataLabel="Progress" style={{ minWidth: 120 }}>{progress(task)}</Td>
            <Td dataLabel="Started">{new Date(task.createdAt).toLocaleTimeString()}</Td>
            <Td dataLabel="Took">{duration(task)}</Td>
          </Tr>
          {open.has(task.id) ? (
            <Tr isExpanded>
              <Td colSpan={columns}>
                <ExpandableRowContent>
                  {task.log.length ? <pre style={{ fontSize: "var(--pf-t--global--font--size--sm)", whiteSpace: "pre-wrap" }}>{task.log.join("\n")}</pre> : <Fragment>No log lines.</Fragment>}
                </ExpandableRowContent>
              </Td>
            </Tr>
          ) : null}
        </Tbody>
      ))}
    </Table>
  );
}
