// The events timeline, newest first, filtered by VM and type, updated live.
import { useCallback, useEffect, useState } from "react";
import { PageSection, SearchInput, Title, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { VmctlEvent } from "@vmctl/api-types";
import { api } from "../../api/http";
import { useEvents } from "../../api/live";

export function EventsView() {
  const [events, setEvents] = useState<VmctlEvent[]>([]);
  const [vm, setVm] = useState("");
  const [type, setType] = useState("");
  useEffect(() => {
    api<{ events: VmctlEvent[] }>("GET", "/api/v1/events?limit=200").then((a) => setEvents(a.events.reverse()), () => {});
  }, []);
  useEvents(useCallback((event: VmctlEvent) => setEvents((list) => (list.some((e) => e.id === event.id) ? list : [event, ...list].slice(0, 500))), []));
  const shown = events.filter((e) => (!vm || (e.vm ?? "").includes(vm)) && (!type || e.type.includes(type)));
  return (
    <PageSection>
      <Title headingLevel="h1">Events</Title>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem><SearchInput aria-label="Filter by VM" placeholder="VM" value={vm} onChange={(_e, v) => setVm(v)} onClear={() => setVm("")} /></ToolbarItem>
          <ToolbarItem><SearchInput aria-label="Filter by type" placeholder="type, e.g. vm.state" value={type} onChange={(_e, v) => setType(v)} onClear={() => setType("")} /></ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <Table aria-label="Events" variant="compact" data-testid="events">
        <Thead><Tr><Th>Time</Th><Th>Type</Th><Th>VM</Th><Th>Details</Th></Tr></Thead>
        <Tbody>
          {shown.slice(0, 200).map((e) => (
            <Tr key={e.id}>
              <Td dataLabel="Time">{new Date(e.time).toLocaleString()}</Td>
              <Td dataLabel="Type">{e.type}</Td>
              <Td dataLabel="VM">{e.vm ?? "-"}</Td>
              <Td dataLabel="Details">{Object.entries(e.data).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ")}</Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
    </PageSection>
  );
}
