// Recent tasks with progress and ETA, live.
import { Label, PageSection, Progress, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { useHostData } from "../../state/host-data";

const COLORS = { success: "green", error: "red", running: "blue", queued: "grey", cancelled: "orange" } as const;

export function TasksPanel() {
  const { tasks } = useHostData();
  return (
    <PageSection aria-label="Recent tasks" style={{ borderTop: "1px solid var(--pf-t--global--border--color--default, #d2d2d2)" }}>
      <Title headingLevel="h2" size="md">Recent tasks</Title>
      {tasks.length === 0 ? <p>No tasks yet.</p> : (
        <Table variant="compact" aria-label="Recent tasks" data-testid="tasks">
          <Thead><Tr><Th>Task</Th><Th>Target</Th><Th>User</Th><Th>Status</Th><Th>Progress</Th><Th>Started</Th></Tr></Thead>
          <Tbody>
            {tasks.slice(0, 8).map((task) => (
              <Tr key={task.id}>
                <Td dataLabel="Task">{task.op}</Td>
                <Td dataLabel="Target">{task.target.replace(/^vm\//, "")}</Td>
                <Td dataLabel="User">{task.user}</Td>
                <Td dataLabel="Status"><Label color={COLORS[task.state]} isCompact>{task.state}</Label>{task.error ? ` ${task.error.message}` : ""}</Td>
                <Td dataLabel="Progress">{task.state === "running" ? <Progress value={task.progress} aria-label="progress" size="sm" /> : task.state === "success" ? "100%" : "-"}{task.eta ? ` ETA ${new Date(task.eta).toLocaleTimeString()}` : ""}</Td>
                <Td dataLabel="Started">{new Date(task.createdAt).toLocaleTimeString()}</Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
    </PageSection>
  );
}
