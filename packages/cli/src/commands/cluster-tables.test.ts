import { describe, it, expect } from "vitest";
import type { ClusterHost, ClusterVm } from "@vmctl/api-types";
import { clusterVmsTable, hostNames, hostsTable, maintenanceLines, migrationLine, placementReport, rulesTable } from "./cluster-tables.js";
import { vmsTable } from "./ls.js";

const GiB = 1024 ** 3;
function host(name: string, id: string, extra: Partial<ClusterHost> = {}): ClusterHost {
  return {
    id, name, url: `https://127.0.0.1:${id.length}000`, state: "connected", maintenance: false, schedulable: true,
    cpus: 4, memoryBytes: 8 * GiB, freeMemoryBytes: 6 * GiB, allocatedMemoryBytes: 2 * GiB, vms: 3, runningVms: 2, load: 0.5,
    tags: [], qemuVersion: "8.2.2", cpuModel: "qemu64", datastores: [], networks: [], joinedAt: "2026-12-04T00:00:00.000Z",
    heartbeatAt: null, deadSince: null, ...extra,
  };
}
function vm(name: string, extra: Partial<ClusterVm> = {}): ClusterVm {
  return {
    name, state: "stopped", cpus: 1, memoryBytes: 256 * 1024 ** 2, datastore: "shared", lastStateChange: "2026-12-04T00:00:00.000Z",
    autostart: false, addresses: [], host: "id-a", hostName: "host1", ...extra,
  };
}

