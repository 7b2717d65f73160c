// The Overview tab: what the VM is doing at a glance, as cards in a grid: its state and uptime, CPU
// and memory in use, its addresses, its screen, its disks and NICs, the latest snapshots and its
// latest tasks; each card links to the tab that has the rest.
import { useEffect, useMemo, useState, type MouseEvent, type ReactNode } from "react";
import { Card, CardBody, CardHeader, CardTitle, DescriptionList, Label } from "@patternfly/react-core";
import type { Task, VmSummary as Vm, VmctlEvent } from "@vmctl/api-types";
import { client } from "../../api/http";
import { useApi } from "../../api/use-api";
import { addressesOf } from "../../api/networks";
import { formatBytes, formatDate, formatUptime } from "../../format";
import { useHostData, useLiveEvents } from "../../state/host-data";
import { navigate } from "../../state/router";
import { Fact } from "../shared/Fact";
import { hasQemu } from "./abilities";
import { Addresses } from "./Addresses";
import { GuestAgent } from "./GuestAgent";
import { STATE_COLOR } from "./power";
import { VmMetricsPanel } from "./VmMetricsPanel";
import { VmSettings } from "./VmSettings";
import "./overview.css";

const EXIT = { "guest-shutdown": "the guest shut down", "host-stop": "stopped from vmctl", "guest-panic": "the guest panicked", crash: "QEMU crashed", killed: "QEMU was killed" } as const;

const TASK_STATE_COLOR = { queued: "grey", running: "blue", success: "green", error: "red", cancelled: "orange" } as const;

/** A card of the overview: a title, an optional link to the tab with the rest, and its body. */
function OverviewCard({ title, more, wide, children, testId }: { title: string; more?: { label: string; to: string }; wide?: boolean; children: ReactNode; testId?: string }) {
  const go = more ? (e: MouseEvent) => { e.preventDefault(); navigate(more.to); } : undefined;
  return (
    <Card isCompact className={wide ? "vmctl-overview__card vmctl-overview__card--wide" : "vmctl-overview__card"} component="section" aria-label={title} data-testid={testId}>
      <CardHeader {...(more ? { actions: { actions: <a href={more.to} onClick={go} className="vmctl-small">{more.label}</a>, hasNoOffset: true } } : {})}>
        <CardTitle component="h2">{title}</CardTitle>
      </CardHeader>
      <CardBody className="vmctl-overview__body">{children}</CardBody>
    </Card>
  );
}

/** Whether a QEMU process runs the guest, also while a snapshot is taken or it starts or stops: its figures and screen go on. */
const hasProcess = (vm: Vm) => hasQemu(vm) || vm.pid !== undefined;

/** The screen as the inventory's thumbnail has it, larger, refreshed every five seconds; a click opens the graphical console. */
function Screen({ vm, to }: { vm: Vm; to: string }) {
  const running = hasProcess(vm);
  const [tick, setTick] = useState(0);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => setTick((t) => t + 1), 5000);
    return () => window.clearInterval(timer);
  }, [running]);
  useEffect(() => setFailed(false), [tick, running]);
  if (!running) return <div className="vmctl-overview__screen vmctl-overview__screen--off">{vm.template ? "A template has no screen." : `${vm.name} is ${vm.state}: no screen.`}</div>;
  return (
    <a href={to} onClick={(e) => { e.preventDefault(); navigate(to); }} aria-label={`Open the graphical console of ${vm.name}`} className="vmctl-overview__screen-link">
      <img className="vmctl-overview__screen" src={client.screenshotUrl(vm.name, tick)} alt={`${vm.name} screen`} style={failed ? { visibility: "hidden" } : undefined} onError={() => setFailed(true)} />
    </a>
  );
}

