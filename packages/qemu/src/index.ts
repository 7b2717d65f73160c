// The qemu driver: the VmDriver interface and QEMU behind it (definition → argv, launch and re-attach,
// stop escalation, live storage, saved state), the accelerator probe, qemu-img. The process and its
// QMP connection stay inside: the domain holds a VmHandle.
export * from "./build-argv.js";
export * from "./run-paths.js";
export * from "./vm-driver.js";
export * from "./qemu-driver.js";
export { MigrationCancelled, INCOMING_CONNECT_TIMEOUT_MS } from "./qemu-migration.js";
export * from "./stop-escalation.js";
export { vmDriverCases, type DriverCase, type DriverCaseContext } from "./vm-driver-cases.js";
export * from "./accel-probe.js";
export * from "./qemu-img.js";
export { isAlive, isOurQemu, waitForExit } from "./process-liveness.js";
export * from "./qcow2-header.js";
export * from "./image-inspect.js";
export { parseVmdkExtents, type VmdkExtent } from "./image-inspect-vmdk.js";
export * from "./qemu-sandbox.js";
export { appendNoFollow, readNoFollow, readBytesNoFollow } from "./sandbox-files.js";
