// What both entries of the client share: the API methods, paths, errors and wire shapes, with no
// Node or DOM import.
export { VmctlApi, BINARY_CONSOLE_PROTOCOL, type ImportOptions, type ImportFromDatastoreRequest, type SnapshotList, type CdromAddRequest } from "./api-client.js";
export { ApiError, answerError, parseAnswer, isRefusal } from "./api-error.js";
export { apiPaths, socketPaths, encodePath, queryString, type Query, type SocketPurpose } from "./api-paths.js";
export type { Transport, ApiRequest, ApiResponse, RequestBody } from "./transport.js";
export type * from "./security-wire.js";
