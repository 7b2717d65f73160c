// Clone refusals and bookkeeping against the fake driver, on VMs without writable disks (their
// copy would need qemu-img): a new name and uuid, MACs allocated afresh, the source untouched and
// a running VM, a taken name or a linked clone of a non-template refused.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { domainHost, definition, power, ended, type DomainHost } from "./testing/domain-host.js";

let d: DomainHost;
beforeEach(async () => {
  d = await domainHost();
  await d.host.vms.create({ toml: definition("base", '\n[nics.net0]\nnetwork = "nat"\n') });
});
afterEach(() => d.close());

describe("clones with the fake driver", () => {
  it("a full clone of a stopped VM is a new identity: new uuid and MAC, name and description written, source unchanged", async () => {
    const source = d.host.inventory.definition("base");
    const task = await ended(d, await d.host.clones.clone("base", { name: "copy" }, "test"));
    expect(task.state).toBe("success");
    const copy = d.host.inventory.definition("copy");
    expect(copy.name).toBe("copy");
    expect(copy.uuid).toBeDefined();
    expect(copy.uuid).not.toBe(source.uuid);
    expect(copy.nics.net0!.mac).toMatch(/^52:54:00:/);
    expect(copy.nics.net0!.mac).not.toBe(source.nics.net0!.mac);
    expect(copy.description).toMatch(/^clone of base/);
    expect(d.host.inventory.definition("base")).toEqual(source);
    expect(d.host.runtimes.get("base").state).toBe("stopped");
    expect(d.host.events.list({ vm: "copy" }).some((e) => e.type === "vm.cloned")).toBe(true);
  });

  it("a clone asked to start is started through the power controller", async () => {
    const task = await ended(d, await d.host.clones.clone("base", { name: "copy", start: true }, "test"));
    expect(task.state).toBe("success");
    await expect.poll(() => d.host.runtimes.get("copy").state).toBe("running");
    expect(d.driver.vm("copy")).toBeDefined();
  });

  it("refuses a running source, a taken name, a linked clone of a non-template and an unknown snapshot", async () => {
    await d.host.vms.create({ toml: definition("other") });
    await expect(d.host.clones.clone("base", { name: "other" }, "test")).rejects.toThrow(/a VM named "other" already exists/);
    await expect(d.host.clones.clone("base", { name: "l", linked: true }, "test")).rejects.toThrow(/linked clones need a template/);
    await expect(d.host.clones.clone("base", { name: "s", snapshot: "nope" }, "test")).rejects.toThrow(/has no snapshot "nope"/);
    await power(d, "base", { action: "start" });
    await expect(d.host.clones.clone("base", { name: "c" }, "test")).rejects.toThrow(/cannot clone VM "base": it is running|clone.*running/);
    expect(d.host.inventory.has("c")).toBe(false);
  });

  it("a template never starts and is cloned linked; it stays a template while a clone exists", async () => {
    await d.host.clones.setTemplate("base", true);
    expect(() => d.host.power.request("base", { action: "start" }, "test")).toThrow(/never starts/);
    const task = await ended(d, await d.host.clones.clone("base", { name: "linked", linked: true }, "test"));
    expect(task.state).toBe("success");
    expect(d.host.inventory.definition("linked").template).toBeFalsy();
  });
});
