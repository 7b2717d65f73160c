// The datastores: where each lives, how full it is, how many VMs live there; add one (a directory
// on this host) and remove one added here (its files stay, vmctl forgets it).
import { useState } from "react";
import { Button, FormGroup, Label, Progress, ProgressMeasureLocation, ProgressVariant, TextInput, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import DatabaseIcon from "@patternfly/react-icons/dist/esm/icons/database-icon";
import type { Datastore } from "@vmctl/api-types";
import { addDatastore, removeDatastore, usedPercent } from "../../api/datastores";
import { client } from "../../api/http";
import { useApi } from "../../api/use-api";
import { formatBytes } from "../../format";
import { useHostData } from "../../state/host-data";
import { browsePath, navigate } from "../../state/router";
import { useSession } from "../../state/session";
import { useAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { hint } from "../shared/form-help";
import { Empty, LoadError, Loading } from "../shared/states";

const ORIGIN = { default: { text: "default", color: "blue" }, config: { text: "vmctld.toml", color: "grey" }, added: { text: "added here", color: "purple" } } as const;

function Capacity({ ds }: { ds: Datastore }) {
  const percent = usedPercent(ds);
  return (
    <Progress className="vmctl-capacity" value={percent} size="sm" measureLocation={ProgressMeasureLocation.outside} aria-label={`${ds.name}: ${Math.round(percent)}% used`}
      title={`${formatBytes(ds.freeBytes)} free of ${formatBytes(ds.capacityBytes)}`}
      {...(percent >= 90 ? { variant: ProgressVariant.danger } : percent >= 80 ? { variant: ProgressVariant.warning } : {})} />
  );
}

export function DatastoresTab() {
  const { can } = useSession();
  const { vms } = useHostData();
  const run = useAction();
  const [version, setVersion] = useState(0);
  const { data, error, reload } = useApi(() => client.datastores(), ["datastores"], version);
  const [adding, setAdding] = useState(false);
  const [draft, setDraft] = useState({ name: "", path: "" });
  const [removing, setRemoving] = useState<Datastore | null>(null);
  const canWrite = can("datastore.write");
  const canBrowse = can("datastore.read");
  const vmsOn = (ds: string) => vms?.filter((v) => v.datastore === ds).length ?? 0;
  const done = () => setVersion((v) => v + 1);
  return (
    <div className="vmctl-tab-body">
      {canWrite ? (
        <Toolbar><ToolbarContent><ToolbarItem><Button onClick={() => setAdding(true)}>Add datastore</Button></ToolbarItem></ToolbarContent></Toolbar>
      ) : null}
      {error && !data ? <LoadError what="the datastores" error={error} onRetry={reload} />
        : !data ? <Loading what="the datastores" lines={3} />
        : data.datastores.length === 0 ? <Empty title="No datastores" icon={DatabaseIcon}>Add a directory of this host as a datastore, or declare one in vmctld.toml under [datastores.NAME].</Empty>
        : (
          <Table aria-label="Datastores" className="vmctl-table" data-testid="datastores">
            <Thead><Tr><Th>Name</Th><Th>Directory</Th><Th>Kind</Th><Th>VMs</Th><Th width={30}>Capacity</Th><Th screenReaderText="Actions" /></Tr></Thead>
            <Tbody>
              {data.datastores.map((ds) => (
                <Tr key={ds.name} data-datastore={ds.name}>
                  <Td dataLabel="Name">
                    <span style={{ display: "inline-flex", gap: 8, alignItems: "center" }}><DatabaseIcon aria-hidden="true" className="vmctl-muted" />
                      {canBrowse ? <Button variant="link" isInline component="a" href={browsePath(ds.name)} onClick={(e) => { e.preventDefault(); navigate(browsePath(ds.name)); }}>{ds.name}</Button> : <strong>{ds.name}</strong>}
                    </span>
                  </Td>
                  <Td dataLabel="Directory" modifier="breakWord"><code>{ds.path}</code></Td>
                  <Td dataLabel="Kind"><Label isCompact color={ORIGIN[ds.origin].color}>{ORIGIN[ds.origin].text}</Label></Td>
                  <Td dataLabel="VMs">{vmsOn(ds.name)}</Td>
                  <Td dataLabel="Capacity"><Capacity ds={ds} /></Td>
                  <Td dataLabel="Actions" isActionCell>
                    <div className="vmctl-row-actions">
                      {canBrowse ? <Button size="sm" variant="secondary" aria-label={`Browse ${ds.name}`} onClick={() => navigate(browsePath(ds.name))}>Browse</Button> : null}
                      {canWrite && ds.origin === "added" ? <Button size="sm" variant="secondary" isDanger aria-label={`Remove ${ds.name}`} onClick={() => setRemoving(ds)}>Remove</Button> : null}
                    </div>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
      {adding ? (
        <ActionModal title="Add a datastore" size="medium" submitLabel="Add datastore" busyLabel="Adding…" isDisabled={!draft.name || !draft.path.startsWith("/")}
          onSubmit={async () => { const ok = (await run(`add datastore "${draft.name}"`, () => addDatastore(draft.name, draft.path))) !== undefined; if (ok) { setDraft({ name: "", path: "" }); done(); } return ok; }}
          onClose={() => setAdding(false)}>
          <FormGroup label="Name" isRequired fieldId="ds-name">
            <TextInput id="ds-name" value={draft.name} onChange={(_e, v) => setDraft({ ...draft, name: v })} placeholder="fast-ssd" />
          </FormGroup>
          <FormGroup label="Directory on this host" isRequired fieldId="ds-path">
            <TextInput id="ds-path" value={draft.path} onChange={(_e, v) => setDraft({ ...draft, path: v })} placeholder="/srv/vmctl/fast-ssd" />
            {hint("An absolute path, made if it does not exist, inside no other datastore.")}
          </FormGroup>
        </ActionModal>
      ) : null}
      {removing ? (
        <ActionModal title={`Remove datastore "${removing.name}"?`} danger submitLabel="Remove" busyLabel="Removing…"
          onSubmit={async () => { const ok = (await run(`remove datastore "${removing.name}"`, () => removeDatastore(removing.name))) !== undefined; if (ok) done(); return ok; }}
          onClose={() => setRemoving(null)}>
          <p>vmctl forgets it; the files in <code>{removing.path}</code> stay where they are. Refused while a VM lives there or uses a file on it.</p>
        </ActionModal>
      ) : null}
    </div>
  );
}
