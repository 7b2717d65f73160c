// Live figures of a running QEMU, every one measured: vCPU thread time from /proc, guest memory from
// the virtio balloon's statistics (else the QEMU process's resident memory), disk I/O from
// query-blockstats, network counters of each NIC's tap from /sys/class/net (the host's rx is the
// guest's tx: they are turned round). User-mode NICs have no tap and are left out.
import { readFile } from "node:fs/promises";
import { qmpCommands as qmp, type BalloonGuestStats, type QmpClient } from "@vmctl/qmp";
import type { NetworkCounters, VmMetrics } from "@vmctl/api-types";
import type { VmMetricsSampler } from "./vm-driver.js";

const CLOCK_TICKS = 100; // USER_HZ on Linux
const BALLOON = "/machine/peripheral/balloon0";

async function threadCpuSeconds(pid: number, tid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime
}

async function residentBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kib ? Number(kib) * 1024 : undefined;
}

export class QemuMetricsSampler implements VmMetricsSampler {
  private vcpuThreads: number[] | undefined;
  private previous: { at: number; cpuSeconds: number } | undefined;
  private balloonPolling = false;

  constructor(private readonly qmp: QmpClient, private readonly pid: number, private readonly vcpus: number, private readonly memoryBytes: number, private readonly taps: () => Record<string, string> = () => ({})) {}

  async sample(): Promise<VmMetrics> {
    const metrics: VmMetrics = {};
    const [cpu, memory, disk, network] = await Promise.all([this.cpu(), this.memory(), this.disk(), networkCounters(this.taps())]);
    if (cpu !== undefined) metrics.cpu = { utilization: cpu };
    if (memory) metrics.memory = memory;
    if (network) metrics.network = network;
    if (disk) metrics.disk = disk;
    return metrics;
  }

  /** Percent of the VM's vCPUs busy since the last sample (100 = all vCPUs fully busy). */
  private async cpu(): Promise<number | undefined> {
    try {
      this.vcpuThreads ??= (await qmp.queryCpusFast(this.qmp)).map((c) => c["thread-id"]);
      const seconds = (await Promise.all(this.vcpuThreads.map((tid) => threadCpuSeconds(this.pid, tid)))).reduce((a, b) => a + b, 0);
      const now = performance.now();
      const previous = this.previous;
      this.previous = { at: now, cpuSeconds: seconds };
      if (!previous || now - previous.at < 100) return undefined;
      const utilization = ((seconds - previous.cpuSeconds) / ((now - previous.at) / 1000) / this.vcpus) * 100;
      return Math.round(Math.max(0, Math.min(100, utilization)) * 10) / 10;
    } catch {
      return undefined;
    }
  }

  private async memory(): Promise<VmMetrics["memory"]> {
    try {
      if (!this.balloonPolling) {
        await qmp.qomSet(this.qmp, BALLOON, "guest-stats-polling-interval", 2);
        this.balloonPolling = true;
      }
      const guest = await qmp.qomGet<BalloonGuestStats>(this.qmp, BALLOON, "guest-stats");
      const total = guest.stats["stat-total-memory"];
      const available = guest.stats["stat-available-memory"] ?? guest.stats["stat-free-memory"];
      if (guest["last-update"] > 0 && total !== undefined && total >= 0 && available !== undefined && available >= 0) {
        return { used: total - available, total, source: "guest" };
      }
    } catch { /* no balloon, or the guest has no driver: fall back to what the host sees */ }
    const rss = await residentBytes(this.pid);
    return rss === undefined ? undefined : { used: Math.min(rss, this.memoryBytes), total: this.memoryBytes, source: "host" };
  }

  private async disk(): Promise<VmMetrics["disk"]> {
    try {
      const devices = await qmp.queryBlockstats(this.qmp);
      if (devices.length === 0) return undefined;
      return devices.reduce((sum, { stats }) => ({
        readBytes: sum.readBytes + stats.rd_bytes, writeBytes: sum.writeBytes + stats.wr_bytes,
        readOps: sum.readOps + stats.rd_operations, writeOps: sum.writeOps + stats.wr_operations,
      }), { readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 });
    } catch {
      return undefined;
    }
  }
}

/** Only a tap vmctld names is read (its names are short hashes, no path in them). */
const TAP_NAME = /^[a-zA-Z0-9_.-]{1,15}$/;

/** A tap's counters as the guest sees them, or undefined when it is gone (a NIC being unplugged). */
async function tapCounters(tap: string): Promise<NetworkCounters | undefined> {
  if (!TAP_NAME.test(tap)) return undefined;
  const read = async (counter: string) => Number((await readFile(`/sys/class/net/${tap}/statistics/${counter}`, "utf8")).trim());
  try {
    const [rxBytes, txBytes, rxPackets, txPackets] = await Promise.all(["tx_bytes", "rx_bytes", "tx_packets", "rx_packets"].map(read));
    return { rxBytes: rxBytes!, txBytes: txBytes!, rxPackets: rxPackets!, txPackets: txPackets! };
  } catch {
    return undefined;
  }
}

/** The NICs' taps summed, each NIC beside; undefined when no NIC is on a tap. */
export async function networkCounters(taps: Record<string, string>): Promise<VmMetrics["network"]> {
  const nics: Record<string, NetworkCounters> = {};
  for (const [nic, tap] of Object.entries(taps)) {
    const counters = await tapCounters(tap);
    if (counters) nics[nic] = counters;
  }
  const all = Object.values(nics);
  if (all.length === 0) return undefined;
  const sum = all.reduce((a, b) => ({ rxBytes: a.rxBytes + b.rxBytes, txBytes: a.txBytes + b.txBytes, rxPackets: a.rxPackets + b.rxPackets, txPackets: a.txPackets + b.txPackets }));
  return { ...sum, nics };
}
