// The power logic of the domain against the fake driver: start, stop and its escalation, shutdown
// (never forced), pause/resume, reset, a QEMU that dies (crashed, restart policy), a start that fails.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { domainHost, definition, power, type DomainHost } from "./testing/domain-host.js";

let d: DomainHost;
beforeEach(async () => { d = await domainHost(); });
afterEach(() => d.close());

const state = (name: string) => d.host.runtimes.get(name).state;

describe("power with the fake driver", () => {
  it("start launches paused, resumes once set up, and the VM runs", async () => {
    await d.host.vms.create({ toml: definition("web") });
    const task = await power(d, "web", { action: "start" });
    expect(task.state).toBe("success");
    expect(state("web")).toBe("running");
    const vm = d.driver.vm("web")!;
    expect(vm.calls).toContain("resume");
    expect(vm.guest).toBe("running");
    expect(d.host.vms.summary(d.host.inventory.get("web")).pid).toBe(vm.pid);
    expect(d.hostFiles.log.some((line) => line.startsWith("prepare "))).toBe(true);
  });

  it("stop asks through the power button, and the guest that honours it ends stopped", async () => {
    await d.host.vms.create({ toml: definition("web") });
    await power(d, "web", { action: "start" });
    const vm = d.driver.vm("web")!;
    const task = await power(d, "web", { action: "stop", timeout: 5 });
    expect(task.state).toBe("success");
    expect(state("web")).toBe("stopped");
    expect(vm.calls).toContain("powerButton");
    expect(vm.calls).not.toContain("quit");
    expect(d.host.runtimes.get("web").lastExitReason).toBe("guest-shutdown");
    expect(d.hostFiles.log).toContain("take back web");
  });

  it("stop escalates to quit when the guest ignores the power button, and to a kill when QEMU ignores quit", async () => {
    d.driver.behaviour = { ...d.driver.behaviour, honoursPowerButton: false, honoursQuit: false };
    await d.host.vms.create({ toml: definition("web") });
    await power(d, "web", { action: "start" });
    const vm = d.driver.vm("web")!;
    // timeout is in seconds; the fake's guest never powers off, so the escalation must act.
    const task = await power(d, "web", { action: "stop", timeout: 0.05 });
    expect(task.state).toBe("success");
    expect(vm.calls.filter((c) => ["powerButton", "quit", "kill"].includes(c))).toEqual(["powerButton", "quit", "kill"]);
    expect(state("web")).toBe("stopped");
    expect(task.log.join("\n")).toMatch(/did not power off.*quitting QEMU[\s\S]*ignored quit/);
  });

  it("a forced stop quits at once without asking the guest", async () => {
    await d.host.vms.create({ toml: definition("web") });
    await power(d, "web", { action: "start" });
    const vm = d.driver.vm("web")!;
    expect((await power(d, "web", { action: "stop", force: true })).state).toBe("success");
    expect(vm.calls).not.toContain("powerButton");
    expect(vm.calls).toContain("quit");
    expect(state("web")).toBe("stopped");
  });

  it("shutdown is never forced: a guest that ignores the power button keeps running and the task says so", async () => {
    d.driver.behaviour = { ...d.driver.behaviour, honoursPowerButton: false };
    await d.host.vms.create({ toml: definition("web") });
    await power(d, "web", { action: "start" });
    const vm = d.driver.vm("web")!;
    const task = await power(d, "web", { action: "shutdown", timeout: 0.05 });
    expect(task.state).toBe("error");
    expect(task.error?.message).toMatch(/did not power off.*still running/);
    expect(vm.calls).not.toContain("quit");
    expect(vm.alive).toBe(true);
    expect(state("web")).toBe("running");
  });

  it("pause and resume follow the guest; a pause by the hypervisor itself is seen too", async () => {
    await d.host.vms.create({ toml: definition("web") });
    await power(d, "web", { action: "start" });
    expect((await power(d, "web", { action: "pause" })).state).toBe("success");
    expect(state("web")).toBe("paused");
    expect((await power(d, "web", { action: "resume" })).state).toBe("success");
    expect(state("web")).toBe("running");
    d.driver.vm("web")!.pausedByHypervisor();
    expect(state("web")).toBe("paused");
  });

  it("reset resets the hardware and records an event; the VM keeps running", async () => {
    await d.host.vms.create({ toml: definition("web") });
    await power(d, "web", { action: "start" });
    expect((await power(d, "web", { action: "reset" })).state).toBe("success");
    expect(d.driver.vm("web")!.calls).toContain("reset");
    expect(state("web")).toBe("running");
    expect(d.host.events.list({ vm: "web" }).some((e) => e.type === "vm.reset")).toBe(true);
  });

  it("accel = \"auto\" starts with what the probe chose, and says so in the task log", async () => {
    await d.host.vms.create({ toml: definition("web").replace('accel = "tcg"', 'accel = "auto"') });
    const task = await power(d, "web", { action: "start" });
    expect(d.driver.vm("web")!.spec.accel).toBe("tcg");
    expect(task.log.join("\n")).toMatch(/accelerator: tcg \(the unit tests' fake probe\)/);
    expect(d.host.vms.summary(d.host.inventory.get("web")).accel).toBe("tcg");
  });

  it("refuses what the state does not allow, before any task", async () => {
    await d.host.vms.create({ toml: definition("web") });
    expect(() => d.host.power.request("web", { action: "pause" }, "test")).toThrow(/cannot pause VM "web": it is stopped/);
    expect(d.driver.started).toHaveLength(0);
  });

  it("a start that fails leaves the VM stopped with the reason, and nothing running", async () => {
    await d.host.vms.create({ toml: definition("web") });
    d.driver.failNextStart("could not open disk");
    const task = await power(d, "web", { action: "start" });
    expect(task.state).toBe("error");
    expect(task.error?.message).toMatch(/could not open disk/);
    expect(state("web")).toBe("stopped");
    expect(d.driver.vm("web")).toBeUndefined();
    expect((await power(d, "web", { action: "start" })).state).toBe("success");
  });

  it("a QEMU that dies marks the VM crashed; without a restart policy it stays so", async () => {
    await d.host.vms.create({ toml: definition("web", '\n[policy]\non_crash = "stop"\n') });
    await power(d, "web", { action: "start" });
    d.driver.vm("web")!.die("crash");
    await expect.poll(() => state("web")).toBe("crashed");
    expect(d.host.runtimes.get("web").lastExitReason).toBe("crash");
    expect(d.host.events.list({ vm: "web" }).some((e) => e.type === "vm.crashed")).toBe(true);
    expect(d.driver.started).toHaveLength(1);
  });

  it("a guest panic with on_crash = restart starts the VM again", async () => {
    await d.host.vms.create({ toml: definition("web", '\n[policy]\non_crash = "restart"\n') });
    await power(d, "web", { action: "start" });
    const first = d.driver.vm("web")!;
    first.die("guest-panic");
    await expect.poll(() => d.driver.started.length).toBe(2);
    await expect.poll(() => state("web")).toBe("running");
    expect(d.driver.vm("web")).not.toBe(first);
    expect(d.host.events.list({ vm: "web" }).map((e) => e.type)).toEqual(expect.arrayContaining(["vm.guest_panicked", "vm.crashed"]));
  });

  it("the guest powering off by itself is a stop, not a crash", async () => {
    await d.host.vms.create({ toml: definition("web", '\n[policy]\non_crash = "restart"\n') });
    await power(d, "web", { action: "start" });
    d.driver.vm("web")!.die("guest-shutdown");
    await expect.poll(() => state("web")).toBe("stopped");
    expect(d.driver.started).toHaveLength(1);
  });

  it("suspend saves the state and ends the VM; start resumes from it and removes the file", async () => {
    await d.host.vms.create({ toml: definition("web") });
    await power(d, "web", { action: "start" });
    expect((await power(d, "web", { action: "suspend" })).state).toBe("success");
    expect(state("web")).toBe("suspended");
    expect((await power(d, "web", { action: "start" })).state).toBe("success");
    const resumed = d.driver.vm("web")!;
    expect(resumed.spec.incoming).toBe(true);
    expect(resumed.calls.some((c) => c.startsWith("loadState "))).toBe(true);
    expect(state("web")).toBe("running");
  });

  it("after a vmctld restart a running VM is re-attached, and one whose QEMU vanished is crashed", async () => {
    await d.host.vms.create({ toml: definition("web") });
    await d.host.vms.create({ toml: definition("db", '\n[policy]\non_crash = "stop"\n') });
    await power(d, "web", { action: "start" });
    await power(d, "db", { action: "start" });
    const web = d.driver.vm("web")!;
    d.host.close();
    d.driver.vm("db")!.die("crash"); // while vmctld is down
    d = await d.restart();
    expect(state("web")).toBe("running");
    expect(d.host.runtimes.get("web").process).toBe(web);
    expect(state("db")).toBe("crashed");
    expect((await power(d, "web", { action: "stop", timeout: 5 })).state).toBe("success");
    expect(state("web")).toBe("stopped");
  });
});
