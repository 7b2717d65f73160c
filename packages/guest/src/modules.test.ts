// Unit tests for the pure module dependency resolution used to order insmod in the guest.
import { describe, it, expect } from "vitest";
import { moduleNameFromPath, parseKernelConfig, parseModulesDep, resolveModuleOrder } from "./modules.js";

const FAKE_DEP = `
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/core/failover.ko:
kernel/drivers/net/net_failover.ko.zst: kernel/net/core/failover.ko
kernel/drivers/net/virtio_net.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/net/net_failover.ko.zst
kernel/drivers/scsi/scsi_common.ko:
kernel/drivers/scsi/scsi_mod.ko: kernel/drivers/scsi/scsi_common.ko
kernel/drivers/cdrom/cdrom.ko:
kernel/drivers/scsi/sr_mod.ko: kernel/drivers/scsi/scsi_mod.ko kernel/drivers/cdrom/cdrom.ko kernel/drivers/scsi/scsi_common.ko
kernel/drivers/ata/pata-foo.ko: kernel/drivers/scsi/scsi_mod.ko
`;

function assertBefore(order: string[], first: string, second: string): void {
  expect(order).toContain(first);
  expect(order).toContain(second);
  expect(order.indexOf(first), `${first} before ${second}`).toBeLessThan(order.indexOf(second));
}

describe("moduleNameFromPath", () => {
  it("strips directories and compression suffixes and normalises dashes", () => {
    expect(moduleNameFromPath("kernel/drivers/net/net_failover.ko.zst")).toBe("net_failover");
    expect(moduleNameFromPath("kernel/drivers/block/virtio_blk.ko.xz")).toBe("virtio_blk");
    expect(moduleNameFromPath("kernel/drivers/ata/pata-foo.ko")).toBe("pata_foo");
  });
});

describe("resolveModuleOrder", () => {
  const deps = parseModulesDep(FAKE_DEP);

  it("puts every dependency before its dependents", () => {
    const { order, missing } = resolveModuleOrder(deps, ["virtio_net", "virtio_blk", "virtio_pci"]);
    expect(missing).toEqual([]);
    for (const m of ["virtio", "virtio_ring"]) {
      assertBefore(order, m, "virtio_net");
      assertBefore(order, m, "virtio_blk");
      assertBefore(order, m, "virtio_pci");
    }
    assertBefore(order, "failover", "net_failover");
    assertBefore(order, "net_failover", "virtio_net");
    assertBefore(order, "virtio_pci_modern_dev", "virtio_pci");
    assertBefore(order, "virtio_pci_legacy_dev", "virtio_pci");
  });

  it("lists each module once even when wanted twice or shared", () => {
    const { order } = resolveModuleOrder(deps, ["sr_mod", "scsi_mod", "sr_mod", "cdrom"]);
    expect(order).toEqual(["scsi_common", "cdrom", "scsi_mod", "sr_mod"]);
  });

  it("follows dependencies that modules.dep does not list transitively", () => {
    const partial = parseModulesDep("a.ko: b.ko\nb.ko: c.ko\nc.ko:\n");
    expect(resolveModuleOrder(partial, ["a"]).order).toEqual(["c", "b", "a"]);
  });

  it("accepts dashed names and reports unknown modules instead of guessing", () => {
    const { order, missing } = resolveModuleOrder(deps, ["pata-foo", "ahci"]);
    expect(order).toEqual(["scsi_common", "scsi_mod", "pata_foo"]);
    expect(missing).toEqual(["ahci"]);
  });

  it("reports a dependency that has no modules.dep line as missing", () => {
    const broken = parseModulesDep("a.ko: gone.ko\n");
    expect(resolveModuleOrder(broken, ["a"])).toEqual({ order: ["a"], missing: ["gone"] });
  });

  it("rejects dependency cycles", () => {
    const cyclic = parseModulesDep("a.ko: b.ko\nb.ko: a.ko\n");
    expect(() => resolveModuleOrder(cyclic, ["a"])).toThrow(/cycle: a -> b -> a/);
  });
});

describe("parseKernelConfig", () => {
  it("keeps set options and drops comments", () => {
    const config = parseKernelConfig('CONFIG_VIRTIO=m\n# CONFIG_SATA_AHCI is not set\nCONFIG_EXT4_FS=y\nCONFIG_X="s"\n');
    expect(config.get("CONFIG_VIRTIO")).toBe("m");
    expect(config.get("CONFIG_EXT4_FS")).toBe("y");
    expect(config.get("CONFIG_X")).toBe("s");
    expect(config.has("CONFIG_SATA_AHCI")).toBe(false);
  });
});