function Snapshots({ vm, version }: { vm: Vm; version: number }) {
  const { data, error } = useApi(vm.template ? null : () => client.listSnapshots(vm.name), ["snapshots", vm.name], version);
  if (vm.template) return <p className="vmctl-muted">A template keeps no snapshots.</p>;
  if (error && !data) return <p className="vmctl-muted">Could not read the snapshots: {error.message}</p>;
  if (!data) return <p className="vmctl-muted">Reading…</p>;
  if (data.snapshots.length === 0) return <p className="vmctl-muted">No snapshots yet.</p>;
  const latest = [...data.snapshots].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, 3);
  return (
    <ul className="vmctl-overview__list" aria-label="Latest snapshots" data-testid="overview-snapshots">
      {latest.map((s) => (
        <li key={s.name}>
          <strong>{s.name}</strong> {s.current ? <Label isCompact color="blue">current</Label> : null} {s.memory ? <Label isCompact variant="outline">with memory</Label> : null}
          <div className="vmctl-muted vmctl-small">{formatDate(s.createdAt)}{s.description ? ` · ${s.description}` : ""}</div>
        </li>
      ))}
      {data.snapshots.length > 3 ? <li className="vmctl-muted vmctl-small">{data.snapshots.length - 3} more</li> : null}
    </ul>
  );
}

const opInWords = (op: string) => op.replace(/^vms?\./, "").replace(/[._-]/g, " ");

function Tasks({ name }: { name: string }) {
  // Read again when one of this VM's tasks starts or ends, as the Tasks tab does.
  const { tasks: recent } = useHostData();
  const target = `vm/${name}`;
  const version = useMemo(() => recent?.filter((t) => t.target === target).map((t) => `${t.id}:${t.state}`).join(), [recent, target]);
  const { data, error } = useApi(() => client.listTasks({ target, limit: 5 }), ["tasks", target, 5], version);
  if (error && !data) return <p className="vmctl-muted">Could not read the tasks: {error.message}</p>;
  if (!data) return <p className="vmctl-muted">Reading…</p>;
  if (data.length === 0) return <p className="vmctl-muted">No tasks yet.</p>;
  const when = (t: Task) => t.endedAt ?? t.startedAt ?? t.createdAt;
  return (
    <ul className="vmctl-overview__list" aria-label="Latest tasks" data-testid="overview-tasks">
      {data.slice(0, 5).map((t) => (
        <li key={t.id}>
          <span className="vmctl-overview__task-op">{opInWords(t.op)}</span> <Label isCompact color={TASK_STATE_COLOR[t.state]}>{t.state}</Label>
          <div className="vmctl-muted vmctl-small">{t.user} · {formatDate(when(t))}{t.error ? ` · ${t.error.message}` : ""}</div>
        </li>
      ))}
    </ul>
  );
}

function Storage({ name, version }: { name: string; version: number }) {
  const { data, error } = useApi(() => client.listDisks(name), ["disks", name], version);
  if (error && !data) return <p className="vmctl-muted">Could not read the disks: {error.message}</p>;
  if (!data) return <p className="vmctl-muted">Reading…</p>;
  if (data.length === 0) return <p className="vmctl-muted">No disks or CD drives.</p>;
  return (
    <ul className="vmctl-overview__list" aria-label="Disks and CD drives" data-testid="overview-disks">
      {data.map((d) => (
        <li key={d.id}>
          <strong>{d.id}</strong> {d.kind === "cdrom" ? <Label isCompact variant="outline">CD</Label> : null} <span className="vmctl-muted">{d.bus}{d.format ? `, ${d.format}` : ""}</span>
          {d.kind === "disk" ? <span> · {d.virtualSizeBytes !== undefined ? formatBytes(d.virtualSizeBytes) : <Label isCompact color="red">image missing</Label>}</span> : null}
          <div className="vmctl-muted vmctl-small vmctl-overview__path">{d.file ? `${d.file} on ${d.datastore}` : d.kind === "cdrom" ? "empty" : "-"}</div>
        </li>
      ))}
    </ul>
  );
}

