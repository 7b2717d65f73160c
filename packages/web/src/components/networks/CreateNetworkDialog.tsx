// Create a network: its name and kind, then what that kind needs (a subnet for nat and isolated,
// an existing bridge for bridge, a parent network and a VLAN tag for a port group). vmctld checks
// everything; what it refuses is shown at the field it names, and the dialog stays open.
import { useState } from "react";
import { Alert, FormGroup, FormSelect, FormSelectOption, TextInput } from "@patternfly/react-core";
import type { Network, NetworkCreateRequest, NetworkKind } from "@vmctl/api-types";
import { client } from "../../api/http";
import { kindLabel, refusedField, type NetworkField } from "../../api/networks";
import { ActionModal } from "../shared/ActionModal";
import { NAME_ADVICE, NAME_RULE, hint } from "../shared/form-help";

const KINDS: Array<{ kind: NetworkKind; label: string; about: string }> = [
  { kind: "isolated", label: "Isolated", about: "A bridge vmctld makes, with DHCP and DNS, and no way out: its VMs reach each other and the host." },
  { kind: "nat", label: "NAT", about: "A bridge vmctld makes, with DHCP and DNS, masqueraded to the host's uplink; port forwards reach its VMs." },
  { kind: "bridge", label: "Bridge", about: "An existing Linux bridge of this host (the LAN): VMs appear on it as machines of their own." },
  { kind: "portgroup", label: "Port group", about: "A VLAN on another network: VMs on different tags cannot reach each other." },
  { kind: "user", label: "NAT (user mode)", about: "QEMU's own NAT: needs no root, and nothing reaches the VM from outside." },
];

/** VLAN tags as the API takes them. */
const VLAN = /^[0-9]{1,4}$/;
const vlanOk = (text: string) => VLAN.test(text) && Number(text) >= 1 && Number(text) <= 4094;

