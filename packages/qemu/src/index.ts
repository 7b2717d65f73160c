// The qemu driver: definition → argv, launch and re-attach, stop escalation, accelerator probe, qemu-img.
export * from "./build-argv.js";
export * from "./run-paths.js";
export * from "./vm-driver.js";
export * from "./qemu-driver.js";
export * from "./qemu-process.js";
export * from "./accel-probe.js";
export * from "./qemu-img.js";
export { isAlive, isOurQemu, waitForExit } from "./process-liveness.js";
export * from "./qemu-state.js";
export * from "./block-live.js";
export * from "./qcow2-header.js";
export * from "./image-inspect.js";
export { parseVmdkExtents, type VmdkExtent } from "./image-inspect-vmdk.js";
export * from "./qemu-sandbox.js";
export { appendNoFollow, readNoFollow, readBytesNoFollow } from "./sandbox-files.js";