function Nics({ vm, version }: { vm: Vm; version: number }) {
  const { data, error } = useApi(() => client.listNics(vm.name), ["nics", vm.name], version);
  const addresses = addressesOf(vm);
  return (
    <>
      <div className="vmctl-overview__addresses"><strong>IP addresses</strong> <Addresses addresses={addresses} testId="summary-addresses" /></div>
      {error && !data ? <p className="vmctl-muted">Could not read the network adapters: {error.message}</p>
        : !data ? <p className="vmctl-muted">Reading…</p>
          : data.length === 0 ? <p className="vmctl-muted">No network adapters.</p> : (
            <ul className="vmctl-overview__list" aria-label="Network adapters" data-testid="overview-nics">
              {data.map((n) => (
                <li key={n.id}>
                  <strong>{n.id}</strong> <span className="vmctl-muted">on</span> {n.network} <span className="vmctl-muted">({n.model})</span> {n.link === "down" ? <Label isCompact color="orange">link down</Label> : null}
                  <div className="vmctl-muted vmctl-small"><code>{n.mac}</code></div>
                </li>
              ))}
            </ul>
          )}
    </>
  );
}

export function VmOverview({ vm }: { vm: Vm }) {
  const running = hasProcess(vm);
  const base = `/ui/vms/${encodeURIComponent(vm.name)}`;
  // The uptime moves on by itself.
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => setTick((t) => t + 1), 5000);
    return () => window.clearInterval(timer);
  }, [running]);
  // Disks, NICs and snapshots change with this VM's events (an edit, a medium, a snapshot taken).
  const [version, setVersion] = useState(0);
  useLiveEvents((event: VmctlEvent) => { if (event.vm === vm.name && (event.type.startsWith("vm.") || event.type === "task.finished")) setVersion((v) => v + 1); });
  return (
    <div className="vmctl-overview" data-testid="vm-overview">
      <OverviewCard title="Status" testId="overview-status">
        <DescriptionList isCompact isHorizontal aria-label="Status" className="vmctl-overview__facts">
          <Fact term="State">{vm.template ? <Label isCompact color="purple">template</Label> : <Label isCompact color={STATE_COLOR[vm.state] ?? "grey"} data-testid="overview-state">{vm.state}</Label>}</Fact>
          <Fact term="Uptime"><span data-testid="overview-uptime">{running ? formatUptime(vm.startedAt) : "-"}</span></Fact>
          <Fact term="CPUs">{vm.cpus}</Fact>
          <Fact term="Memory">{formatBytes(vm.memoryBytes)}</Fact>
          <Fact term="QEMU">{vm.pid ? `process ${vm.pid}, ${vm.accel === "kvm" ? "KVM" : vm.accel === "tcg" ? "TCG (emulated)" : vm.accel ?? ""}` : "not running"}</Fact>
          <Fact term="Guest agent"><GuestAgent vm={vm} running={hasQemu(vm)} /></Fact>
          <Fact term="Last exit">{vm.lastExitReason ? EXIT[vm.lastExitReason] : "-"}</Fact>
          <Fact term="State since">{formatDate(vm.lastStateChange)}</Fact>
          <Fact term="Datastore">{vm.datastore}</Fact>
        </DescriptionList>
      </OverviewCard>
      <OverviewCard title="Usage" testId="overview-usage">
        {running ? <VmMetricsPanel name={vm.name} running={running} /> : <p className="vmctl-muted">Measured while the VM runs: CPU, memory, disk and network.</p>}
      </OverviewCard>
      <OverviewCard title="Screen" more={{ label: "Open graphical console", to: `${base}/display` }} testId="overview-screen">
        <Screen vm={vm} to={`${base}/display`} />
      </OverviewCard>
      <VmSettings vm={vm} />
      <OverviewCard title="Network" more={{ label: "All adapters", to: `${base}/hardware` }} testId="overview-network">
        <Nics vm={vm} version={version} />
      </OverviewCard>
      <OverviewCard title="Disks" more={{ label: "All disks", to: `${base}/hardware` }} testId="overview-storage">
        <Storage name={vm.name} version={version} />
      </OverviewCard>
      <OverviewCard title="Latest snapshots" more={{ label: "All snapshots", to: `${base}/snapshots` }} testId="overview-snapshots-card">
        <Snapshots vm={vm} version={version} />
      </OverviewCard>
      <OverviewCard title="Latest tasks" more={{ label: "All tasks", to: `${base}/tasks` }} testId="overview-tasks-card">
        <Tasks name={vm.name} />
      </OverviewCard>
    </div>
  );
}