export function CreateNetworkDialog({ networks, onCreated, onClose }: { networks: Network[]; onCreated: () => void; onClose: () => void }) {
  const [name, setName] = useState("");
  const [kind, setKind] = useState<NetworkKind>("isolated");
  const [subnet, setSubnet] = useState("");
  const [bridge, setBridge] = useState("");
  const [parents] = useState(() => networks.filter((n) => n.kind !== "portgroup" && n.kind !== "user"));
  const [parent, setParent] = useState(parents[0]?.name ?? "");
  const [vlan, setVlan] = useState("");
  const [refusal, setRefusal] = useState<{ field: NetworkField | undefined; message: string } | null>(null);
  // The fields this kind shows; a refusal about any other goes above the form.
  const shown: NetworkField[] = ["name", ...(kind === "nat" || kind === "isolated" ? ["subnet" as const] : []), ...(kind === "bridge" ? ["bridge" as const, "vlan" as const] : []), ...(kind === "portgroup" ? ["parent" as const, "vlan" as const] : [])];
  const about = KINDS.find((k) => k.kind === kind)!.about;
  const request: NetworkCreateRequest = {
    name: name.trim(), kind,
    ...((kind === "nat" || kind === "isolated") && subnet.trim() ? { subnet: subnet.trim() } : {}),
    ...(kind === "bridge" ? { bridge: bridge.trim() } : {}),
    ...(kind === "portgroup" ? { parent } : {}),
    ...((kind === "portgroup" || kind === "bridge") && vlan.trim() ? { vlan: Number(vlan.trim()) } : {}),
  };
  const nameBad = name !== "" && !NAME_RULE.test(name.trim());
  const vlanBad = vlan.trim() !== "" && !vlanOk(vlan.trim());
  const ready = name.trim() !== "" && !nameBad && !vlanBad && (kind !== "bridge" || bridge.trim() !== "") && (kind !== "portgroup" || (parent !== "" && vlan.trim() !== ""));
  // What vmctld said, at the field it names (the message already names the field and the fix).
  const at = (field: NetworkField) => (refusal && refusal.field === field ? refusal.message : undefined);
  const field = (f: NetworkField, own: string | undefined, help: string) => {
    const message = at(f) ?? own;
    return { validated: message ? ("error" as const) : ("default" as const), help: hint(message ?? help, message !== undefined) };
  };
  const edit = <T,>(set: (v: T) => void) => (v: T) => { set(v); setRefusal(null); };
  const nameField = field("name", nameBad ? NAME_ADVICE : undefined, NAME_ADVICE);
  const subnetField = field("subnet", undefined, "An IPv4 subnet, e.g. 10.77.0.0/24; the gateway is its first address. Empty: vmctld picks a free /24 in 10.0.0.0/8.");
  const bridgeField = field("bridge", undefined, "The name of a Linux bridge that exists on this host, e.g. br0.");
  const parentField = field("parent", undefined, "The network whose bridge the port group tags its VMs on.");
  const vlanField = field("vlan", vlanBad ? "A VLAN tag is a whole number from 1 to 4094." : undefined, kind === "portgroup" ? "The VLAN tag, 1 to 4094." : "Optional: tag the VMs' traffic with this VLAN (1 to 4094).");
  return (
    <ActionModal title="Create a network" size="medium" submitLabel="Create network" busyLabel="Creating…" isDisabled={!ready}
      onSubmit={async () => {
        setRefusal(null);
        try {
          await client.createNetwork(request);
          onCreated();
          return true;
        } catch (error) {
          setRefusal({ field: refusedField(error), message: (error as Error).message });
          return false;
        }
      }}
      onClose={onClose}>
      {refusal && (refusal.field === undefined || !shown.includes(refusal.field)) ? (
        <Alert isInline variant="danger" title="vmctld did not create the network" data-testid="network-refusal">{refusal.message}</Alert>
      ) : null}
      <FormGroup label="Name" isRequired fieldId="network-name">
        <TextInput id="network-name" value={name} onChange={(_e, v) => edit(setName)(v)} placeholder="lab" validated={nameField.validated} />
        {nameField.help}
      </FormGroup>
      <FormGroup label="Kind" isRequired fieldId="network-kind">
        <FormSelect id="network-kind" value={kind} onChange={(_e, v) => edit(setKind)(v as NetworkKind)}>
          {KINDS.map((k) => <FormSelectOption key={k.kind} value={k.kind} label={k.label} />)}
        </FormSelect>
        {hint(about)}
      </FormGroup>
      {kind === "nat" || kind === "isolated" ? (
        <FormGroup label="Subnet" fieldId="network-subnet">
          <TextInput id="network-subnet" value={subnet} onChange={(_e, v) => edit(setSubnet)(v)} placeholder="10.77.0.0/24" validated={subnetField.validated} />
          {subnetField.help}
        </FormGroup>
      ) : null}
      {kind === "bridge" ? (
        <FormGroup label="Bridge" isRequired fieldId="network-bridge">
          <TextInput id="network-bridge" value={bridge} onChange={(_e, v) => edit(setBridge)(v)} placeholder="br0" validated={bridgeField.validated} />
          {bridgeField.help}
        </FormGroup>
      ) : null}
      {kind === "portgroup" ? (
        <FormGroup label="Parent network" isRequired fieldId="network-parent">
          <FormSelect id="network-parent" value={parent} onChange={(_e, v) => edit(setParent)(v)} validated={parentField.validated}>
            {parents.length === 0 ? <FormSelectOption value="" label="No network can carry port groups" isDisabled /> : null}
            {parents.map((n) => <FormSelectOption key={n.name} value={n.name} label={`${n.name} (${kindLabel(n)})`} />)}
          </FormSelect>
          {parentField.help}
        </FormGroup>
      ) : null}
      {kind === "portgroup" || kind === "bridge" ? (
        <FormGroup label="VLAN" isRequired={kind === "portgroup"} fieldId="network-vlan">
          <TextInput id="network-vlan" value={vlan} inputMode="numeric" onChange={(_e, v) => edit(setVlan)(v)} placeholder="10" validated={vlanField.validated} />
          {vlanField.help}
        </FormGroup>
      ) : null}
    </ActionModal>
  );
}
