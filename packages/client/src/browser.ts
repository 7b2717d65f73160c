// The browser entry (`@vmctl/client/browser`): the shared API methods over fetch, with no Node module and no ws.
export * from "./core.js";
export { BrowserClient, CLOSE_REVOKED, CLOSE_NARROWED, type BrowserClientOptions } from "./browser-client.js";
export { BrowserTransport, type BrowserTransportOptions, type Sending, type FileRequest, type FetchLike, type XhrLike } from "./browser-transport.js";
export { ClusterApi, type ClusterCreateResult, type ClusterMigrateResult, type MaintenanceResult } from "./cluster-client.js";
export { clusterPaths, migrationPaths } from "./cluster-paths.js";
