// The Hosts page of vmcenter: every host of the cluster with its state, maintenance mode, CPUs and
// load, memory as a bar, VMs and tags, read again every 5 s (load moves without events) and on
// every cluster event. A row's menu enters or leaves maintenance mode (a cluster task, shown in the
// task bar). Shown only at vmcenter (cluster mode).
import { useState } from "react";
import { Dropdown, DropdownItem, DropdownList, Label, LabelGroup, MenuToggle, PageSection, Progress, ProgressMeasureLocation, Title } from "@patternfly/react-core";
import EllipsisVIcon from "@patternfly/react-icons/dist/esm/icons/ellipsis-v-icon";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { ClusterHost } from "@vmctl/api-types";
import { client } from "../../api/http";
import { useApi } from "../../api/use-api";
import { useLiveEvents } from "../../state/host-data";
import { useSession } from "../../state/session";
import { useCluster } from "../../state/cluster";
import { formatBytes } from "../../format";
import { Empty, LoadError, Loading } from "../shared/states";
import { HOST_STATE_COLOR, loadWords, memoryUse, vmCountWords } from "./cluster-words";
import { MaintenanceDialog } from "./MaintenanceDialog";
import { usePolled } from "./use-polled";
import { rememberHostName } from "../tasks/task-words";

function HostActions({ host, onMaintenance }: { host: ClusterHost; onMaintenance: (host: ClusterHost, enabled: boolean) => void }) {
  const [open, setOpen] = useState(false);
  const entering = !host.maintenance;
  const why = entering && host.state !== "connected" ? `${host.name} is ${host.state}: its VMs cannot be moved away now.` : null;
  return (
    <Dropdown isOpen={open} onOpenChange={setOpen} popperProps={{ position: "end", appendTo: () => document.body }}
      toggle={(ref) => <MenuToggle ref={ref} variant="plain" size="sm" onClick={() => setOpen(!open)} isExpanded={open} aria-label={`Actions for host ${host.name}`} icon={<EllipsisVIcon />} />}>
      <DropdownList>
        <DropdownItem key="maintenance" onClick={() => { setOpen(false); onMaintenance(host, entering); }} isAriaDisabled={why !== null} {...(why ? { tooltipProps: { content: why } } : {})}
          description={entering ? "Live-migrates its running VMs away, then takes no new ones" : "Back in service: placement may choose it again"}>
          {entering ? "Enter maintenance mode" : "Exit maintenance mode"}
        </DropdownItem>
      </DropdownList>
    </Dropdown>
  );
}

function summary(hosts: ClusterHost[]): string {
  const connected = hosts.filter((h) => h.state === "connected");
  const cpus = connected.reduce((n, h) => n + h.cpus, 0);
  const memory = connected.reduce((n, h) => n + h.memoryBytes, 0);
  const free = connected.reduce((n, h) => n + h.freeMemoryBytes, 0);
  const vms = hosts.reduce((n, h) => n + h.vms, 0);
  return `${hosts.length} host${hosts.length === 1 ? "" : "s"}, ${connected.length} connected: ${cpus} CPUs, ${formatBytes(free)} free of ${formatBytes(memory)}, ${vms} VM${vms === 1 ? "" : "s"}.`;
}

