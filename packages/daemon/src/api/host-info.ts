// /api/v1/host and /api/v1/datastores: what this host is and what it has.
import type { FastifyInstance } from "fastify";
import { hostname, cpus, totalmem } from "node:os";
import type { HostInfo } from "@vmctl/api-types";
import type { Host } from "../host.js";

export function registerHostRoutes(app: FastifyInstance, host: Host): void {
  app.get("/healthz", async () => ({ ok: true }));

  app.get("/api/v1/host", async (): Promise<HostInfo> => {
    const vmsByState: Record<string, number> = {};
    for (const vm of host.vms.list()) vmsByState[vm.state] = (vmsByState[vm.state] ?? 0) + 1;
    const accel = await host.accelerator();
    return {
      hostname: hostname(), version: host.version, qemuVersion: host.qemuVersion, nodeVersion: process.version,
      accelerator: { kind: accel.accel, reason: accel.reason }, cpus: cpus().length, memoryBytes: totalmem(),
      home: host.config.home, vmsByState,
    };
  });

  app.get("/api/v1/datastores", async () => ({ datastores: host.datastores.describe() }));
}
