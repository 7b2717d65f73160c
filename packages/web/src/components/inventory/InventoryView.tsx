// The inventory: every VM with its state, IP addresses, size and uptime, filter by name and state, power actions
// on one VM or on a selection; templates marked, with deploy in place of power; import an OVA.
// Each row has an actions menu (console, restart, snapshot, clone, delete); optional columns (IP addresses,
// disk size, datastore, description) are chosen under "Columns" and remembered. A bulk action says what
// happened to each VM (bulk.ts). Every row's checkbox, name and actions are reachable by keyboard.
// At vmcenter (cluster mode) each VM shows its host, the list filters by host, and a row migrates.
import { useEffect, useMemo, useState } from "react";
import { Alert, AlertActionCloseButton, Button, Checkbox, Dropdown, DropdownItem, DropdownList, FormSelect, FormSelectOption, Label, MenuToggle, PageSection, SearchInput, Select, SelectList, SelectOption, Title, Toolbar, ToolbarContent, ToolbarItem, ToggleGroup, ToggleGroupItem } from "@patternfly/react-core";
import EllipsisVIcon from "@patternfly/react-icons/dist/esm/icons/ellipsis-v-icon";
import ColumnsIcon from "@patternfly/react-icons/dist/esm/icons/columns-icon";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import PowerOffIcon from "@patternfly/react-icons/dist/esm/icons/power-off-icon";
import TemplateIcon from "@patternfly/react-icons/dist/esm/icons/pficon-template-icon";
import type { VmSummary } from "@vmctl/api-types";
import { useHostData } from "../../state/host-data";
import { client } from "../../api/http";
import { useSession } from "../../state/session";
import { useCluster } from "../../state/cluster";
import { hostOf } from "../cluster/cluster-words";
import { MigrateDialog } from "../cluster/MigrateDialog";
import { navigate } from "../../state/router";
import { formatBytes, formatUptime } from "../../format";
import { hasQemu, refusal } from "../vm/abilities";
import { Addresses } from "../vm/Addresses";
import { addressesOf } from "../../api/networks";
import { ACTIONS, STATE_COLOR, usePower } from "../vm/power";
import { CreateVmWizard } from "../create/CreateVmWizard";
import { CloneDialog } from "../vm/CloneDialog";
import { TakeSnapshotDialog } from "../vm/snapshot-dialogs";
import { DeleteVmDialog } from "../vm/DeleteVmDialog";
import { bulkProgress, type BulkAction, type BulkMessage } from "../vm/bulk";
import { useBulkPower } from "../vm/use-bulk";
import { useApi } from "../../api/use-api";
import type { RunAction } from "../../state/use-action";
import { ImportVmDialog } from "./ImportVmDialog";
import { useAction } from "../../state/use-action";
import { Empty, LoadError, Loading } from "../shared/states";

const SORT_KEYS = [(vm: VmSummary) => vm.name, (vm: VmSummary) => vm.state, (vm: VmSummary) => vm.cpus, (vm: VmSummary) => vm.memoryBytes];
/** States a VM is not moved in: it is changing already. */
const UNMOVABLE: readonly string[] = ["starting", "stopping", "migrating", "snapshotting", "cloning", "exporting"];

/** The optional columns, in the order they show; IP addresses are on until turned off. */
const COLUMNS = [
  { key: "ip", label: "IP addresses", initially: true },
  { key: "disk", label: "Disk size", initially: false },
  { key: "datastore", label: "Datastore", initially: false },
  { key: "description", label: "Description", initially: false },
] as const;
type Column = (typeof COLUMNS)[number]["key"];
const COLUMNS_KEY = "vmctl.inventory-columns";

function useColumns(): [Set<Column>, (column: Column) => void] {
  const [shown, setShown] = useState<Set<Column>>(() => {
    try {
      const saved = JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? "null") as unknown;
      if (Array.isArray(saved)) return new Set(COLUMNS.filter((c) => saved.includes(c.key)).map((c) => c.key));
    } catch { /* unreadable: the defaults */ }
    return new Set(COLUMNS.filter((c) => c.initially).map((c) => c.key));
  });
  const toggle = (column: Column) => setShown((old) => {
    const next = new Set(old);
    if (!next.delete(column)) next.add(column);
    localStorage.setItem(COLUMNS_KEY, JSON.stringify([...next]));
    return next;
  });
  return [shown, toggle];
}

