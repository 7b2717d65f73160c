// Changes that wait for the next start, against a real vmctld and QEMU: cpus and memory PATCHed
// (with If-Match) while the guest runs are listed in pendingChanges with what runs and what comes
// (the same QEMU process keeps running), a vmctld
// crash and re-attach keeps the list, a restart applies it and empties it; a stale ETag is 412.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { guestDefinition, TestHost } from "./harness.js";

let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

const power = async (name: string, action: "start" | "restart" | "stop") => {
  const task = await host.client.power(name, action === "stop" ? { action, force: true } : { action });
  expect((await host.client.waitTask(task.id)).state).toBe("success");
};

describe("pendingChanges", () => {
  it("lists cpus and memory changed while running, keeps them over a vmctld crash, and empties at the restart", async () => {
    await host.client.createVm(guestDefinition("pend-a", { cpus: 1 }));
    expect((await host.client.getVm("pend-a")).pendingChanges).toEqual([]);
    await power("pend-a", "start");
    const running = await host.client.getVm("pend-a");
    expect(running.pendingChanges).toEqual([]);

    const patched = await host.client.patchVm("pend-a", { cpus: 2, memory: "320MiB" }, running.etag);
    expect(patched.definition?.cpus).toBe(2);
    expect(patched.pendingChanges).toEqual([
      { field: "cpus", running: "1", next: "2" },
      { field: "memory", running: "256MiB", next: "320MiB" },
    ]);
    // The process still has what it was started with.
    expect(host.qemuPid("pend-a")).toBe(running.pid);
    const stale = await host.client.patchVm("pend-a", { cpus: 3 }, running.etag).catch((error: unknown) => error);
    expect(stale).toMatchObject({ status: 412 });

    await host.killDaemon();
    await host.startDaemon();
    const reattached = await host.client.getVm("pend-a");
    expect(reattached).toMatchObject({ state: "running", pid: running.pid });
    expect(reattached.pendingChanges?.map((c) => c.field)).toEqual(["cpus", "memory"]);

    await power("pend-a", "restart");
    const restarted = await host.client.getVm("pend-a");
    expect(restarted.pid).not.toBe(running.pid);
    expect(restarted.pendingChanges).toEqual([]);
    await power("pend-a", "stop");
    expect((await host.client.getVm("pend-a")).pendingChanges).toEqual([]);
  }, 240_000);
});
