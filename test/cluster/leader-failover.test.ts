// Two vmcenter replicas on one etcd: a cluster task is started, the leader is killed with SIGKILL,
// the other replica takes the lead, the task ends (success, or an error that says why: never left
// running) and new requests work; a third replica started then forwards its writes to the new leader.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VmctlClient } from "../../packages/client/src/index.js";
import type { ClusterCreateResult } from "../../packages/api-types/src/index.js";
import { clusterGuest, eventually, expectTaskSuccess, killCenter, qemusByPidfile, startCenterReplica, startVm, useCluster } from "./cluster-harness.js";

describe("cluster leader failover", () => {
  const cluster = useCluster({ hosts: 2 });

  it("lets the other replica lead when the leader is killed, with no task lost and new requests served", async () => {
    const { client, demo } = cluster();
    const second = await startCenterReplica(demo);
    const ca = readFileSync(demo.ca, "utf8");
    const clientOf = (url: string) => new VmctlClient({ url, token: demo.token, ca });
    // Both replicas know the cluster and agree on the leader; the token works at either.
    await eventually(async () => (await clientOf(second.url).cluster.info()).leader !== null, 30_000, () => "no leader");
    const info = await clientOf(second.url).cluster.info();
    expect((await client.cluster.info()).leader).toBe(info.leader);
    expect(info.replicas).toEqual(expect.arrayContaining([demo.centers[0]!.url, second.url]));
    const leader = demo.centers.find((c) => c.url === info.leader)!;
    const follower = demo.centers.find((c) => c !== leader)!;
    expect(leader).toBeDefined();
    const survivor = clientOf(follower.url);
    const atLeader = clientOf(leader.url);

    // A task that takes a few seconds: live migration of a running guest.
    const created = await expectTaskSuccess(atLeader, await atLeader.cluster.createVm(clusterGuest("lf1"), "shared"));
    const from = (created.result as unknown as ClusterCreateResult).host;
    await startVm(atLeader, "lf1");
    const to = demo.hosts.find((h) => h.id !== from)!;
    const task = await atLeader.cluster.migrate("lf1", { host: to.id, live: true });
    const stateAtKill = (await survivor.cluster.task(task.id)).state;
    await killCenter(demo, leader);
    const killedAt = Date.now();

    const tookOverMs = await eventually(async () => (await survivor.cluster.info()).leader === follower.url, 60_000, () => `${follower.url} never took the lead`);
    process.stdout.write(`leader failover: ${follower.url} leads ${tookOverMs} ms after the leader was killed (task was ${stateAtKill} at the kill)\n`);

    // The task ends: resumed to success, or ended with an error saying why; never left queued or running.
    const ended = await Promise.race([
      survivor.cluster.waitTask(task.id),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`task ${task.id} still not ended 120 s after the leader died`)), 120_000)),
    ]);
    process.stdout.write(`the migration task ended ${ended.state} ${Date.now() - killedAt} ms after the kill${ended.error ? `: ${JSON.stringify(ended.error)}` : ""}\n`);
    expect(["success", "error", "cancelled"]).toContain(ended.state);
    if (ended.state !== "success") expect(String((ended.error as { message?: string } | null)?.message ?? "")).not.toBe("");
    // Whatever the task's end, the guest runs once.
    await eventually(() => qemusByPidfile(cluster(), "lf1").length === 1, 30_000, () => `lf1 has QEMUs ${JSON.stringify(qemusByPidfile(cluster(), "lf1"))}`);

    // New requests work at the new leader: reads, and a write (a VM placed and created).
    expect((await survivor.cluster.hosts()).every((h) => h.state === "connected")).toBe(true);
    await expectTaskSuccess(survivor, await survivor.cluster.createVm(clusterGuest("lf2")));
    expect((await survivor.cluster.vms()).map((v) => v.name)).toEqual(expect.arrayContaining(["lf1", "lf2"]));
  });

  it("forwards a write that reaches a replica which does not lead to the leader", async () => {
    const { demo } = cluster();
    const third = await startCenterReplica(demo);
    const ca = readFileSync(demo.ca, "utf8");
    const atThird = new VmctlClient({ url: third.url, token: demo.token, ca });
    await eventually(async () => (await atThird.cluster.info()).leader !== null, 30_000, () => "no leader");
    const info = await atThird.cluster.info();
    expect(info.leader).not.toBe(third.url);
    const task = await atThird.cluster.createVm(clusterGuest("lf3"));
    const ended = await expectTaskSuccess(atThird, task);
    expect(ended.state).toBe("success");
  });
});