function ColumnsMenu({ shown, toggle }: { shown: Set<Column>; toggle: (column: Column) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <Select role="menu" isOpen={open} onOpenChange={setOpen} selected={[...shown]} onSelect={(_e, key) => toggle(key as Column)}
      toggle={(ref) => <MenuToggle ref={ref} onClick={() => setOpen(!open)} isExpanded={open} icon={<ColumnsIcon />} variant="secondary">Columns</MenuToggle>}>
      <SelectList aria-label="Optional columns">
        {COLUMNS.map((c) => <SelectOption key={c.key} value={c.key} hasCheckbox isSelected={shown.has(c.key)}>{c.label}</SelectOption>)}
      </SelectList>
    </Select>
  );
}

/** Take snapshot from a row: the dialog of the Snapshots tab, once the VM's snapshot names are known. */
function RowSnapshotDialog({ vm, run, onClose }: { vm: VmSummary; run: RunAction; onClose: () => void }) {
  const { data, error } = useApi(() => client.listSnapshots(vm.name), ["snapshots", vm.name]);
  if (!data && !error) return null;
  return <TakeSnapshotDialog vm={vm} run={run} onClose={onClose} taken={new Set(data?.snapshots.map((s) => s.name))} />;
}

type RowDialog = { kind: "snapshot" | "clone" | "delete" | "migrate"; vm: VmSummary };

/** A row's actions menu: "Actions for NAME". Items the user may not use are left out; ones the state refuses say why. */
function RowActions({ vm, onDialog, onRestart }: { vm: VmSummary; onDialog: (d: RowDialog) => void; onRestart: () => void }) {
  const { can } = useSession();
  const cluster = useCluster();
  const [open, setOpen] = useState(false);
  const restartable = ACTIONS.find((a) => a.action === "restart")!.from.includes(vm.state);
  const item = (key: string, label: string, why: string | null, onClick: () => void) => (
    <DropdownItem key={key} onClick={() => { setOpen(false); onClick(); }} isAriaDisabled={why !== null} {...(why ? { tooltipProps: { content: why } } : {})}>{label}</DropdownItem>
  );
  const items = [
    can("vm.console.view", vm.name) ? item("console", "Open console", vm.template ? "A template never runs." : null, () => navigate(`/ui/vms/${encodeURIComponent(vm.name)}/console`)) : null,
    can("vm.power", vm.name) && !vm.template ? item("restart", "Restart", restartable ? null : `Not while ${vm.name} is ${vm.state}; start it instead.`, onRestart) : null,
    can("vm.snapshot", vm.name) ? item("snapshot", "Take snapshot…", refusal.snapshot(vm), () => onDialog({ kind: "snapshot", vm })) : null,
    can("vm.create") ? item("clone", "Clone…", null, () => onDialog({ kind: "clone", vm })) : null,
    cluster && can("vm.migrate", vm.name) && !vm.template ? item("migrate", "Migrate…", UNMOVABLE.includes(vm.state) ? `Not while ${vm.name} is ${vm.state}.` : null, () => onDialog({ kind: "migrate", vm })) : null,
    can("vm.delete", vm.name) ? item("delete", "Delete…", null, () => onDialog({ kind: "delete", vm })) : null,
  ].filter((i) => i !== null);
  if (!items.length) return null;
  return (
    <Dropdown isOpen={open} onOpenChange={setOpen} popperProps={{ position: "end", appendTo: () => document.body }}
      toggle={(ref) => <MenuToggle ref={ref} variant="plain" size="sm" onClick={() => setOpen(!open)} isExpanded={open} aria-label={`Actions for ${vm.name}`} icon={<EllipsisVIcon />} />}>
      <DropdownList>{items}</DropdownList>
    </Dropdown>
  );
}

function Screen({ vm, tick }: { vm: VmSummary; tick: number }) {
  if (vm.template) return <div className="vmctl-screen vmctl-screen--off vmctl-screen--template" aria-hidden="true"><TemplateIcon /></div>;
  if (vm.state === "running") {
    return <img className="vmctl-screen" src={client.screenshotUrl(vm.name, tick)} alt={`${vm.name} screen`} width={80} height={50} onError={(e) => { (e.target as HTMLImageElement).style.visibility = "hidden"; }} />;
  }
  return <div className="vmctl-screen vmctl-screen--off" aria-hidden="true"><PowerOffIcon /></div>;
}

