// The Hardware tab: what the VM is made of, from its validated definition; disks and CD drives from
// their images, with the actions that change them. Other changes go through the definition editor.
import { useState, type ReactNode } from "react";
import { Alert, Button, DescriptionList, Label, Title } from "@patternfly/react-core";
import type { VmDetail, VmSummary, VmctlEvent } from "@vmctl/api-types";
import { keyInWords } from "../../api/cloud-init";
import { useApi } from "../../api/use-api";
import { client } from "../../api/http";
import { readHardware, type Hardware } from "../../api/hardware";
import { formatBytes } from "../../format";
import { useLiveEvents } from "../../state/host-data";
import { LoadError, Loading } from "../shared/states";
import { Fact } from "../shared/Fact";
import { HardwareStorage } from "./HardwareStorage";
import { HardwareNics } from "./HardwareNics";
import { useSession } from "../../state/session";

const Section = ({ title, children }: { title: string; children: ReactNode }) => (
  <section aria-label={title} style={{ marginTop: 24 }}>
    <Title headingLevel="h2" size="lg" style={{ marginBottom: 8 }}>{title}</Title>
    {children}
  </section>
);

const onOff = (value: boolean | undefined) => (value === undefined ? "-" : value ? <Label isCompact color="green">on</Label> : <Label isCompact>off</Label>);

function boot(hw: Hardware): string {
  if (hw.boot.kernel) return `kernel ${hw.boot.kernel}${hw.boot.initrd ? ` with ${hw.boot.initrd}` : ""}${hw.boot.datastore ? ` (datastore ${hw.boot.datastore})` : ""}`;
  return hw.boot.order.length ? hw.boot.order.join(", then ") : "firmware default";
}

type CloudInitTable = NonNullable<NonNullable<VmDetail["definition"]>["cloud_init"]>;
const HIDDEN = /^\(hidden/;

/** The first-boot settings vmctld's seed gives the guest, in words (no key's bytes; a hash only as set or hidden). */
function CloudInitSection({ table }: { table: CloudInitTable }) {
  const keys = (list: string[]) => (list.length ? list.map(keyInWords).join(", ") : "no SSH key");
  return (
    <Section title="First boot (cloud-init)">
      <DescriptionList isCompact columnModifier={{ default: "2Col" }} aria-label="First boot (cloud-init)" data-testid="cloud-init">
        <Fact term="Host name">{table.hostname}</Fact>
        {table.users.map((u) => (
          <Fact key={u.name} term={`User ${u.name}`}>
            {keys(u.ssh_authorized_keys)}; password {u.password_hash === undefined ? "locked" : HIDDEN.test(u.password_hash) ? "set (hidden from you)" : "set (a hash)"}{u.sudo ? "; may sudo" : ""}
          </Fact>
        ))}
        {table.ssh_authorized_keys.length ? <Fact term="The image's default user">{keys(table.ssh_authorized_keys)}</Fact> : null}
        {table.packages.length ? <Fact term="Packages installed">{table.packages.join(", ")}</Fact> : null}
        {table.user_data !== undefined ? <Fact term="User data">given as written{HIDDEN.test(table.user_data) ? " (hidden from you)" : ""}</Fact> : null}
        {table.network_config !== undefined ? <Fact term="Network config">given as written</Fact> : null}
      </DescriptionList>
    </Section>
  );
}

export function VmHardware({ vm, canEdit, onEdit }: { vm: VmSummary; canEdit: boolean; onEdit?: () => void }) {
  const name = vm.name;
  const { can } = useSession();
  // The definition changes with an edit, a MAC written back at first start, a disk or medium
  // changed, a snapshot reverted: every change of this VM is an event.
  const [version, setVersion] = useState(0);
  useLiveEvents((event: VmctlEvent) => { if (event.vm === name && event.type.startsWith("vm.")) setVersion((v) => v + 1); });
  const { data, error, reload } = useApi(() => client.getVm(name), ["vm", name], version);
  const disks = useApi(() => client.listDisks(name), ["disks", name], version);
  // The networks, for their kinds; a user who may not read the host sees the NICs without them.
  const networks = useApi(can("host.read") ? () => client.listNetworks() : null, ["networks"], version);
  // Each NIC's link as vmctld has it, and the VM's port forwards (a vmctld without them: left out).
  const nics = useApi(() => client.listNics(name), ["nics", name], version);
  const forwards = useApi(() => client.listPortForwards(name), ["port-forwards", name], version);
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

      <HardwareStorage vm={vm} disks={disks.data} error={disks.error} reload={disks.reload} canEdit={canEdit} />

      <HardwareNics vm={vm} nics={hw.nics} live={nics.data} networks={networks.data} forwards={forwards.data} canEdit={canEdit && !vm.template} onChanged={() => setVersion((v) => v + 1)} />

      {data.definition?.cloud_init ? <CloudInitSection table={data.definition.cloud_init} /> : null}

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
