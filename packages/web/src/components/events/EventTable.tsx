// Events as rows, newest first: when, what, which VM, and the event's details in words.
import { Label } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { VmctlEvent } from "@vmctl/api-types";

const COLOR = (type: string) => (/crash|panic|invalid|error|restart_limit/.test(type) ? "red" : type === "task.finished" ? "blue" : type.startsWith("vm.") ? "grey" : "purple");

function details(event: VmctlEvent): string {
  return Object.entries(event.data).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ");
}

export function EventTable({ events, label, showVm = true, testId }: { events: VmctlEvent[]; label: string; showVm?: boolean; testId: string }) {
  return (
    <Table aria-label={label} variant="compact" data-testid={testId}>
      <Thead><Tr><Th width={20}>Time</Th><Th width={20}>Type</Th>{showVm ? <Th width={15}>VM</Th> : null}<Th>Details</Th></Tr></Thead>
      <Tbody>
        {events.map((e) => (
          <Tr key={e.id}>
            <Td dataLabel="Time">{new Date(e.time).toLocaleString()}</Td>
            <Td dataLabel="Type"><Label isCompact color={COLOR(e.type)}>{e.type}</Label></Td>
            {showVm ? <Td dataLabel="VM">{e.vm ?? "-"}</Td> : null}
            <Td dataLabel="Details" modifier="breakWord">{details(e)}</Td>
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
}
