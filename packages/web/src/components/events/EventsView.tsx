// The events timeline in words, newest first: one row per action, filtered by VM and by words, updated live.
import { useState } from "react";
import { PageSection, SearchInput, Title, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Empty, LoadError, Loading } from "../shared/states";
import { EventTable } from "./EventTable";
import { useEventLog } from "./use-event-log";

export function EventsView() {
  const { events, error, reload } = useEventLog();
  const [vm, setVm] = useState("");
  const [words, setWords] = useState("");
  const shown = (events ?? []).filter((e) => !vm || (e.vm ?? "").includes(vm));
  return (
    <PageSection>
      <Title headingLevel="h1">Events</Title>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem><SearchInput aria-label="Filter events by VM" placeholder="Filter by VM" value={vm} onChange={(_e, v) => setVm(v)} onClear={() => setVm("")} /></ToolbarItem>
          <ToolbarItem><SearchInput aria-label="Filter events by words or user" placeholder="Filter by words or user, e.g. started" value={words} onChange={(_e, v) => setWords(v)} onClear={() => setWords("")} /></ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      {error && !events ? <LoadError what="the events" error={error} onRetry={reload} />
        : !events ? <Loading what="events" />
        : shown.length === 0 ? <Empty title={events.length ? "No event matches" : "No events yet"}>{events.length ? "Change or clear the filters." : "Every action on a VM, its state changes and its definition changes are recorded here, with who did it."}</Empty>
        : <EventTable events={shown.slice(0, 400)} label="Events" testId="events" match={words} />}
    </PageSection>
  );
}
