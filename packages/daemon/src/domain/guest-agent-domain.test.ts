// The domain's use of the guest agent against the fake driver with a scripted agent (pure logic; the
// real agent is in test/system-slow/debian-agent.test.ts): the stop chain agent → ACPI → forced, and
// freeze/thaw around a snapshot, thawed whatever fails.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import type { GuestAgent } from "@vmctl/qemu";
import { domainHost, createVmWithDisk, definition, power, ended, type DomainHost } from "./testing/domain-host.js";
import type { FakeVm } from "./testing/fake-driver.js";

let d: DomainHost;
beforeEach(async () => { d = await domainHost(); });
afterEach(() => d.close());

const logOf = (log: string[]) => log.map((line) => line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ""));

/** An agent that answers; `on` scripts what its commands do (calls are recorded). */
function fakeAgent(vm: FakeVm, on: Partial<Record<keyof GuestAgent, () => Promise<unknown>>> = {}) {
  const calls: string[] = [];
  const command = (name: keyof GuestAgent, fallback: () => Promise<unknown>) => async () => { calls.push(name); return (on[name] ?? fallback)(); };
  const agent = {
    connected: async () => true, channelOpen: async () => true,
    info: command("info", async () => ({ version: "7.2", supported_commands: [] })),
    osInfo: command("osInfo", async () => ({ name: "Debian GNU/Linux", version: "12 (bookworm)" })),
    hostName: command("hostName", async () => ({ "host-name": "web" })),
    networkInterfaces: command("networkInterfaces", async () => []),
    shutdown: command("shutdown", async () => { setTimeout(() => vm.die("guest-shutdown"), 10); }),
    fsfreezeFreeze: command("fsfreezeFreeze", async () => 2),
    fsfreezeThaw: command("fsfreezeThaw", async () => 2),
    fsfreezeStatus: command("fsfreezeStatus", async () => "thawed"),
    setTime: command("setTime", async () => ({})),
    setUserPassword: command("setUserPassword", async () => ({})),
  } as unknown as GuestAgent;
  Object.defineProperty(vm, "agent", { value: agent, configurable: true, writable: true });
  return calls;
}

describe("the stop chain", () => {
  it("asks the agent first; a guest that powers off through it never sees the power button", async () => {
    await d.host.vms.create({ toml: definition("web") });
    await power(d, "web", { action: "start" });
    const vm = d.driver.vm("web")!;
    const calls = fakeAgent(vm);
    const task = await power(d, "web", { action: "stop", timeout: 30 });
    expect(task.state).toBe("success");
    expect(calls).toContain("shutdown");
    expect(vm.calls).not.toContain("powerButton");
    expect(logOf(task.log)).toContain("asked the guest agent to shut down");
    expect(d.host.runtimes.get("web").lastExitReason).toBe("guest-shutdown");
  });

  it("an agent that takes the shutdown but whose guest stays up gets half the timeout, then ACPI, then forcing", async () => {
    d.driver.behaviour = { ...d.driver.behaviour, honoursPowerButton: false };
    await d.host.vms.create({ toml: definition("web") });
    await power(d, "web", { action: "start" });
    const vm = d.driver.vm("web")!;
    fakeAgent(vm, { shutdown: async () => undefined });
    const task = await power(d, "web", { action: "stop", timeout: 2 });
    expect(task.state).toBe("success");
    const log = logOf(task.log);
    const asked = log.indexOf("asked the guest agent to shut down");
    expect(asked).toBeGreaterThanOrEqual(0);
    expect(log[asked + 1]).toBe("no answer from the agent in 1 s: pressing the ACPI power button");
    expect(log.join("\n")).toMatch(/ACPI power button[\s\S]*did not power off[\s\S]*quitting QEMU/);
    expect(vm.calls.filter((c) => ["powerButton", "quit"].includes(c))).toEqual(["powerButton", "quit"]);
  });

  it("an agent that refuses the shutdown goes straight on to ACPI", async () => {
    await d.host.vms.create({ toml: definition("web") });
    await power(d, "web", { action: "start" });
    const vm = d.driver.vm("web")!;
    fakeAgent(vm, { shutdown: async () => { throw new Error('guest agent: "guest-shutdown" failed: blocked'); } });
    const task = await power(d, "web", { action: "stop", timeout: 30 });
    expect(task.state).toBe("success");
    expect(logOf(task.log).some((line) => line.startsWith("the guest agent refused to shut down") && line.endsWith("pressing the ACPI power button"))).toBe(true);
    expect(vm.calls).toContain("powerButton");
  });
});

describe("freeze and thaw around a snapshot", () => {
  const snap = async (name: string) => ended(d, await d.host.snapshots.create("web", { name, memory: false }, "test"));

  it("freezes before and thaws after, and says how many", async () => {
    await createVmWithDisk(d, "web");
    await power(d, "web", { action: "start" });
    const calls = fakeAgent(d.driver.vm("web")!);
    const task = await snap("s1");
    expect(task.state).toBe("success");
    expect(calls.filter((c) => c.startsWith("fsfreeze"))).toEqual(["fsfreezeFreeze", "fsfreezeThaw"]);
    expect(logOf(task.log)).toEqual(expect.arrayContaining(["filesystems frozen: 2", "filesystems thawed: 2"]));
  });

  it("thaws even when the snapshot fails, and when the freeze itself failed (the snapshot goes on)", async () => {
    await createVmWithDisk(d, "web");
    await power(d, "web", { action: "start" });
    const vm = d.driver.vm("web")!;
    const calls = fakeAgent(vm, { fsfreezeFreeze: async () => { throw new Error("guest agent: no answer to \"guest-fsfreeze-freeze\" within 30000 ms"); } });
    const unfrozen = await snap("s1");
    expect(unfrozen.state).toBe("success");
    expect(logOf(unfrozen.log).some((line) => line.startsWith("the guest agent could not freeze the filesystems"))).toBe(true);
    expect(calls.filter((c) => c.startsWith("fsfreeze"))).toEqual(["fsfreezeFreeze", "fsfreezeThaw"]);

    const calls2 = fakeAgent(vm);
    vm.failNext("snapshotSave");
    const failed = await snap("s2");
    expect(failed.state).toBe("error");
    expect(calls2.filter((c) => c.startsWith("fsfreeze"))).toEqual(["fsfreezeFreeze", "fsfreezeThaw"]);
    expect(d.host.runtimes.get("web").state).toBe("running");
  });

  it("a thaw that fails after a freeze is tried again until it works", async () => {
    await createVmWithDisk(d, "web");
    await power(d, "web", { action: "start" });
    let failures = 2;
    const calls = fakeAgent(d.driver.vm("web")!, { fsfreezeThaw: async () => { if (failures-- > 0) throw new Error("guest agent: no answer"); return 2; } });
    const task = await snap("s1");
    expect(task.state).toBe("success");
    expect(calls.filter((c) => c === "fsfreezeThaw")).toHaveLength(3);
    expect(logOf(task.log)).toEqual(expect.arrayContaining(["thawing the guest's filesystems failed, trying again: guest agent: no answer", "filesystems thawed: 2"]));
  });
});
