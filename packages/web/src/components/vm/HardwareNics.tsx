// The Hardware tab's network adapters: each NIC with its network (and that network's kind), model,
// MAC, link and the IP addresses vmctld knows for it (a DHCP lease or the guest agent's report);
// add one (plugged in at once while the VM runs), remove one, pull or plug its cable; and the VM's
// port forwards (host port → guest port on its NIC of a nat network), added and removed here.
import { useState } from "react";
import { Button, FormGroup, FormSelect, FormSelectOption, Label, TextInput, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { Network, NicInfo, PortForward, VmSummary } from "@vmctl/api-types";
import { client } from "../../api/http";
import { addressesOf, kindLabel, nicNetwork } from "../../api/networks";
import type { Nic } from "../../api/hardware";
import { navigate } from "../../state/router";
import { useAction, type RunAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { ExplainedButton } from "../shared/ExplainedButton";
import { hint } from "../shared/form-help";
import { hasQemu } from "./abilities";
import { Addresses } from "./Addresses";

const MODEL = { virtio: "virtio", e1000: "Intel e1000", rtl8139: "Realtek RTL8139" } as const;
const MAC = /^[0-9a-fA-F][02468aceACE](:[0-9a-fA-F]{2}){5}$/;

type Dialog = { kind: "add" } | { kind: "remove"; nic: Nic } | { kind: "add-forward" } | { kind: "remove-forward"; forward: PortForward };

function SectionHead({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div style={{ display: "flex", alignItems: "center", gap: 12, margin: "24px 0 8px" }}>
      <Title headingLevel="h2" size="lg" style={{ marginRight: "auto" }}>{title}</Title>
      {children}
    </div>
  );
}

export interface NicsProps {
  vm: VmSummary;
  /** From the definition. */
  nics: Nic[];
  /** GET …/nics: each NIC's link (and tap) as vmctld has it; undefined when it cannot be read. */
  live: NicInfo[] | undefined;
  networks: Network[] | undefined;
  forwards: PortForward[] | undefined;
  canEdit: boolean;
  /** After a change of this user's: read the NICs and forwards again (a port forward is no VM event). */
  onChanged: () => void;
}

export function HardwareNics({ vm, nics, live, networks, forwards, canEdit, onChanged }: NicsProps) {
  const action = useAction();
  const run: RunAction = async (what, work) => { const done = await action(what, work); if (done !== undefined) onChanged(); return done; };
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const close = () => setDialog(null);
  const addresses = addressesOf(vm);
  const why = vm.template ? "A template does not change; convert it to a VM first." : vm.state === "paused" || vm.state === "suspended" ? `Not while the VM is ${vm.state}.` : null;
  const running = hasQemu(vm);
  const setLink = (nic: Nic, link: "up" | "down") => void run(`set the link of ${nic.id} ${link}`, () => client.setNicLink(vm.name, nic.id, link));
  return (
    <>
      <section aria-label="Network adapters">
        <SectionHead title="Network adapters">
          {canEdit ? <ExplainedButton variant="secondary" why={why} onClick={() => setDialog({ kind: "add" })}>Add network adapter</ExplainedButton> : null}
        </SectionHead>
        {nics.length === 0 ? <p className="vmctl-muted">No network adapters: the VM is offline.</p> : (
          <Table variant="compact" aria-label="Network adapters" data-testid="nics">
            <Thead><Tr><Th modifier="nowrap">Device</Th><Th>Network</Th><Th>Model</Th><Th modifier="nowrap">MAC address</Th><Th>Link</Th><Th modifier="nowrap">IP addresses</Th>{canEdit ? <Th screenReaderText="Actions" /> : null}</Tr></Thead>
            <Tbody>
              {nics.map((n) => {
                const name = nicNetwork(n.network, networks);
                const network = networks?.find((x) => x.name === name);
                const link = live?.find((x) => x.id === n.id)?.link ?? (n as { link?: "up" | "down" }).link ?? "up";
                return (
                  <Tr key={n.id} data-nic={n.id}>
                    <Td dataLabel="Device">{n.id}</Td>
                    <Td dataLabel="Network">
                      {networks ? <Button variant="link" isInline component="a" href="/ui/networks" onClick={(e) => { e.preventDefault(); navigate("/ui/networks"); }}>{name}</Button> : name}
                      {network ? <span className="vmctl-muted"> ({kindLabel(network)})</span> : networks ? <Label isCompact color="red" style={{ marginLeft: 8 }}>no such network</Label> : null}
                    </Td>
                    <Td dataLabel="Model">{MODEL[n.model] ?? n.model}</Td>
                    <Td dataLabel="MAC address"><code>{n.mac === "auto" ? "assigned at first start" : n.mac}</code></Td>
                    <Td dataLabel="Link" data-testid={`link-${n.id}`}>{link === "up" ? <Label isCompact color="green">up</Label> : <Label isCompact color="orange">down (cable pulled)</Label>}</Td>
                    <Td dataLabel="IP addresses"><Addresses addresses={addresses.filter((a) => a.nic === n.id)} testId={`addresses-${n.id}`} /></Td>
                    {canEdit ? (
                      <Td dataLabel="Actions" isActionCell>
                        <div className="vmctl-row-actions">
                          <ExplainedButton size="sm" variant="secondary" why={why} aria-label={link === "up" ? `Pull the cable of ${n.id}` : `Plug in the cable of ${n.id}`}
                            onClick={() => setLink(n, link === "up" ? "down" : "up")}>{link === "up" ? "Link down" : "Link up"}</ExplainedButton>
                          <ExplainedButton size="sm" variant="secondary" isDanger why={why} aria-label={`Remove ${n.id}`} onClick={() => setDialog({ kind: "remove", nic: n })}>Remove</ExplainedButton>
                        </div>
                      </Td>
                    ) : null}
                  </Tr>
                );
              })}
            </Tbody>
          </Table>
        )}
      </section>
      {forwards !== undefined && (forwards.length > 0 || canEdit) ? (
        <section aria-label="Port forwards">
          <SectionHead title="Port forwards">
            {canEdit ? <ExplainedButton variant="secondary" why={vm.template ? "A template does not change; convert it to a VM first." : null} onClick={() => setDialog({ kind: "add-forward" })}>Add port forward</ExplainedButton> : null}
          </SectionHead>
          {forwards.length === 0 ? <p className="vmctl-muted">None: add one to reach a port of the guest through a port of this host (for a NIC on a NAT network).</p> : (
            <Table variant="compact" aria-label="Port forwards" data-testid="port-forwards">
              <Thead><Tr><Th>Host</Th><Th>Guest</Th><Th>Adapter</Th><Th>State</Th>{canEdit ? <Th screenReaderText="Actions" /> : null}</Tr></Thead>
              <Tbody>
                {forwards.map((f) => (
                  <Tr key={f.id} data-forward={f.id}>
                    <Td dataLabel="Host"><code>{f.hostAddress ?? "every address"}:{f.hostPort}</code> <span className="vmctl-muted">{f.protocol.toUpperCase()}</span></Td>
                    <Td dataLabel="Guest"><code>{f.guestAddress ?? "the guest"}:{f.guestPort}</code></Td>
                    <Td dataLabel="Adapter">{f.nic}{f.network ? <span className="vmctl-muted"> on {f.network}</span> : null}</Td>
                    <Td dataLabel="State">{f.active ? <Label isCompact color="green">active</Label> : <Label isCompact>inactive</Label>}{f.active ? null : <div className="vmctl-muted vmctl-small">{f.network ? "until the network is up" : "its NIC is not on a NAT network"}</div>}</Td>
                    {canEdit ? <Td dataLabel="Actions" isActionCell><Button size="sm" variant="secondary" isDanger aria-label={`Remove the forward of port ${f.hostPort}`} onClick={() => setDialog({ kind: "remove-forward", forward: f })}>Remove</Button></Td> : null}
                  </Tr>
                ))}
              </Tbody>
            </Table>
          )}
        </section>
      ) : null}
      {dialog?.kind === "add" ? <AddNicDialog vm={vm.name} running={running} networks={networks} run={run} onClose={close} /> : null}
      {dialog?.kind === "remove" ? (
        <ActionModal title={`Remove ${dialog.nic.id} from ${vm.name}?`} danger submitLabel="Remove" busyLabel="Removing…"
          onSubmit={async () => (await run(`remove ${dialog.nic.id}`, () => client.removeNic(vm.name, dialog.nic.id))) !== undefined} onClose={close}>
          <p>The guest loses the adapter <strong>{dialog.nic.id}</strong> ({dialog.nic.mac}){running ? ", unplugged at once" : ""}. Its port forwards stop working.</p>
        </ActionModal>
      ) : null}
      {dialog?.kind === "add-forward" ? <AddForwardDialog vm={vm.name} run={run} onClose={close} /> : null}
      {dialog?.kind === "remove-forward" ? (
        <ActionModal title={`Remove the forward of port ${dialog.forward.hostPort}?`} danger submitLabel="Remove" busyLabel="Removing…"
          onSubmit={async () => (await run(`remove the port forward`, () => client.removePortForward(vm.name, dialog.forward.id))) !== undefined} onClose={close}>
          <p>Port {dialog.forward.hostPort}/{dialog.forward.protocol} of this host no longer reaches port {dialog.forward.guestPort} of {vm.name}.</p>
        </ActionModal>
      ) : null}
    </>
  );
}

function AddNicDialog({ vm, running, networks, run, onClose }: { vm: string; running: boolean; networks: Network[] | undefined; run: RunAction; onClose: () => void }) {
  const [network, setNetwork] = useState(networks?.[0]?.name ?? "default");
  const [model, setModel] = useState<"virtio" | "e1000" | "rtl8139">("virtio");
  const [mac, setMac] = useState("");
  const macBad = mac.trim() !== "" && !MAC.test(mac.trim());
  return (
    <ActionModal title={`Add a network adapter to ${vm}`} size="medium" submitLabel="Add network adapter" busyLabel="Adding…" isDisabled={!network || macBad}
      description={running ? "The VM runs: the adapter is plugged in at once, as a new PCI device the guest sees." : undefined}
      onSubmit={async () => (await run(`add a network adapter to ${vm}`, () => client.addNic(vm, { network, model, ...(mac.trim() ? { mac: mac.trim() } : {}) }))) !== undefined} onClose={onClose}>
      <FormGroup label="Network" isRequired fieldId="nic-network">
        {networks ? (
          <FormSelect id="nic-network" value={network} onChange={(_e, v) => setNetwork(v)}>
            {networks.map((n) => <FormSelectOption key={n.name} value={n.name} label={`${n.name} — ${kindLabel(n)}`} />)}
          </FormSelect>
        ) : <TextInput id="nic-network" value={network} onChange={(_e, v) => setNetwork(v)} />}
      </FormGroup>
      <FormGroup label="Model" fieldId="nic-model">
        <FormSelect id="nic-model" value={model} onChange={(_e, v) => setModel(v as typeof model)}>
          <FormSelectOption value="virtio" label="virtio (fastest; needs virtio drivers)" />
          <FormSelectOption value="e1000" label="Intel e1000 (every guest has a driver)" />
          <FormSelectOption value="rtl8139" label="Realtek RTL8139 (old guests)" />
        </FormSelect>
      </FormGroup>
      <FormGroup label="MAC address (optional)" fieldId="nic-mac">
        <TextInput id="nic-mac" value={mac} placeholder="52:54:00:…" onChange={(_e, v) => setMac(v)} validated={macBad ? "error" : "default"} />
        {hint(macBad ? "A unicast MAC written with colons, e.g. 52:54:00:12:34:56." : "Empty: vmctld allocates one no other adapter on this host has.", macBad)}
      </FormGroup>
    </ActionModal>
  );
}

const PORT = /^[0-9]{1,5}$/;
const portOk = (text: string) => PORT.test(text) && Number(text) >= 1 && Number(text) <= 65535;

function AddForwardDialog({ vm, run, onClose }: { vm: string; run: RunAction; onClose: () => void }) {
  const [hostPort, setHostPort] = useState("");
  const [guestPort, setGuestPort] = useState("22");
  const [protocol, setProtocol] = useState<"tcp" | "udp">("tcp");
  const [hostAddress, setHostAddress] = useState("");
  const bad = (text: string) => text.trim() !== "" && !portOk(text.trim());
  return (
    <ActionModal title={`Forward a host port to ${vm}`} size="medium" submitLabel="Add port forward" busyLabel="Adding…" isDisabled={!portOk(hostPort.trim()) || !portOk(guestPort.trim())}
      description="For the VM's adapter on a NAT network: connections to the host's port reach the guest's."
      onSubmit={async () => (await run(`forward port ${hostPort} to ${vm}`, () => client.addPortForward(vm, { hostPort: Number(hostPort.trim()), guestPort: Number(guestPort.trim()), protocol, ...(hostAddress.trim() ? { hostAddress: hostAddress.trim() } : {}) }))) !== undefined}
      onClose={onClose}>
      <FormGroup label="Host port" isRequired fieldId="pf-host-port">
        <TextInput id="pf-host-port" value={hostPort} inputMode="numeric" placeholder="2222" onChange={(_e, v) => setHostPort(v)} validated={bad(hostPort) ? "error" : "default"} />
        {hint(bad(hostPort) ? "A port from 1 to 65535." : "Below 1024 needs an administrator.", bad(hostPort))}
      </FormGroup>
      <FormGroup label="Guest port" isRequired fieldId="pf-guest-port">
        <TextInput id="pf-guest-port" value={guestPort} inputMode="numeric" onChange={(_e, v) => setGuestPort(v)} validated={bad(guestPort) ? "error" : "default"} />
        {bad(guestPort) ? hint("A port from 1 to 65535.", true) : null}
      </FormGroup>
      <FormGroup label="Protocol" fieldId="pf-protocol">
        <FormSelect id="pf-protocol" value={protocol} onChange={(_e, v) => setProtocol(v as "tcp" | "udp")}>
          <FormSelectOption value="tcp" label="TCP" />
          <FormSelectOption value="udp" label="UDP" />
        </FormSelect>
      </FormGroup>
      <FormGroup label="Host address (optional)" fieldId="pf-host-address">
        <TextInput id="pf-host-address" value={hostAddress} placeholder="every address of the host" onChange={(_e, v) => setHostAddress(v)} />
        {hint("One of the host's IPv4 addresses (127.0.0.1 for this host only); empty: every address, loopback included.")}
      </FormGroup>
    </ActionModal>
  );
}
