// The Node entry of the typed REST and WebSocket client of vmctld (the browser's is browser.ts).
export * from "./core.js";
export { VmctlClient } from "./vmctl-client.js";
export { ConnectionError, type Endpoint, type RawResponse } from "./http-transport.js";
export type { UploadOptions, DownloadOptions, TransferProgress } from "./file-transfer.js";
export { ClusterApi, type ClusterCreateResult, type ClusterMigrateResult, type MaintenanceResult } from "./cluster-client.js";
export { clusterPaths, migrationPaths } from "./cluster-paths.js";
