// PUT /vms/{name}/state in the domain, against the fake driver: nothing to do when the VM is there,
// a task that gets it there otherwise, decided again in the VM's section; refused while held.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { VmctlError } from "@vmctl/api-types";
import { domainHost, definition, power, ended, type DomainHost } from "./testing/domain-host.js";

let d: DomainHost;
beforeEach(async () => { d = await domainHost(); await d.host.vms.create({ toml: definition("web") }); });
afterEach(() => d.close());

const state = () => d.host.runtimes.get("web").state;
const desired = (to: "running" | "stopped") => d.host.power.desired("web", to, "test");

describe("desired state", () => {
  it("starts a stopped VM once, answers nothing to do when it runs, and stops it the same way", async () => {
    const start = desired("running")!;
    expect(start.op).toBe("vm.set_state");
    expect((await ended(d, start)).state).toBe("success");
    expect(state()).toBe("running");
    const vm = d.driver.vm("web")!;
    expect(desired("running")).toBeUndefined();
    const stop = desired("stopped")!;
    expect((await ended(d, stop)).state).toBe("success");
    expect(state()).toBe("stopped");
    expect(vm.calls).toContain("powerButton");
    expect(desired("stopped")).toBeUndefined();
  });

  it("two requests for running sent at once start it once; the second finds it running", async () => {
    const [first, second] = [desired("running")!, desired("running")!];
    const [a, b] = [await ended(d, first), await ended(d, second)];
    expect([a.state, b.state]).toEqual(["success", "success"]);
    expect(b.log.join("\n")).toContain('"web" is running already');
    expect(d.driver.started.filter((vm) => vm.spec.def.name === "web")).toHaveLength(1);
  });

  it("resumes a paused VM, and a suspended one from its saved state; stopping a suspended one discards that state", async () => {
    await power(d, "web", { action: "start" });
    await power(d, "web", { action: "pause" });
    expect((await ended(d, desired("running")!)).state).toBe("success");
    expect(state()).toBe("running");
    await power(d, "web", { action: "suspend" });
    expect(state()).toBe("suspended");
    expect((await ended(d, desired("running")!)).state).toBe("success");
    expect(state()).toBe("running");
    await power(d, "web", { action: "suspend" });
    expect((await ended(d, desired("stopped")!)).log.join("\n")).toContain("discarded the saved state");
    expect(state()).toBe("stopped");
  });

  it("counts a crashed VM as stopped, and starts it when asked to run", async () => {
    await power(d, "web", { action: "start" });
    d.driver.vm("web")!.die("crash");
    await d.host.lifecycle.exclusive("web", async () => {}); // the exit has been recorded
    expect(state()).toBe("crashed");
    expect(desired("stopped")).toBeUndefined();
    expect((await ended(d, desired("running")!)).state).toBe("success");
    expect(state()).toBe("running");
  });

  it("refuses while a clone reads the disks, saying which task to wait for", async () => {
    const release = await d.host.lifecycle.hold("web", "clone");
    const refusal = (() => { try { desired("running"); } catch (error) { return error; } return undefined; })();
    expect(refusal).toBeInstanceOf(VmctlError);
    expect(refusal).toMatchObject({ code: "vm_wrong_state", message: expect.stringContaining('cannot get VM "web" running: it is cloning; wait for the clone task') });
    release();
    expect(state()).toBe("stopped");
  });
});
