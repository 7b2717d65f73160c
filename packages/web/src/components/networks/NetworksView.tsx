// The Networks page: the host's networks with their kind in words, subnet, gateway, bridge, state
// (a failed one says why), where each is declared and which VMs use it; create one (the fields its
// kind needs; a refusal is shown at the field it names) and delete one added here, for users with
// network.write. Networks of vmctld.toml change there, so the browser does not delete them.
import { Fragment, useMemo, useState } from "react";
import { Alert, Button, Label, PageSection, Title, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import NetworkIcon from "@patternfly/react-icons/dist/esm/icons/network-icon";
import type { Network, VmDetail } from "@vmctl/api-types";
import { client } from "../../api/http";
import { useApi } from "../../api/use-api";
import { kindLabel, vmsByNetwork } from "../../api/networks";
import { useHostData, useLiveEvents } from "../../state/host-data";
import { navigate } from "../../state/router";
import { useSession } from "../../state/session";
import { useAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { ExplainedButton } from "../shared/ExplainedButton";
import { Empty, LoadError, Loading } from "../shared/states";
import { CreateNetworkDialog } from "./CreateNetworkDialog";

const ORIGIN = { default: { text: "default", color: "blue" }, config: { text: "vmctld.toml", color: "grey" }, added: { text: "added here", color: "purple" } } as const;
const STATE = { active: "green", inactive: "grey", failed: "red" } as const;
const DASH = "—";

/** Why a network cannot be deleted from the browser, or null when it can. */
export function notDeletable(network: Network): string | null {
  if (network.origin === "config") return `Declared in vmctld.toml: remove its [networks.${network.name}] table there and restart vmctld.`;
  if (network.origin === "default") return "The host's default network is always there (new VMs' NICs go on it).";
  return null;
}

function StateCell({ network }: { network: Network }) {
  return (
    <div data-testid="network-state">
      <Label isCompact color={STATE[network.state]}>{network.state}</Label>
      {network.state === "inactive" ? <div className="vmctl-muted vmctl-small">waits for a VM</div> : null}
    </div>
  );
}

/** The subnet, and under it the gateway; a port group's are its parent's. */
function SubnetCell({ network, parent }: { network: Network; parent: Network | undefined }) {
  const subnet = network.subnet ?? parent?.subnet;
  const gateway = network.gateway ?? parent?.gateway;
  if (!subnet) return network.kind === "user" ? <span className="vmctl-muted">QEMU's own (10.0.2.0/24)</span> : network.kind === "bridge" || parent?.kind === "bridge" ? <span className="vmctl-muted">the LAN's own</span> : <span>{DASH}</span>;
  return (
    <div>
      <code>{subnet}</code>{network.subnet ? null : <span className="vmctl-muted"> (of {parent?.name})</span>}
      <div className="vmctl-small" style={{ whiteSpace: "nowrap" }}><span className="vmctl-muted">gateway</span> {gateway ? <code>{gateway}</code> : DASH}</div>
    </div>
  );
}

function VmLinks({ names }: { names: string[] | undefined }) {
  if (!names?.length) return <span className="vmctl-muted">none</span>;
  return (
    <span style={{ display: "inline-flex", flexWrap: "wrap", gap: "0 8px" }}>
      {names.map((vm) => (
        <Button key={vm} variant="link" isInline component="a" href={`/ui/vms/${encodeURIComponent(vm)}`} onClick={(e) => { e.preventDefault(); navigate(`/ui/vms/${encodeURIComponent(vm)}`); }}>{vm}</Button>
      ))}
    </span>
  );
}

export function NetworksView() {
  const { can } = useSession();
  const { vms } = useHostData();
  const run = useAction();
  const [version, setVersion] = useState(0);
  // A network comes up with its first VM's start: read again whenever the VMs change.
  // A VM's change (a start that brings its network up, a NIC added or removed) reads both again.
  const [changes, setChanges] = useState(0);
  useLiveEvents((event) => { if (event.type.startsWith("vm.")) setChanges((c) => c + 1); });
  const stamp = useMemo(() => ({ version, changes, vms }), [version, changes, vms]);
  const { data, error, reload } = useApi(() => client.listNetworks(), ["networks"], stamp);
  // Which VMs use each network: their definitions' NICs (a VM that cannot be read is left out).
  const details = useApi(vms ? () => Promise.all(vms.map((vm) => client.getVm(vm.name).catch(() => null))) : null, ["network-users"], stamp);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Network | null>(null);
  const canWrite = can("network.write");
  const networks = data ?? [];
  const users = details.data ? vmsByNetwork(details.data.filter((d): d is VmDetail => d !== null), networks) : undefined;
  const byName = new Map(networks.map((n) => [n.name, n]));
  const done = () => setVersion((v) => v + 1);
  return (
    <PageSection>
      <Title headingLevel="h1">Networks</Title>
      <p className="vmctl-muted" style={{ margin: "4px 0 8px" }}>What VMs' network adapters connect to. Networks declared in vmctld.toml change there; the others here or with <code>vmctl network</code>.</p>
      {canWrite ? (
        <Toolbar><ToolbarContent><ToolbarItem><Button onClick={() => setCreating(true)}>Create network</Button></ToolbarItem></ToolbarContent></Toolbar>
      ) : null}
      {error && !data ? <LoadError what="the networks" error={error} onRetry={reload} />
        : !data ? <Loading what="the networks" lines={3} />
        : networks.length === 0 ? <Empty title="No networks" icon={NetworkIcon}>This host has no networks yet.</Empty>
        : (
          <Table aria-label="Networks" className="vmctl-table" data-testid="networks" variant="compact">
            <Thead>
              <Tr><Th>Name</Th><Th>Kind</Th><Th>Subnet and gateway</Th><Th>Bridge device</Th><Th>State</Th><Th>Origin</Th><Th>VMs</Th>{canWrite ? <Th screenReaderText="Actions" /> : null}</Tr>
            </Thead>
            <Tbody>
              {networks.map((n) => {
                // A port group shares its parent's subnet and DHCP.
                const parent = n.kind === "portgroup" && n.parent ? byName.get(n.parent) : undefined;
                const why = notDeletable(n);
                const columns = canWrite ? 8 : 7;
                return (
                  <Fragment key={n.name}>
                  <Tr data-network={n.name} {...((n.state === "failed" && n.error) || n.warning ? { className: "vmctl-row--above-note" } : {})}>
                    <Td dataLabel="Name" modifier="nowrap"><strong>{n.name}</strong></Td>
                    <Td dataLabel="Kind" data-testid="network-kind">{kindLabel(n)}</Td>
                    <Td dataLabel="Subnet and gateway" data-testid="network-subnet"><SubnetCell network={n} parent={parent} /></Td>
                    <Td dataLabel="Bridge device">
                      {n.device ? <code>{n.device}</code> : n.bridge ? <code>{n.bridge}</code> : DASH}
                      {n.device && n.bridge && n.bridge !== n.device ? <div className="vmctl-small"><span className="vmctl-muted">on</span> <code>{n.bridge}</code></div> : null}
                    </Td>
                    <Td dataLabel="State"><StateCell network={n} /></Td>
                    <Td dataLabel="Origin">
                      <Label isCompact color={ORIGIN[n.origin].color}>{ORIGIN[n.origin].text}</Label>
                      {n.origin === "config" && canWrite ? <div className="vmctl-muted vmctl-small">deleted there only</div> : null}
                    </Td>
                    <Td dataLabel="VMs" data-testid="network-vms">{users ? <VmLinks names={users.get(n.name)} /> : <span className="vmctl-muted">…</span>}</Td>
                    {canWrite ? (
                      <Td dataLabel="Actions" isActionCell>
                        <ExplainedButton size="sm" variant="secondary" isDanger why={why} aria-label={`Delete ${n.name}`} onClick={() => setDeleting(n)}>Delete</ExplainedButton>
                      </Td>
                    ) : null}
                  </Tr>
                  {n.state === "failed" && n.error ? (
                    <Tr data-network-error={n.name}>
                      <Td colSpan={columns} className="vmctl-network-error" data-testid="network-error"><span className="vmctl-network-error__text"><strong>{n.name} could not be brought up:</strong> {n.error}</span></Td>
                    </Tr>
                  ) : n.warning ? (
                    <Tr data-network-warning={n.name}>
                      <Td colSpan={columns} className="vmctl-network-error" data-testid="network-warning"><span className="vmctl-network-warning__text"><strong>Note:</strong> {n.warning}</span></Td>
                    </Tr>
                  ) : null}
                  </Fragment>
                );
              })}
            </Tbody>
          </Table>
        )}
      {creating ? <CreateNetworkDialog networks={networks} onCreated={done} onClose={() => setCreating(false)} /> : null}
      {deleting ? (
        <ActionModal title={`Delete network "${deleting.name}"?`} danger submitLabel="Delete" busyLabel="Deleting…"
          onSubmit={async () => { const ok = (await run(`delete network "${deleting.name}"`, () => client.removeNetwork(deleting.name))) !== undefined; if (ok) done(); return ok; }}
          onClose={() => setDeleting(null)}>
          <p>vmctld takes down everything it made for it{deleting.device ? <> (the bridge <code>{deleting.device}</code>, its DHCP server and firewall rules)</> : null}. Nothing of it stays on the host.</p>
          {users?.get(deleting.name)?.length ? (
            <Alert isInline variant="warning" title={`Used by ${users.get(deleting.name)!.join(", ")}`} style={{ marginTop: 12 }}>
              vmctld refuses while a VM's network adapter is on it: move those adapters to another network or remove them first.
            </Alert>
          ) : null}
        </ActionModal>
      ) : null}
    </PageSection>
  );
}
