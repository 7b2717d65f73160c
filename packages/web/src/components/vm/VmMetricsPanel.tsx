// Live CPU, memory, disk and network figures of a running VM, every one measured by vmctld (the
// monitor WebSocket's `metrics`), as the Overview's Usage card shows them. Memory says whose figure
// it is: the guest's own (its balloon driver's statistics) where it reports them, else QEMU's
// resident memory (RSS) as the host sees it.
import { Label, Progress, Skeleton } from "@patternfly/react-core";
import { useVMWebSocket, type VmMetrics } from "../../api/monitor";
import { formatBytes } from "../../format";

function Sparkline({ values }: { values: number[] }) {
  if (values.length < 2) return null;
  const points = values.map((v, i) => `${(i / (values.length - 1)) * 200},${30 - (v / 100) * 30}`).join(" ");
  return (
    <svg viewBox="0 0 200 30" preserveAspectRatio="none" width="100%" height="30" role="img" aria-label="CPU over the last few minutes" style={{ display: "block", marginTop: 4 }}>
      <polyline points={points} fill="none" stroke="var(--pf-t--global--color--brand--default, #0066cc)" strokeWidth="2" vectorEffect="non-scaling-stroke" />
    </svg>
  );
}

const small = { fontSize: "var(--pf-t--global--font--size--sm)" } as const;

function Cpu({ cpu, history }: { cpu: NonNullable<VmMetrics["cpu"]>; history: number[] }) {
  const value = Math.round(cpu.utilization);
  return (
    <div className="vmctl-usage">
      <div className="vmctl-usage__head"><strong>CPU</strong><span data-testid="cpu-usage">{value} %</span></div>
      <Progress value={value} aria-label="CPU usage" valueText={`${value} % of the vCPUs busy`} size="sm" measureLocation="none" />
      <Sparkline values={history} />
    </div>
  );
}

function Memory({ memory }: { memory: NonNullable<VmMetrics["memory"]> }) {
  const guest = memory.source === "guest";
  const percent = memory.total > 0 ? Math.min(100, (memory.used / memory.total) * 100) : 0;
  return (
    <div className="vmctl-usage">
      <div className="vmctl-usage__head">
        <strong>Memory <Label isCompact color={guest ? "blue" : "grey"} data-testid="memory-source">{guest ? "guest reported" : "host's view"}</Label></strong>
      </div>
      <Progress value={percent} aria-label="Memory usage" valueText={`${formatBytes(memory.used)} of ${formatBytes(memory.total)}`} size="sm" measureLocation="none" />
      <div>{formatBytes(memory.used)} of {formatBytes(memory.total)} {guest ? "in use" : "allocated"}</div>
      <div className="vmctl-muted" style={small}>{guest ? "as the guest's balloon driver reports it" : "QEMU's resident memory (RSS), until the guest's balloon driver reports its own"}</div>
    </div>
  );
}

/** The Usage card's body: CPU and memory bars, disk and network counters; null while the VM does not run. */
export function VmMetricsPanel({ name, running }: { name: string; running: boolean }) {
  const { metrics, history } = useVMWebSocket(name, running);
  if (!running) return null;
  if (!metrics) {
    return <div role="status" aria-label="Waiting for the first measurements" data-testid="metrics"><Skeleton width="80%" /><Skeleton width="50%" style={{ marginTop: 8 }} /></div>;
  }
  return (
    <div data-testid="metrics" aria-label="Live measurements" role="group" style={{ display: "grid", gap: 12 }}>
      {metrics.cpu ? <Cpu cpu={metrics.cpu} history={history} /> : <div><strong>CPU</strong> <span className="vmctl-muted">measuring…</span></div>}
      {metrics.memory ? <Memory memory={metrics.memory} /> : <div><strong>Memory</strong> <span className="vmctl-muted">not measured</span></div>}
      <div style={small}>
        <div><strong>Disk</strong> {metrics.disk ? `read ${formatBytes(metrics.disk.readBytes)} (${metrics.disk.readOps} ops), written ${formatBytes(metrics.disk.writeBytes)} (${metrics.disk.writeOps} ops)` : "no disks"}</div>
        <div><strong>Network</strong> {metrics.network ? `in ${formatBytes(metrics.network.rxBytes)}, out ${formatBytes(metrics.network.txBytes)}` : "not measured on user-mode NAT"}</div>
      </div>
    </div>
  );
}
