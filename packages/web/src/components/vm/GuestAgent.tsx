// The QEMU guest agent of a VM, as the Overview tab shows it: "connected" with the OS and host name
// the agent reports, or "not connected" with what that means. The list carries only whether it is
// connected; the OS and host name come from the VM's detail, read again when that changes.
import { Label, Tooltip } from "@patternfly/react-core";
import type { VmSummary } from "@vmctl/api-types";
import { client } from "../../api/http";
import { useApi } from "../../api/use-api";

const NOT_CONNECTED = "No QEMU guest agent answers in this VM: addresses then come from DHCP only, a stop presses the ACPI power button, and snapshots do not freeze its filesystems. Install qemu-guest-agent in the guest.";

export function GuestAgent({ vm, running }: { vm: VmSummary; running: boolean }) {
  const connected = running && vm.agent?.connected === true;
  const detail = useApi(connected ? () => client.getVm(vm.name) : null, ["vm-agent", vm.name], connected);
  if (!running) return <span data-testid="guest-agent">-</span>;
  if (!connected) {
    return (
      <Tooltip content={NOT_CONNECTED}>
        <span data-testid="guest-agent" tabIndex={0}><Label isCompact color="grey">not connected</Label></span>
      </Tooltip>
    );
  }
  const agent = detail.data?.agent;
  const os = agent?.os ? `${agent.os.name}${agent.os.version ? ` ${agent.os.version}` : ""}` : undefined;
  return (
    <span data-testid="guest-agent">
      <Label isCompact color="green">connected</Label>
      {os || agent?.hostname ? <span style={{ marginLeft: 8 }}>{[os, agent?.hostname ? `host name ${agent.hostname}` : undefined].filter(Boolean).join(", ")}</span> : null}
    </span>
  );
}
