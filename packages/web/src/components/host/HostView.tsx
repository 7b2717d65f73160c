// The host: versions, the accelerator in use and why, CPUs, memory, datastores with capacity, VMs by state.
import { Button, DescriptionList, Label, PageSection, Progress, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { usedPercent } from "../../api/datastores";
import { useApi } from "../../api/use-api";
import { client } from "../../api/http";
import { navigate } from "../../state/router";
import { formatBytes } from "../../format";
import { Fact } from "../shared/Fact";
import { Empty, LoadError, Loading } from "../shared/states";

export function HostView() {
  const host = useApi(() => client.host(), ["host"]);
  const stores = useApi(() => client.datastores(), ["datastores"]);
  const info = host.data;
  return (
    <PageSection>
      <Title headingLevel="h1">{info ? `Host ${info.hostname}` : "Host"}</Title>
      {host.error && !info ? <LoadError what="the host" error={host.error} onRetry={host.reload} />
        : !info ? <Loading what="the host" lines={5} />
        : (
          <DescriptionList isHorizontal isCompact style={{ marginTop: 16 }} aria-label="Host facts">
            <Fact term="vmctl">{info.version} (Node.js {info.nodeVersion}, QEMU {info.qemuVersion ?? "not found"})</Fact>
            <Fact term="Accelerator"><Label color={info.accelerator.kind === "kvm" ? "green" : "orange"} isCompact>{info.accelerator.kind.toUpperCase()}</Label> {info.accelerator.reason}</Fact>
            <Fact term="CPUs">{info.cpus}</Fact>
            <Fact term="Memory">{formatBytes(info.memoryBytes)}</Fact>
            <Fact term="VMs">{Object.entries(info.vmsByState).map(([state, n]) => `${n} ${state}`).join(", ") || "none"}</Fact>
          </DescriptionList>
        )}
      <div style={{ display: "flex", alignItems: "baseline", gap: 16, marginTop: 24 }}>
        <Title headingLevel="h2" size="lg">Datastores</Title>
        <Button variant="link" isInline component="a" href="/ui/storage" onClick={(e) => { e.preventDefault(); navigate("/ui/storage"); }}>Manage them on the Storage page</Button>
      </div>
      {stores.error && !stores.data ? <LoadError what="the datastores" error={stores.error} onRetry={stores.reload} />
        : !stores.data ? <Loading what="datastores" lines={2} />
        : stores.data.datastores.length === 0 ? <Empty title="No datastores">Declare one in vmctld.toml under [datastores.NAME].</Empty>
        : (
          <Table aria-label="Datastores" variant="compact">
            <Thead><Tr><Th>Name</Th><Th>Path</Th><Th width={25}>Used</Th><Th>Free</Th></Tr></Thead>
            <Tbody>
              {stores.data.datastores.map((ds) => (
                <Tr key={ds.name}>
                  <Td dataLabel="Name">{ds.name}</Td>
                  <Td dataLabel="Path" modifier="breakWord"><code>{ds.path}</code></Td>
                  <Td dataLabel="Used"><Progress value={usedPercent(ds)} size="sm" aria-label={`${ds.name} used`} /></Td>
                  <Td dataLabel="Free">{formatBytes(ds.freeBytes)} of {formatBytes(ds.capacityBytes)}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
    </PageSection>
  );
}
