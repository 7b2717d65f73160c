// @vmctl/center: vmcenter (the cluster controller) and the host agent that vmctld runs when joined.
export * from "./cluster-keys.js";
export * from "./cluster-token.js";
export { ClusterStore, type StoreOptions, type StoredValue } from "./cluster-store.js";
export type * from "./center-context.js";
// The host agent that a joined vmctld runs (helper C).
export * from "./agent/index.js";
