// The events timeline, newest first, filtered by VM and type, updated live.
import { useState } from "react";
import { PageSection, SearchInput, Title, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Empty, LoadError, Loading } from "../shared/states";
import { EventTable } from "./EventTable";
import { useEventLog } from "./use-event-log";

export function EventsView() {
  const { events, error, reload } = useEventLog();
  const [vm, setVm] = useState("");
  const [type, setType] = useState("");
  const shown = (events ?? []).filter((e) => (!vm || (e.vm ?? "").includes(vm)) && (!type || e.type.includes(type)));
  return (
    <PageSection>
      <Title headingLevel="h1">Events</Title>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem><SearchInput aria-label="Filter events by VM" placeholder="Filter by VM" value={vm} onChange={(_e, v) => setVm(v)} onClear={() => setVm("")} /></ToolbarItem>
          <ToolbarItem><SearchInput aria-label="Filter events by type" placeholder="Filter by type, e.g. vm.state" value={type} onChange={(_e, v) => setType(v)} onClear={() => setType("")} /></ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {error && !events ? <LoadError what="the events" error={error} onRetry={reload} />
        : !events ? <Loading what="events" />
        : shown.length === 0 ? <Empty title={events.length ? "No event matches" : "No events yet"}>{events.length ? "Change or clear the filters." : "Every VM state change, definition change and finished task is recorded here."}</Empty>
        : <EventTable events={shown.slice(0, 200)} label="Events" testId="events" />}
    </PageSection>
  );
}
