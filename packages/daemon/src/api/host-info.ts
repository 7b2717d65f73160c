// /api/v1/host and /api/v1/datastores: what this host is and what it has.
import { hostname, cpus, totalmem } from "node:os";
import { HostInfoSchema, DatastoreListSchema, HealthSchema, type HostInfo } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";

export function registerHostRoutes(app: ApiApp, host: Host): void {
  app.get("/healthz", { schema: { response: { 200: HealthSchema }, summary: "Liveness" } }, async () => ({ ok: true }));

  app.get("/api/v1/host", { schema: { response: responses({ 200: HostInfoSchema }), summary: "This host: versions, accelerator and why, CPUs, memory, VMs by state" } }, async (): Promise<HostInfo> => {
    const vmsByState: Record<string, number> = {};
    for (const vm of host.vms.list()) vmsByState[vm.state] = (vmsByState[vm.state] ?? 0) + 1;
    const accel = await host.accelerator();
    return {
      id: host.hostId, hostname: hostname(), version: host.version, qemuVersion: host.qemuVersion, nodeVersion: process.version,
      accelerator: { kind: accel.accel, reason: accel.reason }, cpus: cpus().length, memoryBytes: totalmem(),
      home: host.config.home, vmsByState,
      cluster: host.cluster ? { clusterId: host.cluster.config.clusterId, centerUrls: host.cluster.config.centerUrls } : null,
    };
  });

  app.get("/api/v1/datastores", { schema: { response: responses({ 200: DatastoreListSchema }), summary: "Datastores with capacity and free space" } }, async () => ({ datastores: host.datastores.describe() }));
}
