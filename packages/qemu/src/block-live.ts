// Storage changes on a running QEMU, over QMP: disk hot-plug and unplug, CD-ROM media, live resize,
// and internal snapshots with memory (QEMU's snapshot jobs).
import { VmctlError } from "@vmctl/api-types";
import type { QemuProcess } from "./qemu-process.js";
import { HOTPLUG_PORTS } from "./build-argv.js";

export interface HotplugDisk {
  id: string;
  path: string;
  format: "qcow2" | "raw";
  readonly: boolean;
  machine: "q35" | "pc" | "microvm";
}

interface PciDevice { qdev_id?: string; pci_bridge?: { bus: { number: number }; devices?: PciDevice[] } }
interface PciBus { bus: number; devices: PciDevice[] }

/** A root port of a q35 VM with nothing plugged into it. */
async function freeRootPort(proc: QemuProcess): Promise<string> {
  const buses = await proc.qmp.execute<PciBus[]>("query-pci");
  const ports = buses.flatMap((bus) => bus.devices).filter((d) => d.qdev_id && /^rp\d+$/.test(d.qdev_id));
  const free = ports.find((port) => (port.pci_bridge?.devices ?? []).length === 0);
  if (!free?.qdev_id) {
    throw new VmctlError("vm_wrong_state", `every hot-plug port of this VM is in use (a q35 VM starts with ${HOTPLUG_PORTS} spare ones); stop the VM to add more disks`);
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
    await proc.qmp.execute("blockdev-add", { driver: "file", filename: disk.path, "node-name": `file-${disk.id}`, "read-only": ro, cache: { direct: false } });
    added.push(`file-${disk.id}`);
    await proc.qmp.execute("blockdev-add", { driver: disk.format, file: `file-${disk.id}`, "node-name": `drive-${disk.id}`, "read-only": ro });
    added.push(`drive-${disk.id}`);
    const bus = disk.machine === "q35" ? { bus: await freeRootPort(proc) } : {};
    await proc.qmp.execute("device_add", { driver: "virtio-blk-pci", drive: `drive-${disk.id}`, id: disk.id, ...bus });
  } catch (error) {
    for (const node of added.reverse()) await proc.qmp.execute("blockdev-del", { "node-name": node }).catch(() => {});
    throw error;
  }
}

/** Asks the guest to release a disk (ACPI/PCIe hot-unplug), waits for it, then drops its block nodes. */
export async function unplugDisk(proc: QemuProcess, id: string, timeoutMs = 30_000): Promise<void> {
  let off = () => {};
  const deleted = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    off = proc.onEvent((event) => {
      const data = event.data as { device?: string } | undefined;
      if (event.event === "DEVICE_DELETED" && data?.device === id) { clearTimeout(timer); resolve(true); }
    });
  });
  try {
    await proc.qmp.execute("device_del", { id });
    if (!(await deleted)) {
      throw new VmctlError("timeout", `the guest did not release disk "${id}" within ${timeoutMs / 1000} s (it must support PCI hot-unplug and not be using the disk); stop the VM to detach it`);
    }
  } finally {
    off();
  }
  for (const node of [`drive-${id}`, `file-${id}`]) await proc.qmp.execute("blockdev-del", { "node-name": node }).catch(() => {});
}

/** Puts an ISO in a CD-ROM drive of a running VM, or empties the drive (path null). */
export async function changeMedium(proc: QemuProcess, id: string, path: string | null): Promise<void> {
  if (path === null) {
    await proc.qmp.execute("eject", { id, force: true });
    return;
  }
  await proc.qmp.execute("blockdev-change-medium", { id, filename: path, format: "raw", "read-only-mode": "read-only" });
}

/** Grows a disk of a running VM; the guest sees the new size at once (virtio) or on rescan. */
export async function resizeLive(proc: QemuProcess, id: string, sizeBytes: number): Promise<void> {
  await proc.qmp.execute("block_resize", { "node-name": `drive-${id}`, size: sizeBytes });
}

interface JobInfo { id: string; status: string; error?: string; "current-progress": number; "total-progress": number }

/** Runs one of QEMU's snapshot jobs to its end, reporting progress; the job is dismissed either way. */
async function runJob(proc: QemuProcess, command: string, args: Record<string, unknown>, what: string, onProgress: (percent: number) => void): Promise<void> {
  const jobId = `vmctl-${command}-${Date.now()}`;
  await proc.qmp.execute(command, { "job-id": jobId, ...args });
  for (;;) {
    const jobs = await proc.qmp.execute<JobInfo[]>("query-jobs");
    const job = jobs.find((j) => j.id === jobId);
    if (!job) return;
    if (job.status === "concluded") {
      await proc.qmp.execute("job-dismiss", { id: jobId }).catch(() => {});
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
    await runJob(proc, "snapshot-save", { tag, vmstate: nodes[0], devices: nodes }, "saving the snapshot", onProgress);
    return;
  }
  await proc.qmp.execute("transaction", {
    actions: nodes.map((device) => ({ type: "blockdev-snapshot-internal-sync", data: { device, name: tag } })),
  });
}

/** Deletes an internal snapshot from the disks of a running VM. */
export async function deleteSnapshotLive(proc: QemuProcess, tag: string, nodes: string[]): Promise<void> {
  await runJob(proc, "snapshot-delete", { tag, devices: nodes }, "deleting the snapshot", () => {});
}
