// The Hardware tab's network adapters: each NIC with its network (and that network's kind), model,
// MAC, and the IP addresses vmctld knows for it (a DHCP lease or the guest agent's report).
import { Button, Label, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { Network, VmSummary } from "@vmctl/api-types";
import { addressesOf, kindLabel, nicNetwork } from "../../api/networks";
import type { Nic } from "../../api/hardware";
import { navigate } from "../../state/router";
import { Addresses } from "./Addresses";

const MODEL = { virtio: "virtio", e1000: "Intel e1000", rtl8139: "Realtek RTL8139" } as const;

export function HardwareNics({ vm, nics, networks }: { vm: VmSummary; nics: Nic[]; networks: Network[] | undefined }) {
  const addresses = addressesOf(vm);
  return (
    <section aria-label="Network adapters">
      <div style={{ display: "flex", alignItems: "center", gap: 12, margin: "24px 0 8px" }}>
        <Title headingLevel="h2" size="lg" style={{ marginRight: "auto" }}>Network adapters</Title>
      </div>
      {nics.length === 0 ? <p className="vmctl-muted">No network adapters: the VM is offline.</p> : (
        <Table variant="compact" aria-label="Network adapters" data-testid="nics">
          <Thead><Tr><Th>Device</Th><Th>Network</Th><Th>Model</Th><Th>MAC address</Th><Th>IP addresses</Th></Tr></Thead>
          <Tbody>
            {nics.map((n) => {
              const name = nicNetwork(n.network, networks);
              const network = networks?.find((x) => x.name === name);
              return (
                <Tr key={n.id} data-nic={n.id}>
                  <Td dataLabel="Device">{n.id}</Td>
                  <Td dataLabel="Network">
                    {networks ? <Button variant="link" isInline component="a" href="/ui/networks" onClick={(e) => { e.preventDefault(); navigate("/ui/networks"); }}>{name}</Button> : name}
                    {network ? <span className="vmctl-muted"> ({kindLabel(network)})</span> : networks ? <Label isCompact color="red" style={{ marginLeft: 8 }}>no such network</Label> : null}
                  </Td>
                  <Td dataLabel="Model">{MODEL[n.model] ?? n.model}</Td>
                  <Td dataLabel="MAC address"><code>{n.mac === "auto" ? "assigned at first start" : n.mac}</code></Td>
                  <Td dataLabel="IP addresses"><Addresses addresses={addresses.filter((a) => a.nic === n.id)} testId={`addresses-${n.id}`} /></Td>
                </Tr>
              );
            })}
          </Tbody>
        </Table>
      )}
    </section>
  );
}
