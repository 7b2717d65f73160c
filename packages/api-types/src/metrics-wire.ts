// Live figures of a running VM, as the monitor WebSocket (/ws/vms/{name}) sends them every few
// seconds. Every figure is measured; one that cannot be measured for this VM is left out, not zeroed.
import { Type, type Static } from "@sinclair/typebox";

/** Bytes and packets a NIC received and sent (the guest's point of view). */
export const NetworkCounters = Type.Object({ rxBytes: Type.Integer(), txBytes: Type.Integer(), rxPackets: Type.Integer(), txPackets: Type.Integer() });
export type NetworkCounters = Static<typeof NetworkCounters>;

export const VmMetricsSchema = Type.Object({
  cpu: Type.Optional(Type.Object({ utilization: Type.Number({ minimum: 0, maximum: 100, description: "percent of the VM's vCPUs busy since the last sample" }) })),
  memory: Type.Optional(Type.Object({
    used: Type.Integer({ description: "bytes" }),
    total: Type.Integer({ description: "bytes" }),
    source: Type.Union([Type.Literal("guest"), Type.Literal("host")], { description: "guest: the balloon driver's statistics; host: the QEMU process's resident memory" }),
  })),
  network: Type.Optional(Type.Object({
    ...NetworkCounters.properties,
    nics: Type.Optional(Type.Record(Type.String(), NetworkCounters, { description: "each NIC on a tap, by its id in the definition ([nics.ID])" })),
  }, { description: "the NICs on taps (nat, isolated and bridged networks), counted as the guest sees them: rx is what the guest received (what its tap on the host sent), tx what it sent; the figures are the sum over those NICs, since the tap was made (the VM's start or the NIC's hot-plug). Left out when no NIC is on a tap: user-mode NICs are not measured" })),
  disk: Type.Optional(Type.Object({ readBytes: Type.Integer(), writeBytes: Type.Integer(), readOps: Type.Integer(), writeOps: Type.Integer() })),
});
export type VmMetrics = Static<typeof VmMetricsSchema>;
