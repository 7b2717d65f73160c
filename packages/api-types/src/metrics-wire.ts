// Live figures of a running VM, as the monitor WebSocket (/ws/vms/{name}) sends them every few
// seconds. Every figure is measured; one that cannot be measured for this VM is left out, not zeroed.
import { Type, type Static } from "@sinclair/typebox";

export const VmMetricsSchema = Type.Object({
  cpu: Type.Optional(Type.Object({ utilization: Type.Number({ minimum: 0, maximum: 100, description: "percent of the VM's vCPUs busy since the last sample" }) })),
  memory: Type.Optional(Type.Object({
    used: Type.Integer({ description: "bytes" }),
    total: Type.Integer({ description: "bytes" }),
    source: Type.Union([Type.Literal("guest"), Type.Literal("host")], { description: "guest: the balloon driver's statistics; host: the QEMU process's resident memory" }),
  })),
  network: Type.Optional(Type.Object({ rxBytes: Type.Integer(), txBytes: Type.Integer(), rxPackets: Type.Integer(), txPackets: Type.Integer() })),
  disk: Type.Optional(Type.Object({ readBytes: Type.Integer(), writeBytes: Type.Integer(), readOps: Type.Integer(), writeOps: Type.Integer() })),
});
export type VmMetrics = Static<typeof VmMetricsSchema>;