export function InventoryView() {
  const { vms, error, refresh } = useHostData();
  const { can } = useSession();
  const cluster = useCluster();
  const power = usePower();
  const [filter, setFilter] = useState("");
  const [hostFilter, setHostFilter] = useState("");
  const [stateFilter, setStateFilter] = useState<"all" | "running" | "stopped">("all");
  const [creating, setCreating] = useState(false);
  const [dialog, setDialog] = useState<{ kind: "import" } | { kind: "deploy"; from: VmSummary[] } | RowDialog | null>(null);
  const [columns, toggleColumn] = useColumns();
  const bulkPower = useBulkPower();
  const [bulkResult, setBulkResult] = useState<BulkMessage | null>(null);
  const [bulkBusy, setBulkBusy] = useState(false);
  const run = useAction();
  const templates = (vms ?? []).filter((vm) => vm.template);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [tick, setTick] = useState(0);
  // Thumbnails of running screens (and uptimes) refresh every ten seconds.
  useEffect(() => { const timer = window.setInterval(() => setTick((t) => t + 1), 10_000); return () => window.clearInterval(timer); }, []);
  const [sort, setSort] = useState<{ index: number; direction: "asc" | "desc" }>({ index: 0, direction: "asc" });
  const shown = useMemo(() => {
    const key = SORT_KEYS[sort.index]!;
    const list = (vms ?? []).filter((vm) => vm.name.includes(filter.trim()) && (stateFilter === "all" || (stateFilter === "running" ? vm.state === "running" : vm.state !== "running"))
      && (!hostFilter || hostOf(vm)?.id === hostFilter));
    list.sort((a, b) => { const x = key(a); const y = key(b); return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * (sort.direction === "asc" ? 1 : -1); });
    return list;
  }, [vms, filter, stateFilter, hostFilter, sort]);
  // The hosts that hold VMs, for the host filter (the Hosts page lists them all).
  const hosts = useMemo(() => [...new Map((vms ?? []).flatMap((vm) => { const h = hostOf(vm); return h ? [[h.id, h.name] as const] : []; })).entries()]
    .sort((a, b) => a[1].localeCompare(b[1])), [vms]);
  // A VM that went away (or is filtered out) is no longer part of the selection.
  const chosen = shown.filter((vm) => selected.has(vm.name)).map((vm) => vm.name);
  const toggle = (name: string, on: boolean) => setSelected((s) => { const next = new Set(s); if (on) next.add(name); else next.delete(name); return next; });
  const bulk = (action: BulkAction) => {
    const names = chosen;
    setSelected(new Set());
    setBulkBusy(true);
    setBulkResult(bulkProgress(action, names.length));
    void bulkPower(names, action).then(setBulkResult).finally(() => setBulkBusy(false));
  };
  const sortBy = (index: number) => ({ sortBy: { index: sort.index, direction: sort.direction }, onSort: (_e: unknown, i: number, direction: "asc" | "desc") => setSort({ index: i, direction }), columnIndex: index });
  const selectable = can("vm.power");
  // Templates never start: they are not part of power selections.
  const powerable = shown.filter((vm) => !vm.template);
  const allSelected = powerable.length > 0 && chosen.length === powerable.length;
  return (
    <PageSection>
      <Title headingLevel="h1">Virtual machines</Title>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem><SearchInput aria-label="Filter VMs by name" placeholder="Filter by name" {...(cluster ? { style: { width: "12em" } } : {})} value={filter} onChange={(_e, v) => setFilter(v)} onClear={() => setFilter("")} /></ToolbarItem>
          {cluster ? (
            <ToolbarItem>
              <FormSelect aria-label="Show VMs on host" value={hostFilter} onChange={(_e, v) => setHostFilter(v)} data-testid="host-filter" style={{ width: "10em" }}>
                <FormSelectOption value="" label="All hosts" />
                {hosts.map(([id, name]) => <FormSelectOption key={id} value={id} label={`On ${name}`} />)}
              </FormSelect>
            </ToolbarItem>
          ) : null}
          <ToolbarItem>
            <ToggleGroup aria-label="Show VMs in state">
              {(["all", "running", "stopped"] as const).map((s) => <ToggleGroupItem key={s} text={s === "stopped" ? "not running" : s} isSelected={stateFilter === s} onChange={() => setStateFilter(s)} />)}
            </ToggleGroup>
          </ToolbarItem>
          {selectable && chosen.length > 0 ? (
            <ToolbarItem>
              <Button variant="secondary" onClick={() => bulk("start")} isDisabled={bulkBusy} style={{ marginRight: 8 }}>Start {chosen.length} selected</Button>
              <Button variant="secondary" onClick={() => bulk("stop")} isDisabled={bulkBusy}>Stop {chosen.length} selected</Button>
            </ToolbarItem>
          ) : null}
          <ToolbarItem><ColumnsMenu shown={columns} toggle={toggleColumn} /></ToolbarItem>
          {can("vm.create") ? (
            <ToolbarItem align={{ default: "alignEnd" }}>
              <div className="vmctl-row-actions">
                {templates.length ? <Button variant="secondary" onClick={() => setDialog({ kind: "deploy", from: templates })}>Deploy from template</Button> : null}
                {/* vmcenter forwards a VM's own routes, not a host's import: import on the host itself. */}
                {cluster ? null : <Button variant="secondary" onClick={() => setDialog({ kind: "import" })}>Import VM</Button>}
                <Button variant="primary" onClick={() => setCreating(true)}>Create VM</Button>
              </div>
            </ToolbarItem>
          ) : null}
        </ToolbarContent>
      </Toolbar>
      {creating ? <CreateVmWizard onClose={() => setCreating(false)} /> : null}
      {dialog?.kind === "import" ? <ImportVmDialog run={run} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === "deploy" ? <CloneDialog sources={dialog.from} allVms={vms ?? []} run={run} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === "clone" ? <CloneDialog sources={[dialog.vm]} allVms={vms ?? []} run={run} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === "snapshot" ? <RowSnapshotDialog vm={dialog.vm} run={run} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === "delete" ? <DeleteVmDialog vm={dialog.vm} onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === "migrate" ? <MigrateDialog vm={dialog.vm} onClose={() => setDialog(null)} /> : null}
      {bulkResult ? (
        <Alert isInline isLiveRegion variant={bulkResult.variant} title={bulkResult.title} data-testid="bulk-result" style={{ marginBottom: 16 }}
          actionClose={bulkBusy ? undefined : <AlertActionCloseButton aria-label="Close the bulk action's message" onClose={() => setBulkResult(null)} />}>
          {bulkResult.detail}
        </Alert>
      ) : null}
      {error && !vms ? <LoadError what="the VMs" error={error} onRetry={refresh} />
        : !vms ? <Loading what="VMs" lines={4} />
        : shown.length === 0 ? (
          <Empty title={vms.length ? "No VM matches" : "No VMs yet"}
            footer={vms.length ? <Button variant="link" onClick={() => { setFilter(""); setStateFilter("all"); setHostFilter(""); }}>Clear the filters</Button>
              : can("vm.create") ? <Button onClick={() => setCreating(true)}>Create a VM</Button> : undefined}>
            {vms.length ? "Change or clear the filters." : can("vm.create") ? "Create one here, with `vmctl create`, or through the API." : "Nothing here yet; an administrator can create VMs or grant you access to some."}
          </Empty>
        ) : (
          <div className="vmctl-inventory-scroll">
          <Table aria-label="Virtual machines" data-testid="inventory" className={cluster ? "vmctl-inventory vmctl-inventory--cluster" : "vmctl-inventory"} variant="compact">
            <Thead>
              <Tr>
                {selectable ? <Th aria-label="Select"><Checkbox id="select-all-vms" aria-label="Select all shown VMs" isChecked={allSelected ? true : chosen.length ? null : false} onChange={(_e, on) => setSelected(on ? new Set(powerable.map((vm) => vm.name)) : new Set())} /></Th> : null}
                <Th screenReaderText="Screen" /><Th sort={sortBy(0)} modifier="nowrap">Name</Th><Th sort={sortBy(1)} modifier="fitContent">State</Th>{cluster ? <Th modifier="nowrap">Host</Th> : null}{columns.has("ip") ? <Th modifier="nowrap">IP address</Th> : null}<Th sort={sortBy(2)} modifier="fitContent">CPUs</Th><Th sort={sortBy(3)} modifier="fitContent">Memory</Th>
                {columns.has("disk") ? <Th modifier="fitContent">Disk size</Th> : null}{columns.has("datastore") ? <Th modifier="fitContent">Datastore</Th> : null}
                <Th modifier="fitContent">Uptime</Th>{columns.has("description") ? <Th>Description</Th> : null}<Th screenReaderText="Actions" modifier="fitContent" />
              </Tr>
            </Thead>
            <Tbody>
              {shown.map((vm) => (
                <Tr key={vm.name} data-vm={vm.name} isRowSelected={selected.has(vm.name)}>
                  {selectable ? <Td>{vm.template ? null : <Checkbox id={`select-vm-${vm.name}`} aria-label={`Select ${vm.name}`} isChecked={selected.has(vm.name)} onChange={(_e, on) => toggle(vm.name, on)} />}</Td> : null}
                  <Td dataLabel="Screen" style={{ width: 96 }}><Screen vm={vm} tick={tick} /></Td>
                  <Td dataLabel="Name">
                    <Button variant="link" isInline component="a" href={`/ui/vms/${encodeURIComponent(vm.name)}`} onClick={(e) => { e.preventDefault(); navigate(`/ui/vms/${encodeURIComponent(vm.name)}`); }}>{vm.name}</Button>
                    {vm.template ? <Label color="purple" isCompact icon={<TemplateIcon />} style={{ marginLeft: 8 }} data-testid="template">template</Label> : null}
                    {vm.definitionError ? <Label color="red" isCompact style={{ marginLeft: 8 }}>invalid definition</Label> : null}
                  </Td>
                  <Td dataLabel="State">{vm.template ? <span className="vmctl-muted">never runs</span> : <Label color={STATE_COLOR[vm.state] ?? "grey"} data-testid="state">{vm.state}</Label>}</Td>
                  {cluster ? <Td dataLabel="Host" data-testid="vm-host" modifier="nowrap">{hostOf(vm)?.name ?? "-"}</Td> : null}
                  {columns.has("ip") ? <Td dataLabel="IP address"><Addresses addresses={addressesOf(vm)} testId="addresses" /></Td> : null}
                  <Td dataLabel="CPUs">{vm.cpus}</Td>
                  <Td dataLabel="Memory">{formatBytes(vm.memoryBytes)}</Td>
                  {columns.has("disk") ? <Td dataLabel="Disk size" data-testid="disk-size">{vm.diskBytes === undefined ? "-" : vm.diskBytes === 0 ? "none" : formatBytes(vm.diskBytes)}</Td> : null}
                  {columns.has("datastore") ? <Td dataLabel="Datastore" data-testid="datastore">{vm.datastore}</Td> : null}
                  <Td dataLabel="Uptime">{hasQemu(vm) ? formatUptime(vm.startedAt) : "-"}</Td>
                  {columns.has("description") ? <Td dataLabel="Description" data-testid="description" className="vmctl-inventory__description" modifier="truncate" style={{ maxWidth: "16em" }}>{vm.description ?? ""}</Td> : null}
                  <Td dataLabel="Actions" isActionCell>
                    <div style={{ display: "flex", gap: 8, justifyContent: "flex-end" }}>
                      {vm.template && can("vm.create") ? <Button variant="secondary" size="sm" onClick={() => setDialog({ kind: "deploy", from: [vm] })} aria-label={`Deploy a VM from ${vm.name}`}>Deploy</Button> : null}
                      {can("vm.power", vm.name) && !vm.template ? ACTIONS.filter((a) => a.from.includes(vm.state) && ["start", "stop", "shutdown"].includes(a.action)).map((a) => (
                        <Button key={a.action} variant={a.action === "start" ? "primary" : "secondary"} size="sm" onClick={() => void power([vm.name], a.action)} aria-label={`${a.label} ${vm.name}`}>{a.label}</Button>
                      )) : null}
                      <RowActions vm={vm} onDialog={setDialog} onRestart={() => void power([vm.name], "restart")} />
                    </div>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
          </div>
        )}
    </PageSection>
  );
}
