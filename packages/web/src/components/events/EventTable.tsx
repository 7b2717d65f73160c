// Events in words, newest first: one row per action ("admin started web01") or per event outside
// any, with when, who, how it ended, and the records behind it a click away.
import { Fragment, useState } from "react";
import { Button, Label } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import AngleDownIcon from "@patternfly/react-icons/dist/esm/icons/angle-down-icon";
import AngleRightIcon from "@patternfly/react-icons/dist/esm/icons/angle-right-icon";
import type { VmctlEvent } from "@vmctl/api-types";
import { eventRows, type EventOutcome, type EventRow } from "../../api/event-words";

const OUTCOME: Partial<Record<EventOutcome, { text: string; color: "red" | "orange" | "blue" | "grey" }>> = {
  failed: { text: "Failed", color: "red" },
  problem: { text: "Problem", color: "red" },
  cancelled: { text: "Cancelled", color: "grey" },
  ongoing: { text: "In progress", color: "blue" },
};

function dataOf(event: VmctlEvent): string {
  return Object.entries(event.data).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ");
}

/** The records behind a row, as they were stored. */
function Records({ row }: { row: EventRow }) {
  const task = row.events.find((e) => e.task)?.task;
  return (
    <div data-testid="event-records" style={{ fontSize: "var(--pf-t--global--font--size--sm)" }}>
      {task ? <div>Task <code>{task}</code></div> : null}
      <ul style={{ listStyle: "none", margin: 0, padding: 0 }}>
        {row.events.map((e) => (
          <li key={e.uid} style={{ fontFamily: "var(--pf-t--global--font--family--mono)", overflowWrap: "anywhere" }}>
            {new Date(e.time).toLocaleTimeString()} #{e.id} {e.type}{e.vm ? ` ${e.vm}` : ""}{dataOf(e) ? ` — ${dataOf(e)}` : ""}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** `match`: only the rows whose sentence or user contains it (any case). */
export function EventTable({ events, label, testId, match = "" }: { events: VmctlEvent[]; label: string; testId: string; match?: string }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string) => setOpen((was) => { const next = new Set(was); if (!next.delete(key)) next.add(key); return next; });
  const wanted = match.trim().toLowerCase();
  const rows = eventRows(events).filter((row) => !wanted || `${row.sentence} ${row.user ?? ""}`.toLowerCase().includes(wanted));
  if (rows.length === 0) return <p data-testid={testId}>No event matches “{match}”.</p>;
  return (
    <Table aria-label={label} variant="compact" data-testid={testId}>
      <Thead><Tr><Th screenReaderText="Details" modifier="fitContent" /><Th width={20}>Time</Th><Th>Event</Th><Th width={20}>User</Th></Tr></Thead>
      <Tbody>
        {rows.map((row) => {
          const isOpen = open.has(row.key);
          const outcome = OUTCOME[row.outcome];
          return (
            <Fragment key={row.key}>
              <Tr data-event-row={row.key}>
                <Td dataLabel="Details">
                  <Button variant="plain" size="sm" aria-expanded={isOpen} aria-label={`Records of: ${row.sentence}`} icon={isOpen ? <AngleDownIcon /> : <AngleRightIcon />} onClick={() => toggle(row.key)} />
                </Td>
                <Td dataLabel="Time">{new Date(row.time).toLocaleString()}</Td>
                <Td dataLabel="Event" modifier="breakWord">
                  <span data-testid="event-sentence">{row.sentence}</span>
                  {outcome ? <> <Label isCompact color={outcome.color}>{outcome.text}</Label></> : null}
                </Td>
                <Td dataLabel="User">{row.user ?? "—"}</Td>
              </Tr>
              {isOpen ? (
                <Tr isExpanded>
                  <Td />
                  <Td colSpan={3}><Records row={row} /></Td>
                </Tr>
              ) : null}
            </Fragment>
          );
        })}
      </Tbody>
    </Table>
  );
}
