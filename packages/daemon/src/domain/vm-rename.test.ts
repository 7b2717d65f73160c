// Rename against the fake driver: the runtime row follows the uuid to the new name (its last exit
// kept, over a vmctld restart too), a VM made afterwards under the old name starts afresh; refusals
// change nothing.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { domainHost, definition, power, type DomainHost } from "./testing/domain-host.js";
import { renameVm } from "./vm-rename.js";

let d: DomainHost;
beforeEach(async () => { d = await domainHost(); });
afterEach(() => d.close());

const deps = () => ({
  inventory: d.host.inventory, datastores: d.host.datastores, runtimes: d.host.runtimes, lifecycle: d.host.lifecycle, events: d.host.events,
  runDir: d.config.runDir, linkedClones: (name: string) => d.host.clones.linkedClones(name),
});

describe("renameVm", () => {
  it("keeps the runtime row under the new name; the old name is free for a new VM with a runtime of its own", async () => {
    await d.host.vms.create({ toml: definition("old") });
    const uuid = d.host.vms.detail("old").uuid;
    await power(d, "old", { action: "start" });
    await power(d, "old", { action: "stop", force: true });
    const before = d.host.vms.detail("old");
    await renameVm(deps(), "old", "new");
    const after = d.host.vms.detail("new");
    expect(after).toMatchObject({ uuid, state: "stopped", lastExitReason: before.lastExitReason, lastStateChange: before.lastStateChange });
    expect(readdirSync(join(d.config.datastores.local!, "new"))).toEqual(["new.toml"]);
    expect(existsSync(join(d.config.runDir, "new"))).toBe(true); // the run dir (console log) moved along
    expect(existsSync(join(d.config.runDir, "old"))).toBe(false);

    await d.host.vms.create({ toml: definition("old") });
    const fresh = d.host.vms.detail("old");
    expect(fresh.uuid).not.toBe(uuid);
    expect(fresh.lastExitReason).toBeUndefined();
    expect((await power(d, "new", { action: "start" })).state).toBe("success");
    expect(d.host.vms.detail("old").state).toBe("stopped");
    expect(d.host.vms.detail("new").state).toBe("running");

    d = await d.restart();
    expect(d.host.vms.detail("new")).toMatchObject({ uuid, state: "running" });
  });

  it("refuses a running VM, a taken name and a bad name, changing nothing", async () => {
    await d.host.vms.create({ toml: definition("a") });
    await d.host.vms.create({ toml: definition("b") });
    await expect(renameVm(deps(), "a", "b")).rejects.toThrow(/a VM named "b" already exists/);
    await expect(renameVm(deps(), "a", "../x")).rejects.toThrow(/name: "\.\.\/x" is no VM name/);
    await power(d, "a", { action: "start" });
    await expect(renameVm(deps(), "a", "c")).rejects.toThrow(/cannot rename VM "a": it is running/);
    expect(d.host.inventory.list().map((e) => e.name)).toEqual(["a", "b"]);
    expect(readdirSync(join(d.config.datastores.local!, "a"))).toEqual(["a.toml"]);
  });
});
