// NICs of a running QEMU, over QMP: hot-plug (the backend, then the device on a free slot), unplug
// (the guest lets the device go, then the backend goes) and the link as the guest sees it.
import { VmctlError } from "@vmctl/api-types";
import { QmpError, qmpCommands as qmp, readQmpEvent } from "@vmctl/qmp";
import type { QemuProcess } from "./qemu-process.js";
import type { HotplugNic } from "./vm-driver.js";
import { freeRootPort } from "./block-live.js";

/** The netdev of a NIC (build-argv.ts names them so at start). */
const netdevOf = (id: string) => `net-${id}`;

export async function hotplugNic(proc: QemuProcess, nic: HotplugNic): Promise<void> {
  if (nic.machine === "microvm") throw new VmctlError("vm_wrong_state", "microvm cannot hot-plug devices; stop the VM to add the NIC");
  const netdev = netdevOf(nic.id);
  await qmp.netdevAdd(proc.qmp, nic.backend.kind === "tap"
    ? { type: "tap", id: netdev, ifname: nic.backend.ifname, script: "no", downscript: "no" }
    : { type: "user", id: netdev });
  let plugged = false;
  try {
    // q35: a free root port (a device on the root complex cannot be unplugged); pc: pci.0 hot-plugs through ACPI.
    const bus = nic.machine === "q35" ? { bus: await freeRootPort(proc, "NICs") } : {};
    await qmp.deviceAdd(proc.qmp, { driver: nic.model === "virtio" ? "virtio-net-pci" : nic.model, netdev, mac: nic.mac, id: nic.id, ...bus });
    plugged = true;
    if (nic.link === "down") await qmp.setLink(proc.qmp, nic.id, false);
  } catch (error) {
    if (plugged) await unplugNic(proc, nic.id, 10_000).catch(() => {});
    else await qmp.netdevDel(proc.qmp, netdev).catch(() => {});
    throw error;
  }
}

/** Asks the guest to release the NIC (PCIe/ACPI hot-unplug), waits for DEVICE_DELETED, then drops its netdev. */
export async function unplugNic(proc: QemuProcess, id: string, timeoutMs = 30_000): Promise<void> {
  let off = () => {};
  const deleted = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    off = proc.onEvent((event) => {
      const known = readQmpEvent(event);
      if (known?.event === "DEVICE_DELETED" && known.device === id) { clearTimeout(timer); resolve(true); }
    });
  });
  try {
    // A device already gone (a guest that let it go after an earlier unplug timed out) is released.
    const gone = await qmp.deviceDel(proc.qmp, id).then(() => false, (error: unknown) => {
      if (notFound(error)) return true;
      throw error;
    });
    if (!gone && !(await deleted)) {
      throw new VmctlError("timeout", `the guest did not release NIC "${id}" within ${timeoutMs / 1000} s (it must support PCI hot-unplug, and a paused guest cannot answer); ask again once it has, or stop the VM to remove it`);
    }
  } finally {
    off();
  }
  await qmp.netdevDel(proc.qmp, netdevOf(id)).catch((error: unknown) => { if (!notFound(error)) throw error; });
}

const notFound = (error: unknown) => error instanceof QmpError && error.qmpClass === "DeviceNotFound";

export async function setLink(proc: QemuProcess, id: string, up: boolean): Promise<void> {
  await qmp.setLink(proc.qmp, id, up);
}
