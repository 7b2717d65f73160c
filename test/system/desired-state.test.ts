// Desired state as a script uses it: PUT /api/v1/vms/{name}/state says where a VM should be; a VM
// already there answers 200 with its summary and no task, one that is not answers 202 with the task
// that gets it there. Real QEMU, the API over the unix socket and HTTPS, and `vmctl state`.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { isAlive } from "@vmctl/qemu";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";
import { https } from "./https-support.js";

let host: TestHost;
let readOnlyToken: string;
beforeAll(async () => {
  host = await TestHost.start();
  await host.client.createVm(guestDefinition("wanted"));
  await host.client.call("POST", "/api/v1/users", { username: "rob", password: "rob-password", role: "ReadOnly" });
  readOnlyToken = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "rob-token", role: "ReadOnly", expires: null, user: "rob" })).token;
});
afterAll(async () => { await host?.close(); });

const put = (name: string, body: unknown) => host.client.raw("PUT", `/api/v1/vms/${name}/state`, { type: "application/json", text: JSON.stringify(body) });
/** Waits for the guest to have booted, so that a graceful stop is answered by its ACPI handler. */
async function booted(name: string): Promise<void> {
  const console = await ConsoleReader.open(host.client, name);
  await console.waitFor(GUEST_READY_LINE);
  console.close();
}
const tasksOf = async (name: string) => (await host.client.listTasks({ target: `vm/${name}` })).length;

describe("PUT /api/v1/vms/{name}/state", () => {
  it("starts a stopped VM (202 and a task), then answers 200 with nothing to do; stops it the same way", async () => {
    const start = await put("wanted", { state: "running" });
    expect(start.status).toBe(202);
    const task = JSON.parse(start.text) as { id: string; op: string };
    expect(start.headers.location).toBe(`/api/v1/tasks/${task.id}`);
    expect(task.op).toBe("vm.set_state");
    expect(await host.client.waitTask(task.id)).toMatchObject({ state: "success", log: expect.arrayContaining([expect.stringContaining('start to get "wanted" running')]) });
    const running = await host.client.getVm("wanted");
    expect(running.state).toBe("running");
    expect(running.pid !== undefined && isAlive(running.pid)).toBe(true);

    const before = await tasksOf("wanted");
    const again = await put("wanted", { state: "running" });
    expect(again.status).toBe(200);
    expect(JSON.parse(again.text)).toMatchObject({ name: "wanted", state: "running", pid: running.pid });
    expect(await tasksOf("wanted")).toBe(before);

    await booted("wanted");
    const stop = await put("wanted", { state: "stopped" });
    expect(stop.status).toBe(202);
    const stopTask = JSON.parse(stop.text) as { id: string };
    expect(stop.headers.location).toBe(`/api/v1/tasks/${stopTask.id}`);
    expect((await host.client.waitTask(stopTask.id)).state).toBe("success");
    expect((await host.client.getVm("wanted")).state).toBe("stopped");
    expect(isAlive(running.pid!)).toBe(false);

    const stopped = await tasksOf("wanted");
    const stillStopped = await put("wanted", { state: "stopped" });
    expect(stillStopped.status).toBe(200);
    expect(JSON.parse(stillStopped.text)).toMatchObject({ name: "wanted", state: "stopped" });
    expect(await tasksOf("wanted")).toBe(stopped);
  });

  it("refuses a body that is not a desired state, naming the field", async () => {
    for (const [body, field] of [[{ state: "paused" }, "state"], [{ state: "running", force: true }, "force"], [{}, "state"]] as const) {
      const answer = await put("wanted", body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      const { error } = JSON.parse(answer.text) as { error: { code: string; message: string } };
      expect(error.code).toBe("bad_request");
      expect(error.message).toMatch(new RegExp(`^${field}: `));
    }
    expect((await host.client.getVm("wanted")).state).toBe("stopped");
  });

  it("answers 404 for a VM that does not exist, and 403 to a ReadOnly user", async () => {
    const ghost = await put("ghost", { state: "running" });
    expect(ghost.status).toBe(404);
    expect(JSON.parse(ghost.text).error).toMatchObject({ code: "vm_not_found", message: expect.stringContaining('"ghost"') });
    const refused = await https(host.port, "PUT", "/api/v1/vms/wanted/state", { token: readOnlyToken, body: { state: "running" } });
    expect(refused.status).toBe(403);
    expect(refused.json().error).toMatchObject({ code: "forbidden", details: expect.objectContaining({ privilege: "vm.power" }) });
    expect((await host.client.getVm("wanted")).state).toBe("stopped");
  });

  it("vmctl state says whether it had anything to do", async () => {
    const first = await host.cli(["--json", "state", "wanted", "running"]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ name: "wanted", changed: true, task: { state: "success" } });
    const second = await host.cli(["state", "wanted", "running"]);
    expect(second).toMatchObject({ code: 0, stdout: "wanted: running already, nothing to do\n" });
    await booted("wanted");
    const down = await host.cli(["state", "wanted", "stopped"]);
    expect(down).toMatchObject({ code: 0, stdout: "wanted: stopped\n" });
    const bad = await host.cli(["state", "wanted", "paused"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"paused" is neither "running" nor "stopped"');
  });
});
