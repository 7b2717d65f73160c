// Maintenance mode: enabling it on a host with two running guests on the shared datastore moves both
// away live and marks the host unschedulable; a new VM is not placed there; disabling it brings the
// host back into service.
import { describe, expect, it } from "vitest";
import type { ClusterCreateResult, MaintenanceResult } from "../../packages/api-types/src/index.js";
import { clusterGuest, expectTaskSuccess, hostOfVm, qemusByPidfile, startVm, useCluster, waitForHosts } from "./cluster-harness.js";

describe("cluster maintenance mode", () => {
  const cluster = useCluster({ hosts: 3 });

  it("drains a host of its running guests and keeps new VMs off it", async () => {
    const { client, demo, local } = cluster();
    const drained = demo.hosts[0]!;
    // Two guests made on host1 itself, on the shared datastore, running.
    for (const name of ["mt1", "mt2"]) {
      await local(drained).createVm(clusterGuest(name), "shared");
      await startVm(local(drained), name);
    }
    await waitForHosts(cluster(), (hosts) => hosts.find((h) => h.id === drained.id)?.runningVms === 2);

    const started = performance.now();
    const ended = await expectTaskSuccess(client, await client.cluster.maintenance(drained.id, true));
    const result = ended.result as unknown as MaintenanceResult;
    process.stdout.write(`maintenance of ${drained.name}: drained in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(result)}\n`);
    expect(result.moved.map((m) => m.vm).sort()).toEqual(["mt1", "mt2"]);
    expect(result.moved.every((m) => m.live)).toBe(true);

    // Nothing runs on it any more; both guests run elsewhere, once each.
    expect((await local(drained).listVms()).filter((v) => v.state === "running")).toEqual([]);
    for (const name of ["mt1", "mt2"]) {
      const where = await hostOfVm(client, name);
      expect(where).toMatchObject({ state: "running" });
      expect(where!.host).not.toBe(drained.id);
      expect(qemusByPidfile(cluster(), name)).toHaveLength(1);
    }
    const host = (await client.cluster.hosts()).find((h) => h.id === drained.id)!;
    expect(host).toMatchObject({ maintenance: true, schedulable: false });

    // The host is the emptiest now, yet placement passes it over.
    const placed = await expectTaskSuccess(client, await client.cluster.createVm(clusterGuest("mt3")));
    const chosen = (placed.result as unknown as ClusterCreateResult);
    expect(chosen.host).not.toBe(drained.id);
    expect(chosen.reasons.join("\n")).toMatch(new RegExp(`${drained.name}.*(maintenance|unschedulable|schedulable)`, "i"));

    // Out of maintenance: schedulable again.
    await expectTaskSuccess(client, await client.cluster.maintenance(drained.id, false));
    await waitForHosts(cluster(), (hosts) => hosts.some((h) => h.id === drained.id && !h.maintenance && h.schedulable));
  });
});
