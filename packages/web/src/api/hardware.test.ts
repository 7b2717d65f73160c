import { describe, it, expect } from "vitest";
import type { VmDefinition } from "@vmctl/api-types";
import { readHardware } from "./hardware";

describe("readHardware", () => {
  it("reads a validated definition into disks, CD-ROMs and NICs by id", () => {
    const hw = readHardware({
      name: "web", description: "", notes: "", template: false, cpus: 2, memory: "1GiB", memoryBytes: 1024 ** 3, machine: "q35", firmware: "bios", accel: "auto",
      boot: { order: ["cdrom0", "disk0"] },
      disks: { disk0: { file: "web/disk0.qcow2", size: "10GiB", sizeBytes: 10 * 1024 ** 3, bus: "virtio", format: "qcow2", readonly: false } },
      cdroms: { cdrom0: { iso: "iso/debian.iso", bus: "sata" }, cdrom1: { bus: "ide" } },
      nics: { net0: { network: "nat", model: "virtio", mac: "52:54:00:12:34:56", link: "up" } } as VmDefinition["nics"],
      console: { serial: true, vnc: false },
      policy: { autostart: true, on_crash: "restart", stop_timeout: 60, autostart_order: 0, autostart_delay: 0, ha: false, host_tags: [] },
    });
    expect(hw?.disks).toEqual([{ id: "disk0", file: "web/disk0.qcow2", size: "10GiB", sizeBytes: 10 * 1024 ** 3, bus: "virtio", format: "qcow2", readonly: false }]);
    expect(hw?.cdroms).toEqual([{ id: "cdrom0", iso: "iso/debian.iso", bus: "sata" }, { id: "cdrom1", bus: "ide" }]);
    expect(hw?.nics[0]?.mac).toBe("52:54:00:12:34:56");
    expect(hw?.boot.order).toEqual(["cdrom0", "disk0"]);
    expect(hw?.policy).toEqual({ autostart: true, onCrash: "restart", stopTimeout: 60 });
  });

  it("has nothing to show for a definition that does not validate (null on the wire)", () => {
    expect(readHardware(null)).toBeNull();
  });
});
