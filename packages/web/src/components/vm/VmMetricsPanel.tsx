// Live CPU, memory and disk figures of a running VM, every one measured by vmctld.
import { Card, CardBody, CardTitle, Gallery, Progress } from "@patternfly/react-core";
import { useVMWebSocket } from "../../api/monitor";

const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;

function Sparkline({ values }: { values: number[] }) {
  if (values.length < 2) return null;
  const points = values.map((v, i) => `${(i / (values.length - 1)) * 200},${40 - (v / 100) * 40}`).join(" ");
  return <svg width="200" height="40" role="img" aria-label="CPU over the last two minutes"><polyline points={points} fill="none" stroke="#0066cc" strokeWidth="2" /></svg>;
}

export function VmMetricsPanel({ name, running }: { name: string; running: boolean }) {
  const { metrics, history } = useVMWebSocket(name, running);
  if (!running) return null;
  if (!metrics) return <p style={{ marginTop: 16 }}>Waiting for the first measurements…</p>;
  return (
    <Gallery hasGutter minWidths={{ default: "220px" }} style={{ marginTop: 16 }} data-testid="metrics">
      <Card isCompact><CardTitle>CPU</CardTitle><CardBody>{metrics.cpu ? <><Progress value={metrics.cpu.utilization} aria-label="CPU utilization" size="sm" /><Sparkline values={history} /></> : "measuring…"}</CardBody></Card>
      <Card isCompact><CardTitle>Memory</CardTitle><CardBody>{metrics.memory ? <><Progress value={(metrics.memory.used / metrics.memory.total) * 100} aria-label="Memory used" size="sm" />{mib(metrics.memory.used)} of {mib(metrics.memory.total)} ({metrics.memory.source === "guest" ? "guest's view" : "host's view"})</> : "not measured"}</CardBody></Card>
      <Card isCompact><CardTitle>Disk</CardTitle><CardBody>{metrics.disk ? `read ${mib(metrics.disk.readBytes)} (${metrics.disk.readOps} ops), written ${mib(metrics.disk.writeBytes)} (${metrics.disk.writeOps} ops)` : "no disks"}</CardBody></Card>
      <Card isCompact><CardTitle>Network</CardTitle><CardBody>{metrics.network ? `in ${mib(metrics.network.rxBytes)}, out ${mib(metrics.network.txBytes)}` : "not measured on NAT"}</CardBody></Card>
    </Gallery>
  );
}
