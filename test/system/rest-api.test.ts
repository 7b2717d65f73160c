// The REST API as scripts use it: filters, batch actions with child tasks, ETags, cancelling.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { TestHost, guestDefinition } from "./harness.js";

let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

describe("REST v1", () => {
  it("a batch start of 5 VMs reports 5 child tasks, and a batch stop by pattern stops them all", async () => {
    const names = ["farm-1", "farm-2", "farm-3", "farm-4", "farm-5"];
    for (const name of names) await host.client.createVm(guestDefinition(name));
    await host.client.createVm(guestDefinition("other"));
    const response = await host.client.raw("POST", "/api/v1/vms:batch", { type: "application/json", text: JSON.stringify({ action: "start", names }) });
    expect(response.status).toBe(202);
    const parent = JSON.parse(response.text) as { id: string };
    expect(response.headers.location).toBe(`/api/v1/tasks/${parent.id}`);
    const done = await host.client.waitTask(parent.id);
    expect(done).toMatchObject({ op: "vms.batch", state: "success", progress: 100 });
    const children = await host.client.listTasks({ parent: parent.id });
    expect(children.map((t) => [t.target, t.op, t.state]).sort()).toEqual(names.map((n) => [`vm/${n}`, "vm.start", "success"]));
    const running = (await host.client.call<{ vms: Array<{ name: string }>; total: number }>("GET", "/api/v1/vms?state=running&sort=-name"));
    expect(running).toEqual({ vms: [...names].reverse().map((name) => expect.objectContaining({ name, state: "running" })), total: 5 });
    const page = await host.client.call<{ vms: Array<{ name: string }>; total: number }>("GET", "/api/v1/vms?name=farm-*&sort=name&limit=2&offset=2");
    expect(page).toEqual({ vms: [expect.objectContaining({ name: "farm-3" }), expect.objectContaining({ name: "farm-4" })], total: 5 });

    const stop = await host.client.batch({ action: "stop", pattern: "farm-*", force: true });
    expect((await host.client.waitTask(stop.id)).state).toBe("success");
    expect((await host.client.listVms("running"))).toEqual([]);
  });

  it("a batch naming an unknown VM does nothing; one whose children fail says which", async () => {
    const unknown = await host.client.batch({ action: "start", names: ["farm-1", "ghost"] }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 404, code: "vm_not_found", message: expect.stringContaining('"ghost"') });
    expect((await host.client.getVm("farm-1")).state).toBe("stopped");
    const failing = await host.client.batch({ action: "stop", names: ["farm-1", "farm-2"] });
    const ended = await host.client.waitTask(failing.id);
    expect(ended.state).toBe("error");
    expect(ended.error?.message).toMatch(/2 of 2 failed: farm-1 \(cannot stop VM "farm-1": it is stopped/);
  });

  it("concurrent PUTs with the same ETag: one wins, the other gets 412", async () => {
    await host.client.createVm(guestDefinition("contested"));
    const { text, etag } = await host.client.getDefinition("contested");
    const results = await Promise.allSettled([
      host.client.putDefinition("contested", text.replace('memory = "256MiB"', 'memory = "300MiB"'), etag),
      host.client.putDefinition("contested", text.replace('memory = "256MiB"', 'memory = "320MiB"'), etag),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ status: 412, code: "precondition_failed" });
    // PATCH is a JSON merge patch, with the same guard.
    const current = await host.client.getVm("contested");
    const patched = await host.client.patchVm("contested", { cpus: 2, policy: { on_crash: "restart" } }, current.etag);
    expect(patched).toMatchObject({ cpus: 2, definition: expect.objectContaining({ policy: expect.objectContaining({ on_crash: "restart" }) }) });
    await expect(host.client.patchVm("contested", { cpus: 3 }, current.etag)).rejects.toMatchObject({ status: 412 });
  });

  it("a queued task can be cancelled; a running or ended one says why not", async () => {
    await host.client.createVm(guestDefinition("queue"));
    const refused = await host.client.power("queue", { action: "reset" }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 409, code: "vm_wrong_state" }); // checked before anything is queued
    await host.client.waitTask((await host.client.power("queue", { action: "start" })).id);
    await host.client.waitTask((await host.client.power("queue", { action: "pause" })).id);
    // A paused guest cannot answer the power button: this stop holds the VM for its 3 s timeout.
    const stop = await host.client.power("queue", { action: "stop", timeout: 3 });
    const queued = await host.client.power("queue", { action: "stop", force: true });
    expect((await host.client.getTask(queued.id)).state).toBe("queued");
    await expect(host.client.cancelTask(stop.id)).rejects.toMatchObject({ status: 409, code: "task_not_cancellable", message: expect.stringContaining("cannot stop halfway") });
    expect(await host.client.cancelTask(queued.id)).toMatchObject({ state: "cancelled" });
    expect(await host.client.waitTask(stop.id)).toMatchObject({ state: "success" });
    expect((await host.client.getVm("queue")).state).toBe("stopped");
    expect(await host.client.getTask(queued.id)).toMatchObject({ state: "cancelled" });
    await expect(host.client.cancelTask(stop.id)).rejects.toMatchObject({ status: 409, message: expect.stringContaining("already ended") });
  });
});
