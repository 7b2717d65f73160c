// The typed REST and WebSocket client of vmctld.
export * from "./vmctl-client.js";
export type { Endpoint } from "./http-transport.js";
export type { UploadOptions, DownloadOptions, TransferProgress } from "./file-transfer.js";
