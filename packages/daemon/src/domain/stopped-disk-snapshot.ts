// An internal snapshot made, applied or deleted on the disk of a stopped VM: qemu-img as the QEMU
// user in production; a function type, so unit tests of the snapshot bookkeeping pass their own.
import { imageSnapshot } from "@vmctl/qemu";
import { onVmImageAsQemu, type VmImage } from "./qemu-img-sandbox.js";

export type SnapshotOp = "create" | "apply" | "delete";
export type StoppedDiskSnapshot = (image: VmImage, op: SnapshotOp, tag: string) => Promise<void>;

export const qemuImgSnapshot: StoppedDiskSnapshot = (image, op, tag) =>
  onVmImageAsQemu(image, (runAs) => imageSnapshot(image.path, op, tag, runAs));
