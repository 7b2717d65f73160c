// Block nodes and devices of a running QEMU: blockdev-add/-del, device_add/_del, removable media,
// live resize and the PCI tree (to find a free hot-plug port).
import type { QmpClient } from "./qmp-client.js";
import type { Empty } from "./commands.js";

/** BlockdevOptions for the two shapes vmctl adds: a protocol node on a file, a format node on it. */
export type BlockdevOptions =
  | { driver: "file"; "node-name": string; filename: string; "read-only"?: boolean; cache?: { direct?: boolean; "no-flush"?: boolean } }
  | { driver: "qcow2" | "raw"; "node-name": string; file: string; "read-only"?: boolean };

/** device_add: the driver, its id and the qdev properties of that driver. */
export interface DeviceAddArgs { driver: string; id: string; bus?: string; [property: string]: string | number | boolean | undefined }

export type BlockdevChangeReadOnlyMode = "retain" | "read-only" | "read-write";

/** query-pci's PciDeviceInfo and PciInfo (members vmctl reads). */
export interface PciDeviceInfo { bus: number; slot: number; function: number; qdev_id: string; pci_bridge?: { bus: { number: number }; devices?: PciDeviceInfo[] } }
export interface PciInfo { bus: number; devices: PciDeviceInfo[] }

/** Drops undefined members: QMP rejects a member given as null where it expects a value. */
function defined(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
}

export const blockCommands = {
  blockdevAdd: (qmp: QmpClient, options: BlockdevOptions) => qmp.execute<Empty>("blockdev-add", defined(options)),
  blockdevDel: (qmp: QmpClient, nodeName: string) => qmp.execute<Empty>("blockdev-del", { "node-name": nodeName }),
  deviceAdd: (qmp: QmpClient, args: DeviceAddArgs) => qmp.execute<Empty>("device_add", defined(args)),
  /** Asks the guest to release the device; DEVICE_DELETED tells when it has. */
  deviceDel: (qmp: QmpClient, id: string) => qmp.execute<Empty>("device_del", { id }),
  /** Empties a removable drive, named by its qdev id. */
  eject: (qmp: QmpClient, id: string, force = false) => qmp.execute<Empty>("eject", { id, force }),
  blockdevChangeMedium: (qmp: QmpClient, args: { id: string; filename: string; format?: string; "read-only-mode"?: BlockdevChangeReadOnlyMode; force?: boolean }) =>
    qmp.execute<Empty>("blockdev-change-medium", defined(args)),
  /** Grows (or shrinks) the image behind a node to `size` bytes. */
  blockResize: (qmp: QmpClient, nodeName: string, size: number) => qmp.execute<Empty>("block_resize", { "node-name": nodeName, size }),
  queryPci: (qmp: QmpClient) => qmp.execute<PciInfo[]>("query-pci"),
};
