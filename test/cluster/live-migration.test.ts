// Live migration through vmcenter: a running demo guest on the shared datastore moves to the other
// host; a console WebSocket opened through vmcenter before the move still echoes after it, the
// guest's uptime goes on (/proc/uptime does not reset), and the task reports its downtime.
import { describe, expect, it } from "vitest";
import { VmctlClient } from "../../packages/client/src/index.js";
import type { ClusterCreateResult, ClusterMigrateResult } from "../../packages/api-types/src/index.js";
import { ConsoleReader, GUEST_READY_LINE, clusterGuest, eventually, expectTaskSuccess, hostOfVm, qemusByPidfile, qemusByPs, startVm, useCluster } from "./cluster-harness.js";

async function uptime(reader: ConsoleReader): Promise<number> {
  const out = await reader.run("cat /proc/uptime");
  const match = /^(\d+\.\d+) \d+\.\d+\s*$/m.exec(out);
  if (!match) throw new Error(`no uptime in the console's answer: ${JSON.stringify(out)}`);
  return Number(match[1]);
}

describe("cluster live migration", () => {
  const cluster = useCluster({ hosts: 2 });

  it("moves a running guest to the other host with its console session and uptime, and reports the downtime", async () => {
    const { client, demo, local } = cluster();
    const created = await expectTaskSuccess(client, await client.cluster.createVm(clusterGuest("mig1"), "shared"));
    const source = demo.hosts.find((h) => h.id === (created.result as unknown as ClusterCreateResult).host)!;
    const target = demo.hosts.find((h) => h !== source)!;
    await startVm(client, "mig1");
    const reader = await ConsoleReader.open(client, "mig1");
    try {
      await reader.waitFor(GUEST_READY_LINE, 60_000);
      const before = await uptime(reader);
      const startedAt = (await client.getVm("mig1")).startedAt;
      expect(startedAt).toBeTruthy();

      const started = performance.now();
      const task = await client.cluster.migrate("mig1", { host: target.id, live: true });
      const ended = await expectTaskSuccess(client, task);
      const wallMs = performance.now() - started;
      const result = ended.result as unknown as ClusterMigrateResult;
      expect(result).toMatchObject({ from: source.id, to: target.id, live: true });
      expect(result.downtimeMs).toBeGreaterThanOrEqual(0);
      expect(result.downtimeMs).toBeLessThan(5_000);
      expect(result.bytes).toBeGreaterThan(0);
      process.stdout.write(`live migration of a 128 MiB guest: task ${Math.round(wallMs)} ms, totalMs ${result.totalMs}, downtimeMs ${result.downtimeMs}, ${(result.bytes / 2 ** 20).toFixed(1)} MiB sent\n`);
      expect(ended.children?.length ?? 0).toBeGreaterThan(0);

      // It runs on the target alone: one QEMU, the target's; the source lists it no more.
      // vmcenter's list follows the agents' observed state (refreshed every 2 s): running there within a few seconds.
      let listed: Awaited<ReturnType<typeof hostOfVm>>;
      const listedAfterMs = await eventually(async () => {
        listed = await hostOfVm(client, "mig1");
        return listed?.host === target.id && listed.state === "running";
      }, 10_000, () => `vmcenter lists mig1 as ${JSON.stringify(listed)}, not running on ${target.name}`);
      if (listedAfterMs > 0) process.stdout.write(`vmcenter listed mig1 as running on ${target.name} ${listedAfterMs} ms after the task ended\n`);
      // vmctl ls and the Host Client show the uptime going on, not a fresh start on the target.
      expect(await local(target).getVm("mig1")).toMatchObject({ state: "running", startedAt });
      expect((await local(source).listVms()).map((v) => v.name)).not.toContain("mig1");
      expect(qemusByPidfile(cluster(), "mig1")).toEqual([expect.objectContaining({ host: target.name })]);
      expect((await qemusByPs(cluster(), "mig1")).map((q) => q.host)).toEqual([target.name]);

      // The same console socket, never closed, now reaches the guest on the target.
      expect(reader.ended).toBe(false);
      const after = await uptime(reader);
      expect(after).toBeGreaterThan(before);
      expect(await reader.run("echo still-$((40+2))")).toContain("still-42");
      // The guest's clock went on: the uptime grew by about the time the move took, not reset to a fresh boot.
      expect(after - before).toBeLessThan(wallMs / 1000 + 30);
    } finally {
      reader.close();
    }
  });

  it("refuses a migration to a user without the Admin role, and to an unknown host", async () => {
    const { client, demo } = cluster();
    await client.createUser("mig-reader", "mig-reader-password-1", "ReadOnly");
    const { client: reader } = await new VmctlClient({ url: demo.url, ca: client.endpoint.ca! }).openSession("mig-reader", "mig-reader-password-1");
    await expect(reader.cluster.migrate("mig1", { live: true })).rejects.toMatchObject({ status: 403 });
    await expect(reader.power("mig1", { action: "stop", force: true })).rejects.toMatchObject({ status: 403 });
    await expect(client.cluster.migrate("mig1", { host: "no-such-host" })).rejects.toMatchObject({ status: 404 });
    expect((await hostOfVm(client, "mig1"))?.state).toBe("running");
  });
});
