// Storage changes on a running QEMU, over QMP: disk hot-plug and unplug, CD-ROM media, live resize,
// and internal snapshots with memory (QEMU's snapshot jobs).
import { VmctlError } from "@vmctl/api-types";
import { qmpCommands as qmp, readQmpEvent, type PciDeviceInfo } from "@vmctl/qmp";
import type { QemuProcess } from "./qemu-process.js";
import type { HotplugDisk } from "./vm-driver.js";
import { HOTPLUG_PORTS } from "./build-argv.js";

/** A root port of a q35 VM with nothing plugged into it (disks and NICs share the spare ones). */
export async function freeRootPort(proc: QemuProcess, what = "disks"): Promise<string> {
  const buses = await qmp.queryPci(proc.qmp);
  const ports = buses.flatMap((bus) => bus.devices).filter((d: PciDeviceInfo) => d.qdev_id && /^rp\d+$/.test(d.qdev_id));
  const free = ports.find((port) => (port.pci_bridge?.devices ?? []).length === 0);
  if (!free?.qdev_id) {
    throw new VmctlError("vm_wrong_state", `every hot-plug port of this VM is in use (a q35 VM starts with ${HOTPLUG_PORTS} spare ones, shared by disks and NICs); stop the VM to add more ${what}`);
  }
  return free.qdev_id;
}

/** Adds a virtio disk to a running VM: the block nodes, then the device on a free port. */
export async function hotplugDisk(proc: QemuProcess, disk: HotplugDisk): Promise<void> {
  if (disk.machine === "microvm") throw new VmctlError("vm_wrong_state", "microvm cannot hot-plug devices; stop the VM to add the disk");
  const ro = disk.readonly;
  // Each node added is deleted again, newest first, if a later step fails.
  const added: string[] = [];
  try {
    await qmp.blockdevAdd(proc.qmp, { driver: "file", filename: disk.path, "node-name": `file-${disk.id}`, "read-only": ro, cache: { direct: false } });
    added.push(`file-${disk.id}`);
    await qmp.blockdevAdd(proc.qmp, { driver: disk.format, file: `file-${disk.id}`, "node-name": `drive-${disk.id}`, "read-only": ro });
    added.push(`drive-${disk.id}`);
    const bus = disk.machine === "q35" ? { bus: await freeRootPort(proc) } : {};
    await qmp.deviceAdd(proc.qmp, { driver: "virtio-blk-pci", drive: `drive-${disk.id}`, id: disk.id, ...bus });
  } catch (error) {
    for (const node of added.reverse()) await qmp.blockdevDel(proc.qmp, node).catch(() => {});
    throw error;
  }
}

/** Asks the guest to release a disk (ACPI/PCIe hot-unplug), waits for it, then drops its block nodes. */
export async function unplugDisk(proc: QemuProcess, id: string, timeoutMs = 30_000): Promise<void> {
  let off = () => {};
  const deleted = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    off = proc.onEvent((event) => {
      const known = readQmpEvent(event);
      if (known?.event === "DEVICE_DELETED" && known.device === id) { clearTimeout(timer); resolve(true); }
    });
  });
  try {
    await qmp.deviceDel(proc.qmp, id);
    if (!(await deleted)) {
      throw new VmctlError("timeout", `the guest did not release disk "${id}" within ${timeoutMs / 1000} s (it must support PCI hot-unplug and not be using the disk); stop the VM to detach it`);
    }
  } finally {
    off();
  }
  for (const node of [`drive-${id}`, `file-${id}`]) await qmp.blockdevDel(proc.qmp, node).catch(() => {});
}

/** Puts an ISO in a CD-ROM drive of a running VM, or empties the drive (path null). */
export async function changeMedium(proc: QemuProcess, id: string, path: string | null): Promise<void> {
  if (path === null) {
    await qmp.eject(proc.qmp, id, true);
    return;
  }
  await qmp.blockdevChangeMedium(proc.qmp, { id, filename: path, format: "raw", "read-only-mode": "read-only" });
}

/** Grows a disk of a running VM; the guest sees the new size at once (virtio) or on rescan. */
export async function resizeLive(proc: QemuProcess, id: string, sizeBytes: number): Promise<void> {
  await qmp.blockResize(proc.qmp, `drive-${id}`, sizeBytes);
}

/** Runs one of QEMU's snapshot jobs to its end, reporting progress; the job is dismissed either way. */
async function runJob(proc: QemuProcess, start: (jobId: string) => Promise<unknown>, what: string, onProgress: (percent: number) => void): Promise<void> {
  const jobId = `vmctl-job-${Date.now()}`;
  await start(jobId);
  for (;;) {
    const jobs = await qmp.queryJobs(proc.qmp);
    const job = jobs.find((j) => j.id === jobId);
    if (!job) return;
    if (job.status === "concluded") {
      await qmp.jobDismiss(proc.qmp, jobId).catch(() => {});
      if (job.error) throw new VmctlError("qemu_failed", `${what} failed: ${job.error}`);
      return;
    }
    if (job["total-progress"] > 0) onProgress(Math.min(99, (job["current-progress"] / job["total-progress"]) * 100));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Takes an internal snapshot of a running VM. With memory, QEMU's snapshot-save stores RAM and
 * device state in `vmstateNode` (the guest pauses for the save); without, an atomic transaction
 * takes a crash-consistent disk snapshot of every node while the guest keeps running.
 */
export async function snapshotLive(proc: QemuProcess, tag: string, nodes: string[], memory: boolean, onProgress: (percent: number) => void = () => {}): Promise<void> {
  if (memory) {
    await runJob(proc, (jobId) => qmp.snapshotSave(proc.qmp, { "job-id": jobId, tag, vmstate: nodes[0]!, devices: nodes }), "saving the snapshot", onProgress);
    return;
  }
  await qmp.transaction(proc.qmp, nodes.map((device) => ({ type: "blockdev-snapshot-internal-sync", data: { device, name: tag } })));
}

/** Deletes an internal snapshot from the disks of a running VM. */
export async function deleteSnapshotLive(proc: QemuProcess, tag: string, nodes: string[]): Promise<void> {
  await runJob(proc, (jobId) => qmp.snapshotDelete(proc.qmp, { "job-id": jobId, tag, devices: nodes }), "deleting the snapshot", () => {});
}
