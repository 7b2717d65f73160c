// vmctld may crash or be restarted at any time: running VMs keep running and are re-attached.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";
import { isAlive } from "../../packages/qemu/src/index.js";

let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

describe("vmctld restart", () => {
  it("kill -9 of vmctld while three VMs run: after a restart all three still run, re-attached and stoppable", async () => {
    const names = ["keep-a", "keep-b", "keep-c"];
    for (const name of names) await host.client.createVm(guestDefinition(name));
    expect((await host.cli(["start", ...names])).code).toBe(0);
    const before = new Map(names.map((name) => [name, host.qemuPid(name)!]));
    const reader = await ConsoleReader.open(host.client, "keep-a");
    await reader.waitFor(GUEST_READY_LINE);
    reader.close();
    // A task in flight when vmctld dies must not stay "running" forever: a paused guest cannot
    // answer the power button, so this stop is still waiting when vmctld is killed.
    await host.client.waitTask((await host.client.power("keep-b", { action: "pause" })).id);
    const inFlight = await host.client.power("keep-b", { action: "stop", timeout: 600 });
    const eventsBefore = (await host.client.listEvents({ limit: 1 })).at(-1)!.id;

    await host.killDaemon();
    for (const pid of before.values()) expect(isAlive(pid)).toBe(true);
    await host.startDaemon();

    const vms = await host.client.listVms();
    expect(vms.map((vm) => [vm.name, vm.state, vm.pid])).toEqual(names.map((name) => [name, name === "keep-b" ? "paused" : "running", before.get(name)]));
    const reattached = await host.client.listEvents({ type: "vm.reattached", since: eventsBefore });
    expect(reattached.map((e) => e.vm).sort()).toEqual(names);
    const cutOff = await host.client.getTask(inFlight.id);
    expect(cutOff).toMatchObject({ state: "error", error: { message: expect.stringContaining("vmctld restarted") } });

    // The console comes back too: scroll-back from the log, and live input and output.
    const console = await ConsoleReader.open(host.client, "keep-a");
    await console.waitFor(GUEST_READY_LINE, 5_000);
    expect(await console.run("echo after-restart-$((2*21))")).toContain("after-restart-42");
    console.close();

    expect((await host.cli(["resume", "keep-b"])).code).toBe(0);
    expect((await host.cli(["stop", ...names])).code).toBe(0);
    for (const name of names) {
      expect((await host.client.getVm(name)).state).toBe("stopped");
      expect(isAlive(before.get(name)!)).toBe(false);
    }
  });
});
