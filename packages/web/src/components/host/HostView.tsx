// The host: versions, the accelerator in use and why, CPUs, memory, datastores with capacity, VMs by state.
import { useEffect, useState } from "react";
import { Alert, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, Label, PageSection, Progress, Spinner, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { Datastore, HostInfo } from "@vmctl/api-types";
import { api } from "../../api/http";

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

export function HostView() {
  const [host, setHost] = useState<HostInfo | null>(null);
  const [datastores, setDatastores] = useState<Datastore[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<HostInfo>("GET", "/api/v1/host").then(setHost, (e: Error) => setError(e.message));
    api<{ datastores: Datastore[] }>("GET", "/api/v1/datastores").then((a) => setDatastores(a.datastores), () => {});
  }, []);
  if (error) return <PageSection><Alert variant="danger" title="Cannot read the host">{error}</Alert></PageSection>;
  if (!host) return <PageSection><Spinner aria-label="Loading" /></PageSection>;
  return (
    <PageSection>
      <Title headingLevel="h1">Host {host.hostname}</Title>
      <DescriptionList isHorizontal style={{ marginTop: 16 }} aria-label="Host facts">
        <DescriptionListGroup><DescriptionListTerm>vmctl</DescriptionListTerm><DescriptionListDescription>{host.version} (Node.js {host.nodeVersion}, QEMU {host.qemuVersion ?? "not found"})</DescriptionListDescription></DescriptionListGroup>
        <DescriptionListGroup><DescriptionListTerm>Accelerator</DescriptionListTerm><DescriptionListDescription><Label color={host.accelerator.kind === "kvm" ? "green" : "orange"}>{host.accelerator.kind.toUpperCase()}</Label> {host.accelerator.reason}</DescriptionListDescription></DescriptionListGroup>
        <DescriptionListGroup><DescriptionListTerm>CPUs</DescriptionListTerm><DescriptionListDescription>{host.cpus}</DescriptionListDescription></DescriptionListGroup>
        <DescriptionListGroup><DescriptionListTerm>Memory</DescriptionListTerm><DescriptionListDescription>{gib(host.memoryBytes)}</DescriptionListDescription></DescriptionListGroup>
        <DescriptionListGroup><DescriptionListTerm>VMs</DescriptionListTerm><DescriptionListDescription>{Object.entries(host.vmsByState).map(([state, n]) => `${n} ${state}`).join(", ") || "none"}</DescriptionListDescription></DescriptionListGroup>
      </DescriptionList>
      <Title headingLevel="h2" size="lg" style={{ marginTop: 24 }}>Datastores</Title>
      <Table aria-label="Datastores" variant="compact">
        <Thead><Tr><Th>Name</Th><Th>Path</Th><Th>Used</Th><Th>Free</Th></Tr></Thead>
        <Tbody>
          {datastores.map((ds) => (
            <Tr key={ds.name}>
              <Td dataLabel="Name">{ds.name}</Td>
              <Td dataLabel="Path">{ds.path}</Td>
              <Td dataLabel="Used"><Progress value={ds.capacityBytes ? ((ds.capacityBytes - ds.freeBytes) / ds.capacityBytes) * 100 : 0} size="sm" aria-label={`${ds.name} used`} /></Td>
              <Td dataLabel="Free">{gib(ds.freeBytes)} of {gib(ds.capacityBytes)}</Td>
            </Tr>
          ))}
        </Tbody>
      </Table>
    </PageSection>
  );
}