export function HostsView() {
  const cluster = useCluster();
  const { can } = useSession();
  const version = usePolled(5000);
  const [heard, setHeard] = useState(0);
  useLiveEvents((event) => { if (event.type.startsWith("cluster.")) setHeard((n) => n + 1); });
  const { data: hosts, error, reload } = useApi(() => client.cluster.hosts(), ["cluster-hosts"], `${version}:${heard}`);
  const [asking, setAsking] = useState<{ host: ClusterHost; enabled: boolean } | null>(null);
  // Maintenance is an Admin's (vmcenter's own check decides; the menu follows what the user may do to hosts).
  const mayChange = can("vm.migrate");
  const sorted = hosts ? [...hosts].sort((a, b) => a.name.localeCompare(b.name)) : undefined;
  for (const host of sorted ?? []) rememberHostName(host.id, host.name);
  return (
    <PageSection>
      <Title headingLevel="h1">Hosts</Title>
      <p className="vmctl-muted" style={{ margin: "4px 0 16px" }} data-testid="hosts-summary">
        {sorted ? summary(sorted) : cluster ? `The hosts of cluster ${cluster.clusterId}.` : null}
      </p>
      {asking ? <MaintenanceDialog host={asking.host} enabled={asking.enabled} onClose={() => { setAsking(null); reload(); }} /> : null}
      {error && !sorted ? <LoadError what="the hosts" error={error} onRetry={reload} />
        : !sorted ? <Loading what="hosts" lines={3} />
        : sorted.length === 0 ? <Empty title="No hosts yet">Join one: start vmctld with --join URL --join-token T.</Empty>
        : (
          <div className="vmctl-inventory-scroll">
            <Table aria-label="Hosts" data-testid="hosts" className="vmctl-table vmctl-hosts" variant="compact">
              <Thead>
                <Tr>
                  <Th modifier="nowrap">Name</Th><Th modifier="fitContent">State</Th><Th modifier="fitContent">Maintenance</Th>
                  <Th modifier="fitContent">CPUs</Th><Th modifier="fitContent">Load</Th><Th modifier="nowrap" style={{ minWidth: "10em" }}>Memory used</Th><Th modifier="fitContent">VMs</Th><Th>Tags</Th>
                  {mayChange ? <Th screenReaderText="Actions" modifier="fitContent" /> : null}
                </Tr>
              </Thead>
              <Tbody>
                {sorted.map((host) => {
                  const memory = memoryUse(host);
                  return (
                    <Tr key={host.id} data-host={host.name}>
                      <Td dataLabel="Name">
                        <div style={{ fontWeight: 600 }}>{host.name}</div>
                        <div className="vmctl-muted vmctl-small">{host.url}</div>
                      </Td>
                      <Td dataLabel="State"><Label color={HOST_STATE_COLOR[host.state] ?? "grey"} data-testid="host-state">{host.state}</Label></Td>
                      <Td dataLabel="Maintenance" data-testid="host-maintenance">
                        {host.maintenance ? <Label color="orange" isCompact>in maintenance</Label>
                          : !host.schedulable ? <Label color="grey" isCompact>not schedulable</Label>
                          : <span className="vmctl-muted">no</span>}
                      </Td>
                      <Td dataLabel="CPUs">{host.cpus}</Td>
                      <Td dataLabel="Load" data-testid="host-load" modifier="nowrap">{loadWords(host)}</Td>
                      <Td dataLabel="Memory used">
                        <Progress value={memory.percent} size="sm" measureLocation={ProgressMeasureLocation.none} aria-label={`${host.name} memory used`} aria-valuetext={memory.words} />
                        <span className="vmctl-small" data-testid="host-memory" style={{ whiteSpace: "nowrap" }}>{memory.words}</span>
                      </Td>
                      <Td dataLabel="VMs" data-testid="host-vms" modifier="nowrap">{vmCountWords(host)}</Td>
                      <Td dataLabel="Tags">
                        {host.tags.length ? <LabelGroup aria-label={`Tags of ${host.name}`} numLabels={4}>{host.tags.map((t) => <Label key={t} isCompact color="blue">{t}</Label>)}</LabelGroup> : <span className="vmctl-muted">none</span>}
                      </Td>
                      {mayChange ? <Td dataLabel="Actions" isActionCell><HostActions host={host} onMaintenance={(h, enabled) => setAsking({ host: h, enabled })} /></Td> : null}
                    </Tr>
                  );
                })}
              </Tbody>
            </Table>
          </div>
        )}
    </PageSection>
  );
}
