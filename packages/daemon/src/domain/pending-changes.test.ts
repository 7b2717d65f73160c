// Changes that wait for the next start, against the fake driver: cpus and memory changed while the
// VM runs are listed with what runs and what comes; a vmctld restart that re-attaches keeps them;
// a restart applies them; hardware that cannot wait (a NIC) is still refused while running.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { domainHost, definition, createVmWithDisk, ended, power, type DomainHost } from "./testing/domain-host.js";

let d: DomainHost;
beforeEach(async () => {
  d = await domainHost();
  await d.host.vms.create({ toml: definition("pend") });
});
afterEach(() => d.close());

const edit = (host: DomainHost["host"], change: (text: string) => string) => host.vms.updateDefinition("pend", (entry) => change(entry.text));

describe("pendingChanges", () => {
  it("lists cpus and memory changed while running, keeps them over a vmctld restart, and empties on restart", async () => {
    expect(d.host.vms.detail("pend").pendingChanges).toEqual([]);
    await power(d, "pend", { action: "start" });
    expect(d.host.vms.detail("pend").pendingChanges).toEqual([]);
    await edit(d.host, (text) => text.replace("cpus = 1", "cpus = 3").replace('memory = "64MiB"', 'memory = "128MiB"'));
    expect(d.host.vms.detail("pend").pendingChanges).toEqual([
      { field: "cpus", running: "1", next: "3" },
      { field: "memory", running: "64MiB", next: "128MiB" },
    ]);
    // The same memory written another way is no change.
    await edit(d.host, (text) => text.replace('memory = "128MiB"', 'memory = "64M"'));
    expect(d.host.vms.detail("pend").pendingChanges).toEqual([{ field: "cpus", running: "1", next: "3" }]);

    d = await d.restart();
    expect(d.host.vms.detail("pend").state).toBe("running");
    expect(d.host.vms.detail("pend").pendingChanges).toEqual([{ field: "cpus", running: "1", next: "3" }]);

    await power(d, "pend", { action: "restart" });
    expect(d.host.vms.detail("pend").pendingChanges).toEqual([]);
    await power(d, "pend", { action: "stop", force: true });
    await edit(d.host, (text) => text.replace("cpus = 3", "cpus = 2"));
    expect(d.host.vms.detail("pend").pendingChanges).toEqual([]);
  });

  it("refuses cpus and memory of a suspended VM: its saved state resumes with what it had", async () => {
    await power(d, "pend", { action: "start" });
    expect((await power(d, "pend", { action: "suspend" })).state).toBe("success");
    const before = d.host.inventory.get("pend").text;
    await expect(edit(d.host, (text) => text.replace("cpus = 1", "cpus = 2"))).rejects.toThrow(/it is suspended; .*stop it to change hardware/);
    expect(d.host.inventory.get("pend").text).toBe(before);
    // What waits for nothing (the description) still changes.
    await edit(d.host, (text) => text.replace('name = "pend"', 'name = "pend"\ndescription = "saved"'));
    expect(d.host.vms.detail("pend").definition?.description).toBe("saved");
  });

  it("refuses a suspend while changes are pending (the saved state would resume with the new ones)", async () => {
    await power(d, "pend", { action: "start" });
    await edit(d.host, (text) => text.replace('memory = "64MiB"', 'memory = "96MiB"'));
    const refused = await power(d, "pend", { action: "suspend" });
    expect(refused.error?.message).toMatch(/runs with other memory than its definition now says .*restart it first/);
    expect(d.host.vms.detail("pend").state).toBe("running");
  });

  it("refuses a snapshot with memory while changes are pending (a revert would start QEMU with the new ones); without memory it is taken", async () => {
    await createVmWithDisk(d, "snap");
    await power(d, "snap", { action: "start" });
    await d.host.vms.updateDefinition("snap", (entry) => entry.text.replace("cpus = 1", "cpus = 2"));
    const refused = await ended(d, await d.host.snapshots.create("snap", { name: "m" }, "test"));
    expect(refused.error?.message).toMatch(/runs with other cpus than its definition now says .*restart it first, or take the snapshot without memory/);
    expect((await ended(d, await d.host.snapshots.create("snap", { name: "disks", memory: false }, "test"))).state).toBe("success");
    expect((await d.host.snapshots.read("snap")).snapshots.map((s) => s.name)).toEqual(["disks"]);
  });

  it("still refuses a hardware change that cannot wait while running, and changes nothing", async () => {
    await power(d, "pend", { action: "start" });
    const before = d.host.inventory.get("pend").text;
    await expect(edit(d.host, (text) => `${text}\n[nics.net0]\nnetwork = "nat"\n`)).rejects.toThrow(/stop it to change the rest/);
    expect(d.host.inventory.get("pend").text).toBe(before);
  });
});
