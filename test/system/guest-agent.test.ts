// The guest agent's absence: the busybox guest has no qemu-ga, yet every VM has the agent's channel.
// vmctld says "agent: not connected" (a state, not an error), a stop goes straight to the ACPI power
// button without waiting on an agent, a snapshot goes on unfrozen and says so, and the password
// route refuses plainly. Its attacks: a ReadOnly user may not set a password, a line break in the
// password (which would name another user to chpasswd) is refused, and nothing of the body is logged.
// (The agent itself, with a guest that has one: test/system-slow/debian-agent.test.ts.)
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { lstatSync } from "node:fs";
import { join } from "node:path";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE, runCliWithInput } from "./harness.js";
import { https } from "./https-support.js";
import type { Task } from "../../packages/api-types/src/index.js";

let host: TestHost;
/** A ReadOnly user's token, over HTTPS (the local socket is root's). */
let readOnly: string;
const VM = "noagent";
/** A task's log lines without their timestamps. */
const logOf = (task: Task) => task.log.map((line) => line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ""));

beforeAll(async () => {
  host = await TestHost.start();
  await host.client.call("POST", "/api/v1/users", { username: "rita", password: "rita-password", role: "ReadOnly" });
  readOnly = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "rita-token", role: "ReadOnly", expires: null, user: "rita" })).token;
});
afterAll(async () => { await host?.close(); });

describe("a guest without an agent", () => {
  it("is 'agent: not connected'; stop goes to ACPI at once, a snapshot is not frozen, the password route refuses", async () => {
    await host.client.createVm(guestDefinition(VM, { disks: { disk0: { file: `${VM}/disk0.qcow2`, size: "16MiB" } } }));
    const console = await ConsoleReader.open(host.client, VM);
    expect((await host.client.waitTask((await host.client.power(VM, { action: "start" })).id)).state).toBe("success");
    await console.waitFor(GUEST_READY_LINE);
    // The channel is there (QEMU made its socket), only nothing in the guest opened it.
    expect(lstatSync(join(host.home, "run", VM, "qga.sock")).isSocket()).toBe(true);
    const detail = await host.client.getVm(VM);
    expect(detail.agent).toEqual({ connected: false });
    expect((await host.cli(["show", VM])).stdout).toMatch(/^agent: +not connected$/m);
    expect((await host.client.listVms()).find((v) => v.name === VM)?.agent).toEqual({ connected: false });

    // Refusals: no agent; a ReadOnly user; a password with a line break; an unknown field.
    await expect(host.client.setGuestPassword(VM, { user: "root", password: "secret-one" })).rejects.toMatchObject({ status: 409, message: expect.stringContaining("agent: not connected") });
    const refused = await https(host.port, "POST", `/api/v1/vms/${VM}/guest/password`, { token: readOnly, body: { user: "root", password: "secret-two" } });
    expect([refused.status, refused.json().error.message]).toEqual([403, expect.stringContaining('lacks the privilege "vm.console.input"')]);
    await expect(host.client.setGuestPassword(VM, { user: "root", password: "x\nadmin:owned" })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("password: no line breaks") });
    await expect(host.client.setGuestPassword(VM, { user: "root:x", password: "secret-three" })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("user") });
    await expect(host.client.call("POST", `/api/v1/vms/${VM}/guest/password`, { user: "root", password: "secret-four", crypted: true })).rejects.toMatchObject({ status: 400 });
    const cli = await runCliWithInput(["--home", host.home, "guest", "password", VM, "root", "--password-stdin"], {}, "secret-five\n");
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain("agent: not connected");
    expect(cli.stdout + cli.stderr).not.toContain("secret-five");

    const snapshot = await host.client.waitTask((await host.client.createSnapshot(VM, { name: "plain", memory: false })).id);
    expect(snapshot.state).toBe("success");
    expect(logOf(snapshot)).toContain("agent: not connected: the guest's filesystems were not frozen (the snapshot is crash-consistent)");
    expect(logOf(snapshot).join("\n")).not.toMatch(/filesystems (frozen|thawed):/);

    const stop = await host.client.waitTask((await host.client.power(VM, { action: "stop" })).id);
    expect(stop.state).toBe("success");
    // The agent step is skipped on the spot (no wait on an agent that is not there), then ACPI.
    const skipped = logOf(stop).indexOf("agent: not connected: no guest agent to ask");
    expect(skipped).toBeGreaterThanOrEqual(0);
    expect(logOf(stop)[skipped + 1]).toBe("asking the guest to power off (ACPI power button)");
    expect(logOf(stop).join("\n")).not.toMatch(/no answer from the agent|quitting QEMU/);
    expect(await host.client.getVm(VM)).toMatchObject({ state: "stopped", lastExitReason: "guest-shutdown", agent: { connected: false } });

    // No password reached a log, an event or the audit.
    const events = JSON.stringify(await host.client.listEvents({ vm: VM }));
    for (const secret of ["secret-one", "secret-two", "admin:owned", "secret-three", "secret-four", "secret-five"]) {
      expect(host.log).not.toContain(secret);
      expect(events).not.toContain(secret);
    }
    console.close();
  });
});
