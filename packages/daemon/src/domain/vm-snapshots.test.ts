// Snapshot bookkeeping against the fake driver: live snapshots (with and without memory) go to the
// driver, offline ones to the disks (qemu-img, replaced here by a recorder); the tree, the current
// snapshot, revert (definition restored, memory started from) and delete (children re-parented).
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { domainHost, createVmWithDisk, definition, power, ended, type DomainHost } from "./testing/domain-host.js";

let d: DomainHost;
let disk: string;
beforeEach(async () => {
  d = await domainHost();
  disk = await createVmWithDisk(d, "web");
});
afterEach(() => d.close());

const snap = async (name: string, memory?: boolean) => ended(d, await d.host.snapshots.create("web", { name, ...(memory === undefined ? {} : { memory }) }, "test"));

describe("snapshots with the fake driver", () => {
  it("offline: each writable disk gets the snapshot through qemu-img, and the tree records parent and current", async () => {
    expect((await snap("s1")).state).toBe("success");
    expect((await snap("s2")).state).toBe("success");
    expect(d.stoppedSnapshots).toEqual([`create s1 ${disk}`, `create s2 ${disk}`]);
    const { current, snapshots } = await d.host.snapshots.list("web");
    expect(current).toBe("s2");
    expect(snapshots.map((s) => [s.name, s.parent, s.memory, s.vmState])).toEqual([["s1", null, false, "stopped"], ["s2", "s1", false, "stopped"]]);
    expect(snapshots[0]!.children).toEqual(["s2"]);
    expect(d.driver.started).toHaveLength(0);
  });

  it("live: the driver takes it with memory by default, without when asked; the VM is running again after", async () => {
    await power(d, "web", { action: "start" });
    const vm = d.driver.vm("web")!;
    expect((await snap("withmem")).state).toBe("success");
    expect((await snap("disksonly", false)).state).toBe("success");
    expect([...vm.snapshots]).toEqual([["withmem", { disks: ["disk0"], memory: true }], ["disksonly", { disks: ["disk0"], memory: false }]]);
    expect(d.stoppedSnapshots).toEqual([]);
    expect(d.host.runtimes.get("web").state).toBe("running");
    const events = d.host.events.list({ vm: "web" }).filter((e) => e.type === "vm.state").map((e) => e.data.to);
    expect(events).toEqual(expect.arrayContaining(["snapshotting", "running"]));
  });

  it("a failed live snapshot records nothing and leaves the VM running", async () => {
    await power(d, "web", { action: "start" });
    d.driver.vm("web")!.failNext("snapshotSave");
    expect((await snap("bad")).state).toBe("error");
    expect((await d.host.snapshots.list("web")).snapshots).toEqual([]);
    expect(d.host.runtimes.get("web").state).toBe("running");
  });

  it("refuses a memory snapshot of a stopped VM, a taken name and an all-digit name before any task", async () => {
    await expect(d.host.snapshots.create("web", { name: "m", memory: true }, "test")).rejects.toThrow(/with memory needs "web" running/);
    await snap("s1");
    await expect(d.host.snapshots.create("web", { name: "s1" }, "test")).rejects.toThrow(/already has a snapshot "s1"/);
    await expect(d.host.snapshots.create("web", { name: "42" }, "test")).rejects.toThrow(/all digits/);
  });

  it("a raw disk cannot hold snapshots: refused naming the disk", async () => {
    writeFileSync(join(d.config.datastores.local!, "disks", "raw.img"), Buffer.alloc(1 << 20));
    await d.host.vms.create({ toml: definition("rawvm", '\n[disks.disk0]\nfile = "disks/raw.img"\nformat = "raw"\n') });
    await expect(d.host.snapshots.create("rawvm", { name: "s" }, "test")).rejects.toThrow(/disk "disk0" is raw, and only qcow2 keeps snapshots/);
  });

  it("revert to a snapshot with memory ends the running QEMU and starts from the snapshot, restoring its definition", async () => {
    await power(d, "web", { action: "start" });
    await snap("before");
    const first = d.driver.vm("web")!;
    await d.host.definitions.edit("web", (doc) => { doc.cpus = 2; });
    const task = await ended(d, await d.host.snapshots.revert("web", "before", "test"));
    expect(task.state).toBe("success");
    expect(first.alive).toBe(false);
    const now = d.driver.vm("web")!;
    expect(now.spec.loadSnapshot).toBe("before");
    expect(now.spec.def.cpus).toBe(1);
    expect(d.host.inventory.definition("web").cpus).toBe(1);
    expect(d.host.runtimes.get("web").state).toBe("running");
    expect((await d.host.snapshots.list("web")).current).toBe("before");
  });

  it("revert to a disk-only snapshot of a running VM powers it off and applies the snapshot to its disks", async () => {
    await snap("clean");
    await power(d, "web", { action: "start" });
    const task = await ended(d, await d.host.snapshots.revert("web", "clean", "test"));
    expect(task.state).toBe("success");
    expect(d.host.runtimes.get("web").state).toBe("stopped");
    expect(d.stoppedSnapshots).toEqual([`create clean ${disk}`, `apply clean ${disk}`]);
  });

  it("delete re-parents the children and moves current to the parent; live deletes go to the driver", async () => {
    await snap("a");
    await snap("b");
    await snap("c");
    expect((await ended(d, await d.host.snapshots.remove("web", "b", "test"))).state).toBe("success");
    let list = await d.host.snapshots.list("web");
    expect(list.snapshots.map((s) => [s.name, s.parent])).toEqual([["a", null], ["c", "a"]]);
    expect(d.stoppedSnapshots.at(-1)).toBe(`delete b ${disk}`);
    await power(d, "web", { action: "start" });
    expect((await ended(d, await d.host.snapshots.remove("web", "c", "test"))).state).toBe("success");
    expect(d.driver.vm("web")!.calls).toContain("snapshotDelete c");
    list = await d.host.snapshots.list("web");
    expect(list.current).toBe("a");
    await expect(d.host.snapshots.remove("web", "zz", "test")).rejects.toThrow(/has no snapshot "zz"; it has "a"/);
  });
});
