// The inventory: every VM with its state, size and uptime, filter by name and state, power actions.
import { useEffect, useMemo, useState } from "react";
import { Button, EmptyState, EmptyStateBody, Label, PageSection, SearchInput, Spinner, Title, Toolbar, ToolbarContent, ToolbarItem, ToggleGroup, ToggleGroupItem } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import type { VmSummary } from "@vmctl/api-types";
import { useHostData } from "../../state/host-data";
import { api } from "../../api/http";
import { useSession } from "../../state/session";
import { useNotify } from "../../state/notify";
import { navigate } from "../../state/router";
import { ACTIONS, STATE_COLOR, power } from "../vm/power";
import { CreateVmWizard } from "../create/CreateVmWizard";

function size(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 ? 1 : 0)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

function uptime(startedAt: string | undefined): string {
  if (!startedAt) return "-";
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(startedAt)) / 1000));
  return s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min` : `${s} s`;
}

export function InventoryView() {
  const { vms, error } = useHostData();
  const { can } = useSession();
  const notify = useNotify();
  const [filter, setFilter] = useState("");
  const [stateFilter, setStateFilter] = useState<"all" | "running" | "stopped">("all");
  const [creating, setCreating] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [tick, setTick] = useState(0);
  // Thumbnails of running screens refresh every ten seconds.
  useEffect(() => { const timer = window.setInterval(() => setTick((t) => t + 1), 10_000); return () => window.clearInterval(timer); }, []);
  const toggle = (name: string, on: boolean) => setSelected((s) => { const next = new Set(s); if (on) next.add(name); else next.delete(name); return next; });
  const bulk = (action: string) => {
    const names = [...selected];
    api("POST", "/api/v1/vms:batch", { action, names }).then(() => setSelected(new Set()), (e: Error) => notify(`Could not ${action} ${names.length} VMs`, e.message));
  };
  const [sort, setSort] = useState<{ index: number; direction: "asc" | "desc" }>({ index: 0, direction: "asc" });
  const sortKeys = [(vm: VmSummary) => vm.name, (vm: VmSummary) => vm.state, (vm: VmSummary) => vm.cpus, (vm: VmSummary) => vm.memoryBytes];
  const shown = useMemo(() => {
    const key = sortKeys[sort.index]!;
    const list = (vms ?? []).filter((vm) => vm.name.includes(filter) && (stateFilter === "all" || (stateFilter === "running" ? vm.state === "running" : vm.state !== "running")));
    list.sort((a, b) => { const x = key(a); const y = key(b); return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) * (sort.direction === "asc" ? 1 : -1); });
    return list;
  }, [vms, filter, stateFilter, sort]);
  const sortBy = (index: number) => ({ sortBy: { index: sort.index, direction: sort.direction }, onSort: (_e: unknown, i: number, direction: "asc" | "desc") => setSort({ index: i, direction }), columnIndex: index });
  const act = (name: string, action: string) => power(name, action).catch((e: Error) => notify(`Could not ${action} ${name}`, e.message));
  return (
    <PageSection>
      <Title headingLevel="h1">Virtual machines</Title>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem><SearchInput aria-label="Filter by name" placeholder="Filter by name" value={filter} onChange={(_e, v) => setFilter(v)} onClear={() => setFilter("")} /></ToolbarItem>
          <ToolbarItem>
            <ToggleGroup aria-label="Filter by state">
              {(["all", "running", "stopped"] as const).map((s) => <ToggleGroupItem key={s} text={s === "stopped" ? "not running" : s} isSelected={stateFilter === s} onChange={() => setStateFilter(s)} />)}
            </ToggleGroup>
          </ToolbarItem>
          {can("vm.power") && selected.size > 0 ? (
            <ToolbarItem>
              <Button variant="secondary" onClick={() => bulk("start")} style={{ marginRight: 8 }}>Start {selected.size} selected</Button>
              <Button variant="secondary" onClick={() => bulk("stop")}>Stop {selected.size} selected</Button>
            </ToolbarItem>
          ) : null}
          {can("vm.create") ? <ToolbarItem align={{ default: "alignEnd" }}><Button variant="primary" onClick={() => setCreating(true)}>Create VM</Button></ToolbarItem> : null}
        </ToolbarContent>
      </Toolbar>
      {creating ? <CreateVmWizard onClose={() => setCreating(false)} /> : null}
      {error && !vms ? <EmptyState titleText="vmctld is unreachable" headingLevel="h2"><EmptyStateBody>{error}. Retrying as soon as it answers.</EmptyStateBody></EmptyState>
        : !vms ? <Spinner aria-label="Loading VMs" />
        : shown.length === 0 ? <EmptyState titleText={vms.length ? "No VM matches" : "No VMs yet"} headingLevel="h2"><EmptyStateBody>{vms.length ? "Change the filter." : "Create one with `vmctl create` or the API."}</EmptyStateBody></EmptyState>
        : (
          <Table aria-label="Virtual machines" data-testid="inventory">
            <Thead><Tr>{can("vm.power") ? <Th screenReaderText="Select" /> : null}<Th screenReaderText="Screen" /><Th sort={sortBy(0)}>Name</Th><Th sort={sortBy(1)}>State</Th><Th sort={sortBy(2)}>CPUs</Th><Th sort={sortBy(3)}>Memory</Th><Th>Uptime</Th><Th screenReaderText="Actions" /></Tr></Thead>
            <Tbody>
              {shown.map((vm, rowIndex) => (
                <Tr key={vm.name} data-vm={vm.name}>
                  {can("vm.power") ? <Td select={{ rowIndex, onSelect: (_e, on) => toggle(vm.name, on), isSelected: selected.has(vm.name) }} /> : null}
                  <Td dataLabel="Screen" style={{ width: 96 }}>
                    {vm.state === "running" ? <img src={`/api/v1/vms/${encodeURIComponent(vm.name)}/screenshot?t=${tick}`} alt={`${vm.name} screen`} width={80} height={50} style={{ background: "#151515", objectFit: "contain" }} onError={(e) => { (e.target as HTMLImageElement).style.visibility = "hidden"; }} /> : <div style={{ width: 80, height: 50, background: "#e0e0e0" }} />}
                  </Td>
                  <Td dataLabel="Name"><Button variant="link" isInline onClick={() => navigate(`/ui/vms/${encodeURIComponent(vm.name)}`)}>{vm.name}</Button>{vm.definitionError ? <Label color="red" isCompact> invalid definition</Label> : null}</Td>
                  <Td dataLabel="State"><Label color={STATE_COLOR[vm.state] ?? "grey"} data-testid="state">{vm.state}</Label></Td>
                  <Td dataLabel="CPUs">{vm.cpus}</Td>
                  <Td dataLabel="Memory">{size(vm.memoryBytes)}</Td>
                  <Td dataLabel="Uptime">{vm.state === "running" || vm.state === "paused" ? uptime(vm.startedAt) : "-"}</Td>
                  <Td dataLabel="Actions" isActionCell>
                    {can("vm.power", vm.name) ? ACTIONS.filter((a) => a.from.includes(vm.state) && ["start", "stop", "shutdown"].includes(a.action)).map((a) => (
                      <Button key={a.action} variant={a.action === "start" ? "primary" : "secondary"} size="sm" style={{ marginRight: 8 }} onClick={() => void act(vm.name, a.action)} aria-label={`${a.label} ${vm.name}`}>{a.label}</Button>
                    )) : null}
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
    </PageSection>
  );
}
