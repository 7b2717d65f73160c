// Disks and media against the fake driver: hot-plug into a running VM versus a definition write
// for a stopped one, the undo when a step fails, hot-unplug and the guest that does not let go,
// and CD-ROM media changed live.
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { domainHost, createVmWithDisk, definition, power, writeQcow2, type DomainHost } from "./testing/domain-host.js";

let d: DomainHost;
let spare: string;
beforeEach(async () => {
  d = await domainHost();
  await createVmWithDisk(d, "web", '\n[cdroms.cdrom0]\n');
  spare = join(d.config.datastores.local!, "disks", "spare.qcow2");
  writeQcow2(spare);
});
afterEach(() => d.close());

const disks = () => Object.keys(d.host.inventory.definition("web").disks);

describe("disks with the fake driver", () => {
  it("a stopped VM: the disk is written to the definition only", async () => {
    const info = await d.host.disks.add("web", { file: "disks/spare.qcow2" });
    expect(info.id).toBe("disk1");
    expect(disks()).toEqual(["disk0", "disk1"]);
    expect(d.hostFiles.log.filter((l) => l.startsWith("give"))).toEqual([]);
    expect(d.host.events.list({ vm: "web" }).find((e) => e.type === "vm.disk_added")?.data.live).toBe(false);
  });

  it("a running VM: the disk is given to QEMU, hot-plugged, then written to the definition", async () => {
    await power(d, "web", { action: "start" });
    await d.host.disks.add("web", { id: "data", file: "disks/spare.qcow2" });
    const vm = d.driver.vm("web")!;
    expect(vm.plugged.has("data")).toBe(true);
    expect(d.hostFiles.log).toContain(`give ${spare}`);
    expect(disks()).toEqual(["disk0", "data"]);
    expect(d.host.events.list({ vm: "web" }).find((e) => e.type === "vm.disk_added")?.data.live).toBe(true);
  });

  it("only virtio hot-plugs: a sata disk for a running VM is refused and nothing changes", async () => {
    await power(d, "web", { action: "start" });
    await expect(d.host.disks.add("web", { file: "disks/spare.qcow2", bus: "sata" })).rejects.toThrow(/only virtio disks hot-plug/);
    expect(disks()).toEqual(["disk0"]);
    expect(d.driver.vm("web")!.calls.some((c) => c.startsWith("hotplugDisk"))).toBe(false);
  });

  it("a hot-plug QEMU refuses leaves the definition as it was", async () => {
    await power(d, "web", { action: "start" });
    d.driver.vm("web")!.failNext("hotplugDisk");
    await expect(d.host.disks.add("web", { file: "disks/spare.qcow2" })).rejects.toThrow(/fake hotplugDisk failed/);
    expect(disks()).toEqual(["disk0"]);
  });

  it("detach from a running VM unplugs it, gives the file back to root and removes it from definition and boot order", async () => {
    await power(d, "web", { action: "start" });
    await d.host.disks.add("web", { id: "data", file: "disks/spare.qcow2" });
    await d.host.definitions.edit("web", (doc) => { doc.boot = { ...doc.boot, order: ["data", "disk0"] }; });
    await d.host.disks.detach("web", "data", false);
    expect(d.host.inventory.definition("web").boot.order).toEqual(["disk0"]);
    expect(d.driver.vm("web")!.plugged.has("data")).toBe(false);
    expect(d.hostFiles.log).toContain(`take back ${spare}`);
    expect(disks()).toEqual(["disk0"]);
  });

  it("a guest that does not release the disk: the detach fails and the definition keeps it", async () => {
    d.driver.behaviour = { ...d.driver.behaviour, releasesDisks: false };
    await power(d, "web", { action: "start" });
    await expect(d.host.disks.detach("web", "disk0", false)).rejects.toThrow(/did not release disk "disk0"/);
    expect(disks()).toEqual(["disk0"]);
  });

  it("a CD-ROM medium is changed live and written; an eject empties the drive", async () => {
    mkdirSync(join(d.config.datastores.local!, "iso"), { recursive: true });
    writeFileSync(join(d.config.datastores.local!, "iso", "tools.iso"), Buffer.alloc(2048));
    await power(d, "web", { action: "start" });
    const vm = d.driver.vm("web")!;
    await d.host.disks.setMedium("web", "cdrom0", "iso/tools.iso");
    expect(vm.media.get("cdrom0")).toBe(join(d.config.datastores.local!, "iso", "tools.iso"));
    expect(d.host.inventory.definition("web").cdroms.cdrom0!.iso).toBe("iso/tools.iso");
    await d.host.disks.setMedium("web", "cdrom0", null);
    expect(vm.media.get("cdrom0")).toBeNull();
    expect(d.host.inventory.definition("web").cdroms.cdrom0!.iso).toBeUndefined();
  });

  it("a CD-ROM drive is not added to a running VM", async () => {
    await d.host.vms.create({ toml: definition("db") });
    await power(d, "db", { action: "start" });
    await expect(d.host.disks.addCdrom("db", {})).rejects.toThrow(/cannot be added to a running VM/);
  });
});
