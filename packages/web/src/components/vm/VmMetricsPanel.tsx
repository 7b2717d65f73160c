// Live CPU, memory and disk figures of a running VM, every one measured by vmctld. Memory says whose
// figure it is: QEMU's resident memory as the host sees it until the guest's balloon driver reports
// its own, which then replaces it.
import { Card, CardBody, CardTitle, Gallery, Label, Progress, Skeleton } from "@patternfly/react-core";
import { useVMWebSocket, type VmMetrics } from "../../api/monitor";
import { formatBytes } from "../../format";

function Sparkline({ values }: { values: number[] }) {
  if (values.length < 2) return null;
  const points = values.map((v, i) => `${(i / (values.length - 1)) * 200},${40 - (v / 100) * 40}`).join(" ");
  return <svg width="200" height="40" role="img" aria-label="CPU over the last two minutes" style={{ marginTop: 8 }}><polyline points={points} fill="none" stroke="var(--pf-t--global--color--brand--default, #0066cc)" strokeWidth="2" /></svg>;
}

function Memory({ memory }: { memory: NonNullable<VmMetrics["memory"]> }) {
  const guest = memory.source === "guest";
  return (
    <>
      <Progress value={(memory.used / memory.total) * 100} aria-label={guest ? "Memory in use, as the guest reports it" : "Memory QEMU holds, as the host sees it"} size="sm" />
      <div>{formatBytes(memory.used)} of {formatBytes(memory.total)} {guest ? "in use" : "allocated"}</div>
      <div className="vmctl-muted" style={{ fontSize: "var(--pf-t--global--font--size--sm)" }}>
        {guest ? "as the guest's balloon driver reports it" : "QEMU's resident memory, until the guest's balloon driver reports"}
      </div>
    </>
  );
}

export function VmMetricsPanel({ name, running }: { name: string; running: boolean }) {
  const { metrics, history } = useVMWebSocket(name, running);
  if (!running) return null;
  const waiting = <div role="status" aria-label="Waiting for the first measurements"><Skeleton width="80%" /><Skeleton width="50%" style={{ marginTop: 8 }} /></div>;
  const memorySource = metrics?.memory ? (metrics.memory.source === "guest" ? "guest reported" : "host's view") : null;
  return (
    <Gallery hasGutter minWidths={{ default: "220px" }} style={{ marginTop: 16 }} data-testid="metrics" aria-label="Live measurements">
      <Card isCompact><CardTitle>CPU</CardTitle><CardBody>{!metrics ? waiting : metrics.cpu ? <><Progress value={metrics.cpu.utilization} aria-label="CPU utilization" size="sm" /><Sparkline values={history} /></> : "measuring…"}</CardBody></Card>
      <Card isCompact>
        <CardTitle>Memory {memorySource ? <Label isCompact color={memorySource === "guest reported" ? "blue" : "grey"} data-testid="memory-source">{memorySource}</Label> : null}</CardTitle>
        <CardBody>{!metrics ? waiting : metrics.memory ? <Memory memory={metrics.memory} /> : "not measured"}</CardBody>
      </Card>
      <Card isCompact><CardTitle>Disk</CardTitle><CardBody>{!metrics ? waiting : metrics.disk ? `read ${formatBytes(metrics.disk.readBytes)} (${metrics.disk.readOps} ops), written ${formatBytes(metrics.disk.writeBytes)} (${metrics.disk.writeOps} ops)` : "no disks"}</CardBody></Card>
      <Card isCompact><CardTitle>Network</CardTitle><CardBody>{!metrics ? waiting : metrics.network ? `in ${formatBytes(metrics.network.rxBytes)}, out ${formatBytes(metrics.network.txBytes)}` : "not measured on NAT"}</CardBody></Card>
    </Gallery>
  );
}
