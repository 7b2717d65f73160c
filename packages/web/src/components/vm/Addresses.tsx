// A VM's (or one NIC's) IP addresses, each with where vmctld learnt it (a DHCP lease or the guest
// agent) as a small label; "—" while none is known.
import { Label, Tooltip } from "@patternfly/react-core";
import type { Address } from "../../api/networks";

const SOURCE = {
  dhcp: "the lease vmctld's DHCP server gave this adapter",
  agent: "reported by the QEMU guest agent inside the VM",
} as const;

export function Addresses({ addresses, testId }: { addresses: Address[]; testId?: string }) {
  if (addresses.length === 0) return <span className="vmctl-muted" data-testid={testId} aria-label="no IP address known">—</span>;
  return (
    <span className="vmctl-addresses" data-testid={testId}>
      {addresses.map((a) => (
        <span key={`${a.nic}-${a.ip}`} className="vmctl-address">
          <code>{a.ip}</code>
          <Tooltip content={`${a.nic}: ${SOURCE[a.source] ?? a.source}`}><Label isCompact variant="outline" color={a.source === "agent" ? "teal" : "blue"} tabIndex={0}>{a.source}</Label></Tooltip>
        </span>
      ))}
    </span>
  );
}
