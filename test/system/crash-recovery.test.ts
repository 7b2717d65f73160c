// When QEMU dies behind vmctld's back the VM is marked crashed with an event, and on_crash decides.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { TestHost, ConsoleReader, guestDefinition, waitForState, GUEST_READY_LINE } from "./harness.js";

let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

describe("QEMU crash", () => {
  it('kill -9 of QEMU marks the VM crashed with an event and restarts it when on_crash = "restart"', async () => {
    await host.client.createVm(guestDefinition("phoenix", { policy: { on_crash: "restart" } }));
    expect((await host.cli(["start", "phoenix"])).code).toBe(0);
    const first = host.qemuPid("phoenix")!;
    const since = (await host.client.listEvents({ limit: 1 })).at(-1)!.id;
    process.kill(first, "SIGKILL");

    // Running again means a new QEMU: wait for its pid to differ from the killed one.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && ((await host.client.getVm("phoenix")).pid ?? first) === first) await new Promise((r) => setTimeout(r, 100));
    await waitForState(host.client, "phoenix", "running", 30_000);
    const crashed = await host.client.listEvents({ vm: "phoenix", type: "vm.crashed", since });
    expect(crashed).toEqual([expect.objectContaining({ data: expect.objectContaining({ reason: "crash" }) })]);
    const states = (await host.client.listEvents({ vm: "phoenix", type: "vm.state", since })).map((e) => e.data.to);
    expect(states).toEqual(["crashed", "starting", "running"]);
    const second = host.qemuPid("phoenix")!;
    expect(second).not.toBe(first);
    const console = await ConsoleReader.open(host.client, "phoenix");
    await console.waitFor(GUEST_READY_LINE);
    console.close();
    expect((await host.cli(["stop", "--force", "phoenix"])).code).toBe(0);
  });

  it('with on_crash = "stop" the VM stays crashed, can be inspected and started again', async () => {
    await host.client.createVm(guestDefinition("fallen"));
    expect((await host.cli(["start", "fallen"])).code).toBe(0);
    process.kill(host.qemuPid("fallen")!, "SIGKILL");
    await waitForState(host.client, "fallen", "crashed", 30_000);
    const vm = await host.client.getVm("fallen");
    expect(vm).toMatchObject({ state: "crashed", lastExitReason: "crash" });
    expect(vm.pid).toBeUndefined();
    const ls = await host.cli(["ls"]);
    expect(ls.stdout).toMatch(/fallen\s+crashed.*last exit: crash/);
    expect((await host.cli(["start", "fallen"])).code).toBe(0);
    expect((await host.client.getVm("fallen")).state).toBe("running");
    expect((await host.cli(["stop", "--force", "fallen"])).code).toBe(0);
  });

  it("a guest kernel panic is reported through pvpanic: crashed, reason guest-panic", async () => {
    await host.client.createVm(guestDefinition("panicky"));
    expect((await host.cli(["start", "panicky"])).code).toBe(0);
    const console = await ConsoleReader.open(host.client, "panicky");
    await console.waitFor(GUEST_READY_LINE);
    console.type("echo c > /proc/sysrq-trigger\n");
    await waitForState(host.client, "panicky", "crashed", 30_000);
    console.close();
    expect((await host.client.getVm("panicky")).lastExitReason).toBe("guest-panic");
    expect(await host.client.listEvents({ vm: "panicky", type: "vm.guest_panicked" })).toHaveLength(1);
    expect(await host.client.listEvents({ vm: "panicky", type: "vm.crashed" })).toEqual([expect.objectContaining({ data: expect.objectContaining({ reason: "guest-panic" }) })]);
  });
});
