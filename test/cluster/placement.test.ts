// Placement through vmcenter on a three-host demo cluster: the demo's pinned JSON and TLS, and a VM
// created at vmcenter that lands on the emptiest host, with the task's result saying why.
import { statSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VmctlClient } from "../../packages/client/src/index.js";
import type { ClusterCreateResult } from "../../packages/api-types/src/index.js";
import { isRunning } from "../../packages/center/src/demo/cluster-demo.js";
import { clusterGuest, expectTaskSuccess, startVm, useCluster, waitForHosts } from "./cluster-harness.js";

describe("cluster placement", () => {
  const cluster = useCluster({ hosts: 3 });

  it("writes the pinned JSON once every host joined, and vmcenter and the hosts are trusted by the demo CA only", async () => {
    const { demo, dir } = cluster();
    const file = join(dir, "cluster.json");
    expect(statSync(file).mode & 0o077).toBe(0);
    const info = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown> & { hosts: Array<Record<string, unknown>> };
    expect(Object.keys(info).sort()).toEqual(["ca", "hosts", "sharedDatastore", "token", "url"]);
    expect(info.sharedDatastore).toEqual({ name: "shared", path: join(dir, "shared") });
    expect(info.hosts).toHaveLength(3);
    for (const host of info.hosts) {
      expect(host).toEqual(expect.objectContaining({ id: expect.any(String), url: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/), home: expect.any(String), pid: expect.any(Number) }));
      expect(isRunning(host.pid as number)).toBe(true);
      // Joined once, it starts again from its cluster.json: the command holds no join token.
      expect(host.command).toEqual(expect.arrayContaining(["--home", host.home]));
      expect((host.command as string[]).join(" ")).not.toContain("join");
    }
    const hosts = await cluster().client.cluster.hosts();
    expect(hosts.map((h) => h.id).sort()).toEqual(info.hosts.map((h) => h.id).sort());
    expect(hosts.every((h) => h.state === "connected" && h.schedulable && !h.maintenance)).toBe(true);

    // Names are checked against the demo CA (127.0.0.1 is in every certificate); the system's CAs do not know it.
    const ca = readFileSync(demo.ca, "utf8");
    await expect(new VmctlClient({ url: demo.url, token: demo.token }).cluster.hosts()).rejects.toThrow();
    const direct = await new VmctlClient({ url: demo.hosts[0]!.url, ca }).openSession("admin", demo.hostPassword);
    expect((await direct.client.host()).id).toBe(demo.hosts[0]!.id);
    // vmcenter answers nothing without its token, or with a made-up one.
    await expect(new VmctlClient({ url: demo.url, ca }).cluster.hosts()).rejects.toMatchObject({ status: 401 });
    await expect(new VmctlClient({ url: demo.url, ca, token: "vmcenter_forged" }).cluster.hosts()).rejects.toMatchObject({ status: 401 });
    // vmcenter's API token is vmcenter's alone: a host takes only the short-lived JWTs vmcenter mints for it.
    await expect(new VmctlClient({ url: demo.hosts[0]!.url, ca, token: demo.token }).listVms()).rejects.toMatchObject({ status: 401 });
  });

  it("places a new VM on the emptiest host and explains the choice in the task's result", async () => {
    const { client, demo, local } = cluster();
    const [h1, h2, h3] = demo.hosts as [typeof demo.hosts[0], typeof demo.hosts[0], typeof demo.hosts[0]];
    // host1 runs a 256 MiB guest and host2 a 128 MiB one: host3, with none, has the most memory free.
    await local(h1).createVm(clusterGuest("p-big", { memory: "256MiB" }));
    await local(h2).createVm(clusterGuest("p-small"));
    await Promise.all([startVm(local(h1), "p-big"), startVm(local(h2), "p-small")]);
    await waitForHosts(cluster(), (hosts) => hosts.find((h) => h.id === h1.id)?.runningVms === 1 && hosts.find((h) => h.id === h2.id)?.runningVms === 1);
    const before = await client.cluster.hosts();
    const freest = [...before].sort((a, b) => b.freeMemoryBytes - a.freeMemoryBytes)[0]!;
    expect(freest.id).toBe(h3.id);

    const task = await client.cluster.createVm(clusterGuest("p-new"));
    expect(["queued", "running", "success"]).toContain(task.state);
    const ended = await expectTaskSuccess(client, task);
    const result = ended.result as unknown as ClusterCreateResult;
    expect(result.host).toBe(h3.id);
    expect(result.hostName).toBe("host3");
    // One line per host, each naming it: why host3 and why not the others.
    const reasons = result.reasons.join("\n");
    for (const name of ["host1", "host2", "host3"]) expect(reasons).toContain(name);
    process.stdout.write(`placement reasons:\n${reasons}\n`);

    expect((await local(h3).listVms()).map((v) => v.name)).toContain("p-new");
    expect((await local(h1).listVms()).map((v) => v.name)).not.toContain("p-new");
    expect((await local(h2).listVms()).map((v) => v.name)).not.toContain("p-new");
    const listed = (await client.cluster.vms()).find((v) => v.name === "p-new");
    expect(listed).toMatchObject({ host: h3.id, hostName: "host3" });
    // vmcenter answers for the VM as its host would.
    expect((await client.getVm("p-new")).name).toBe("p-new");
    // VM names are unique across the cluster: a second "p-big" is refused wherever it would land.
    const again = await client.cluster.createVm(clusterGuest("p-big")).then((t) => client.cluster.waitTask(t.id), (error: unknown) => error);
    expect(again instanceof Error || (again as { state: string }).state === "error").toBe(true);
  });
});
