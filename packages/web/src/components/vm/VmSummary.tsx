// The Summary tab: the VM's state, size and process at a glance, with its live measurements.
import { useEffect, useState } from "react";
import { DescriptionList, Label } from "@patternfly/react-core";
import type { VmSummary as Vm } from "@vmctl/api-types";
import { formatBytes, formatUptime } from "../../format";
import { Fact } from "../shared/Fact";
import { hasQemu } from "./abilities";
import { VmMetricsPanel } from "./VmMetricsPanel";
import { Addresses } from "./Addresses";
import { addressesOf } from "../../api/networks";
import { GuestAgent } from "./GuestAgent";

const EXIT = { "guest-shutdown": "the guest shut down", "host-stop": "stopped from vmctl", "guest-panic": "the guest panicked", crash: "QEMU crashed", killed: "QEMU was killed" } as const;

export function VmSummary({ vm }: { vm: Vm }) {
  const running = hasQemu(vm);
  // The uptime moves on by itself.
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => setTick((t) => t + 1), 5000);
    return () => window.clearInterval(timer);
  }, [running]);
  return (
    <>
      <DescriptionList isCompact columnModifier={{ default: "2Col" }} style={{ marginTop: 16 }} aria-label="Summary">
        <Fact term="CPUs">{vm.cpus}</Fact>
        <Fact term="Memory">{formatBytes(vm.memoryBytes)} allocated</Fact>
        <Fact term="QEMU">{vm.pid ? `process ${vm.pid}, ${vm.accel === "kvm" ? "KVM" : vm.accel === "tcg" ? "TCG (emulated)" : vm.accel ?? ""}` : "not running"}</Fact>
        <Fact term="IP addresses"><Addresses addresses={addressesOf(vm)} testId="summary-addresses" /></Fact>
        <Fact term="Guest agent"><GuestAgent vm={vm} running={running} /></Fact>
        <Fact term="Uptime">{running ? formatUptime(vm.startedAt) : "-"}</Fact>
        <Fact term="Datastore">{vm.datastore}</Fact>
        <Fact term="Starts with vmctld">{vm.autostart ? <Label isCompact color="green">yes</Label> : "no"}</Fact>
        <Fact term="Last exit">{vm.lastExitReason ? EXIT[vm.lastExitReason] : "-"}</Fact>
        <Fact term="Last state change">{new Date(vm.lastStateChange).toLocaleString()}</Fact>
      </DescriptionList>
      <VmMetricsPanel name={vm.name} running={running} />
    </>
  );
}
