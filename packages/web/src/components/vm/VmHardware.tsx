// The Hardware tab: what the VM is made of, read-only, from its validated definition. Changes go
// through the definition editor, which checks them against the VM's state.
import { useState, type ReactNode } from "react";
import { Alert, Button, DescriptionList, Label, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { VmDetail, VmctlEvent } from "@vmctl/api-types";
import { useApi } from "../../api/use-api";
import { readHardware, type Hardware } from "../../api/hardware";
import { formatBytes } from "../../format";
import { useLiveEvents } from "../../state/host-data";
import { LoadError, Loading } from "../shared/states";
import { Fact } from "../shared/Fact";

const Section = ({ title, children }: { title: string; children: ReactNode }) => (
  <section aria-label={title} style={{ marginTop: 24 }}>
    <Title headingLevel="h2" size="lg" style={{ marginBottom: 8 }}>{title}</Title>
    {children}
  </section>
);

const None = ({ children }: { children: ReactNode }) => <p className="vmctl-muted">{children}</p>;
const onOff = (value: boolean | undefined) => (value === undefined ? "-" : value ? <Label isCompact color="green">on</Label> : <Label isCompact>off</Label>);

function boot(hw: Hardware): string {
  if (hw.boot.kernel) return `kernel ${hw.boot.kernel}${hw.boot.initrd ? ` with ${hw.boot.initrd}` : ""}${hw.boot.datastore ? ` (datastore ${hw.boot.datastore})` : ""}`;
  return hw.boot.order.length ? hw.boot.order.join(", then ") : "firmware default";
}

export function VmHardware({ name, onEdit }: { name: string; onEdit?: () => void }) {
  // The definition changes with an edit (vm.definition_changed) and a MAC written back at first start.
  const [version, setVersion] = useState(0);
  useLiveEvents((event: VmctlEvent) => { if (event.vm === name && /^vm\.(definition|state)/.test(event.type)) setVersion((v) => v + 1); });
  const { data, error, reload } = useApi<VmDetail>(`/api/v1/vms/${encodeURIComponent(name)}`, version);
  if (error && !data) return <LoadError what={`the hardware of ${name}`} error={error} onRetry={reload} />;
  if (!data) return <Loading what="the hardware" lines={5} />;
  const hw = readHardware(data.definition);
  if (!hw) {
    return (
      <Alert isInline variant="warning" title="The definition does not validate, so its hardware cannot be shown" style={{ marginTop: 16 }}>
        {data.definitionError ?? "It could not be read."} {onEdit ? <Button variant="link" isInline onClick={onEdit}>Fix it in the definition editor</Button> : null}
      </Alert>
    );
  }
  return (
    <div data-testid="hardware" style={{ marginTop: 16 }}>
      <DescriptionList isCompact columnModifier={{ default: "2Col" }} aria-label="Processor, memory and boot">
        <Fact term="CPUs">{hw.cpus ?? "-"}</Fact>
        <Fact term="Memory">{hw.memoryBytes !== undefined ? formatBytes(hw.memoryBytes) : hw.memory ?? "-"}</Fact>
        <Fact term="Machine">{hw.machine ?? "-"}</Fact>
        <Fact term="Firmware">{hw.firmware === "uefi" ? "UEFI" : hw.firmware === "bios" ? "BIOS" : "-"}</Fact>
        <Fact term="Accelerator">{hw.accel ?? "-"}</Fact>
        <Fact term="Boot">{boot(hw)}</Fact>
        {hw.boot.cmdline ? <Fact term="Kernel command line"><code>{hw.boot.cmdline}</code></Fact> : null}
      </DescriptionList>

      <Section title="Disks">
        {hw.disks.length === 0 ? <None>No disks.</None> : (
          <Table variant="compact" aria-label="Disks">
            <Thead><Tr><Th>Device</Th><Th>Image</Th><Th>Datastore</Th><Th>Bus</Th><Th>Format</Th><Th>Size</Th><Th>Mode</Th></Tr></Thead>
            <Tbody>
              {hw.disks.map((d) => (
                <Tr key={d.id}>
                  <Td dataLabel="Device">{d.id}</Td><Td dataLabel="Image" modifier="breakWord">{d.file}</Td><Td dataLabel="Datastore">{d.datastore ?? data.datastore}</Td>
                  <Td dataLabel="Bus">{d.bus ?? "-"}</Td><Td dataLabel="Format">{d.format ?? "-"}</Td>
                  <Td dataLabel="Size">{d.sizeBytes !== undefined ? formatBytes(d.sizeBytes) : d.size ?? "as the image is"}</Td>
                  <Td dataLabel="Mode">{d.readonly ? "read-only" : "read-write"}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </Section>

      <Section title="CD-ROMs">
        {hw.cdroms.length === 0 ? <None>No CD-ROM drives.</None> : (
          <Table variant="compact" aria-label="CD-ROM drives">
            <Thead><Tr><Th>Device</Th><Th>ISO image</Th><Th>Datastore</Th><Th>Bus</Th></Tr></Thead>
            <Tbody>
              {hw.cdroms.map((c) => (
                <Tr key={c.id}>
                  <Td dataLabel="Device">{c.id}</Td><Td dataLabel="ISO image" modifier="breakWord">{c.iso ?? <span className="vmctl-muted">empty drive</span>}</Td>
                  <Td dataLabel="Datastore">{c.iso ? c.datastore ?? data.datastore : "-"}</Td><Td dataLabel="Bus">{c.bus ?? "-"}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </Section>

      <Section title="Network adapters">
        {hw.nics.length === 0 ? <None>No network adapters: the VM is offline.</None> : (
          <Table variant="compact" aria-label="Network adapters">
            <Thead><Tr><Th>Device</Th><Th>Network</Th><Th>Model</Th><Th>MAC address</Th></Tr></Thead>
            <Tbody>
              {hw.nics.map((n) => (
                <Tr key={n.id}>
                  <Td dataLabel="Device">{n.id}</Td><Td dataLabel="Network">{n.network === "nat" ? "NAT (user mode)" : n.network ?? "-"}</Td>
                  <Td dataLabel="Model">{n.model ?? "-"}</Td><Td dataLabel="MAC address"><code>{n.mac === "auto" ? "assigned at first start" : n.mac ?? "-"}</code></Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      </Section>

      <Section title="Consoles and policy">
        <DescriptionList isCompact columnModifier={{ default: "2Col" }} aria-label="Consoles and policy">
          <Fact term="Serial console">{onOff(hw.console.serial)}</Fact>
          <Fact term="Graphical console (VNC)">{onOff(hw.console.vnc)}</Fact>
          <Fact term="Start with vmctld">{onOff(hw.policy.autostart)}</Fact>
          <Fact term="When QEMU crashes">{hw.policy.onCrash === "restart" ? "restart the VM" : hw.policy.onCrash === "stop" ? "leave it stopped" : "-"}</Fact>
          <Fact term="Graceful stop waits">{hw.policy.stopTimeout !== undefined ? `${hw.policy.stopTimeout} s, then forces` : "-"}</Fact>
        </DescriptionList>
      </Section>
      {onEdit ? <p style={{ marginTop: 24 }}>To change the hardware, <Button variant="link" isInline onClick={onEdit}>edit the definition</Button>.</p> : null}
    </div>
  );
}