describe("the cluster tables", () => {
  it("shows each host's state with maintenance, its resources and load, and dashes for a host that does not heartbeat", () => {
    const { headers, rows } = hostsTable([
      host("host1", "id-a", { tags: ["ssd", "fast"] }),
      host("host2", "id-b", { maintenance: true, schedulable: false }),
      host("host3", "id-c", { schedulable: false }),
      host("host4", "id-d", { state: "dead", deadSince: "2026-12-04T00:01:00.000Z" }),
    ]);
    expect(headers).toEqual(["NAME", "STATE", "CPUS", "MEMORY", "FREE", "VMS", "LOAD", "TAGS", "URL", "ID"]);
    expect(rows[0]).toEqual(["host1", "connected", "4", "8GiB", "6GiB", "2/3", "0.50", "ssd,fast", "https://127.0.0.1:4000", "id-a"]);
    expect(rows[1]![1]).toBe("connected, maintenance");
    expect(rows[2]![1]).toBe("connected, unschedulable");
    expect(rows[3]!.slice(0, 5)).toEqual(["host4", "dead", "-", "-", "-"]);
  });

  it("lists the cluster's VMs with their host, and says when that host is not connected", () => {
    const { headers, rows } = clusterVmsTable([
      vm("web", { state: "running", ha: true, addresses: [{ ip: "10.0.2.15" } as ClusterVm["addresses"][number]], startedAt: new Date(Date.now() - 65_000).toISOString() }),
      vm("db", { hostName: "host4", hostState: "dead" }),
    ]);
    expect(headers).toEqual(["NAME", "STATE", "HOST", "CPUS", "MEMORY", "HA", "IP", "UPTIME"]);
    expect(rows[0]).toEqual(["web", "running", "host1", "1", "256MiB", "yes", "10.0.2.15", "1m5s"]);
    expect(rows[1]).toEqual(["db", "stopped", "host4 (dead)", "1", "256MiB", "-", "-", "-"]);
  });

  it("gives vmctl ls a HOST column only when the VMs carry their host (vmcenter), by name", () => {
    expect(vmsTable([vm("web")]).headers).toEqual(["NAME", "STATE", "HOST", "CPUS", "MEMORY", "IP", "PID", "UPTIME", "NOTE"]);
    expect(vmsTable([vm("web")]).rows[0]!.slice(0, 3)).toEqual(["web", "stopped", "host1"]);
    const { host: _host, hostName: _name, ...plain } = vm("web");
    expect(vmsTable([plain]).headers).toEqual(["NAME", "STATE", "CPUS", "MEMORY", "IP", "PID", "UPTIME", "NOTE"]);
    expect(vmsTable([plain]).rows[0]!).toHaveLength(8);
    // A host id alone (no name) still shows.
    expect(vmsTable([{ ...plain, host: "id-z" }]).rows[0]![2]).toBe("id-z");
  });

  it("explains a placement: where the VM is, where it would go, and each host's verdict with its reasons", () => {
    const report = placementReport({
      vm: "web", current: "id-a", chosen: "id-b",
      hosts: [
        { id: "id-a", name: "host1", eligible: false, score: 0, reasons: ["the VM runs here"] },
        { id: "id-b", name: "host2", eligible: true, score: 4 * GiB, reasons: ["4GiB free after placing", "most free memory"] },
        { id: "id-c", name: "host3", eligible: true, score: 2 * GiB, reasons: [] },
        { id: "id-d", name: "host4", eligible: false, score: 0, reasons: ["anti-affinity rule spread: db runs here"] },
      ],
    });
    expect(report.summary).toBe("web: on host1; placement would choose host2");
    expect(report.table.rows).toEqual([
      ["host1", "current", "-", "the VM runs here"],
      ["host2", "chosen", "4GiB", "4GiB free after placing; most free memory"],
      ["host3", "eligible", "2GiB", "-"],
      ["host4", "refused", "-", "anti-affinity rule spread: db runs here"],
    ]);
    expect(placementReport({ vm: "new", current: null, chosen: null, hosts: [] }).summary).toBe("new: not placed yet; no other host qualifies");
  });

  it("prints rules, a migration's result and a maintenance's by host name", () => {
    expect(rulesTable([{ name: "spread", type: "anti-affinity", vms: ["web1", "web2"] }]).rows).toEqual([["spread", "anti-affinity", "web1,web2"]]);
    const names = hostNames([host("host1", "id-a"), host("host2", "id-b")]);
    expect(migrationLine("web", { from: "id-a", to: "id-b", live: true, downtimeMs: 42, bytes: 300 * 1024 ** 2, totalMs: 2500 }, names))
      .toBe("web: moved from host1 to host2 in 2.5 s (live, downtime 42 ms, 300MiB sent)");
    expect(migrationLine("db", { from: "id-a", to: "id-x", live: false, downtimeMs: 0, bytes: 0, totalMs: 300 }, names))
      .toBe("db: moved from host1 to id-x in 300 ms (cold, 0B sent)");
    expect(maintenanceLines({ host: "id-a", maintenance: true, moved: [{ vm: "web", to: "id-b", live: true }], left: [{ vm: "tmp", reason: "stopped, on local storage" }] }, names))
      .toEqual(["host1: in maintenance (unschedulable)", "  moved web to host2 (live)", "  left tmp here: stopped, on local storage"]);
    expect(maintenanceLines({ host: "id-a", maintenance: true, moved: [], left: [] }, names)).toEqual(["host1: in maintenance (unschedulable); it ran no VMs"]);
    expect(maintenanceLines({ host: "id-a", maintenance: false, moved: [], left: [] }, names)).toEqual(["host1: back in service (schedulable)"]);
  });
});

describe("vmctl cluster against a plain host", () => {
  it("says to give vmcenter's URL for a route the host does not have, and leaves other 404s alone", async () => {
    const { ApiError } = await import("@vmctl/client");
    const { notCluster } = await import("./cluster.js");
    const { CliError } = await import("../output.js");
    const plain = notCluster(new ApiError(404, "not_found", "no route GET /api/v1/cluster/hosts"));
    expect(plain).toBeInstanceOf(CliError);
    expect((plain as Error).message).toMatch(/a vmctl host, not vmcenter.*--url https:\/\/center:PORT \(or VMCTL_URL\)/);
    const missing = new ApiError(404, "vm_not_found", 'no VM named "x" in the cluster');
    expect(notCluster(missing)).toBe(missing);
  });
});
