// The typed client of the v1 API: the CLI uses it, and so will the Host Client and the cluster.
import WebSocket from "ws";
import type { ErrorBody, HostInfo, PowerRequest, Task, VmDetail, VmSummary, VmctlEvent, Datastore } from "@vmctl/api-types";
import type { CloneRequest, DiskAddRequest, DiskInfo, SnapshotRequest, SnapshotList, CdromAddRequest } from "@vmctl/api-types";
import type { DatastoreListing, DatastorePathResult, Iso, UploadStatus } from "@vmctl/api-types";
import { uploadToDatastore, downloadFromDatastore, filesPath, type UploadOptions, type DownloadOptions } from "./file-transfer.js";
import { sendRequest, wsAddress, tlsOptions, type Endpoint, type RawResponse } from "./http-transport.js";
import { uploadBody, downloadBody, type Progress as BodyProgress } from "./streams.js";

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
    this.name = "ApiError";
  }
}

export class ConnectionError extends Error {
  constructor(readonly endpoint: Endpoint, cause: Error) {
    const where = endpoint.url ?? endpoint.socketPath;
    const hint = (cause as NodeJS.ErrnoException).code === "ENOENT" || (cause as NodeJS.ErrnoException).code === "ECONNREFUSED"
      ? "; is vmctld running? (`npm start` in the repository, or `vmctld --home DIR`)"
      : (cause as NodeJS.ErrnoException).code === "EACCES" ? "; the socket is root-only (mode 0600): run as its owner" : "";
    super(`cannot reach vmctld at ${where}: ${cause.message}${hint}`);
    this.name = "ConnectionError";
  }
}

const encode = encodeURIComponent;

export type { SnapshotList, CdromAddRequest };
export const BINARY_CONSOLE_PROTOCOL = "vmctl.console.binary.v1";

function queryString(query: Record<string, string | number | undefined>): string {
  return new URLSearchParams(Object.entries(query).flatMap(([k, v]): Array<[string, string]> => (v === undefined ? [] : [[k, String(v)]]))).toString();
}

export class VmctlClient {
  constructor(readonly endpoint: Endpoint) {}

  async raw(method: string, path: string, body?: { type: string; text: string }, headers?: Record<string, string>): Promise<RawResponse> {
    try {
      return await sendRequest(this.endpoint, method, path, body, headers);
    } catch (error) {
      throw new ConnectionError(this.endpoint, error as Error);
    }
  }

  async call<T>(method: string, path: string, json?: unknown, headers?: Record<string, string>): Promise<T> {
    const response = await this.raw(method, path, json === undefined ? undefined : { type: "application/json", text: JSON.stringify(json) }, headers);
    return parseResponse<T>(response);
  }

  host(): Promise<HostInfo> { return this.call("GET", "/api/v1/host"); }
  datastores(): Promise<{ datastores: Datastore[] }> { return this.call("GET", "/api/v1/datastores"); }
  addDatastore(name: string, path: string): Promise<Datastore> { return this.call("POST", "/api/v1/datastores", { name, path }); }
  removeDatastore(name: string): Promise<{ name: string; path: string }> { return this.call("DELETE", `/api/v1/datastores/${encode(name)}`); }
  /** A directory's listing; a file is refused here (downloadFile fetches it). */
  async listFiles(datastore: string, path = ""): Promise<DatastoreListing> {
    const response = await this.raw("GET", filesPath(datastore, path));
    if (response.status < 400 && !String(response.headers["content-type"] ?? "").startsWith("application/json")) {
      throw new ApiError(400, "bad_request", `"${path}" in datastore "${datastore}" is a file, not a directory; \`vmctl ds download ${datastore} ${path}\` fetches it`);
    }
    return parseResponse(response);
  }
  uploadStatus(datastore: string, path: string): Promise<UploadStatus> { return this.call("GET", `${filesPath(datastore, path)}?upload=status`); }
  /** Streams a local file up, resuming after a dropped connection (and an earlier run's unfinished upload). */
  uploadFile(datastore: string, remote: string, local: string, options?: UploadOptions): Promise<UploadStatus> { return uploadToDatastore(this, datastore, remote, local, options); }
  downloadFile(datastore: string, remote: string, local: string, options?: DownloadOptions): Promise<{ path: string; size: number }> { return downloadFromDatastore(this, datastore, remote, local, options); }
  deleteFile(datastore: string, path: string): Promise<DatastorePathResult> { return this.call("DELETE", filesPath(datastore, path)); }
  makeDirectory(datastore: string, path: string): Promise<DatastorePathResult> { return this.call("POST", `${filesPath(datastore, path)}?mkdir`); }
  async listIsos(): Promise<Iso[]> { return (await this.call<{ isos: Iso[] }>("GET", "/api/v1/isos")).isos; }
  /** An answer's JSON, or its ApiError. */
  parse<T>(response: RawResponse): T { return parseResponse(response); }
  async listVms(state?: string): Promise<VmSummary[]> {
    return (await this.call<{ vms: VmSummary[] }>("GET", `/api/v1/vms${state ? `?state=${encode(state)}` : ""}`)).vms;
  }
  getVm(name: string): Promise<VmDetail> { return this.call("GET", `/api/v1/vms/${encode(name)}`); }
  createVm(definition: unknown, datastore?: string): Promise<VmDetail> {
    return this.call("POST", `/api/v1/vms${datastore ? `?datastore=${encode(datastore)}` : ""}`, definition);
  }
  async createVmFromToml(toml: string, datastore?: string): Promise<VmDetail> {
    return parseResponse(await this.raw("POST", `/api/v1/vms${datastore ? `?datastore=${encode(datastore)}` : ""}`, { type: "application/toml", text: toml }));
  }
  destroyVm(name: string, keepDisks = false): Promise<{ removed: string[]; kept: string[] }> {
    return this.call("DELETE", `/api/v1/vms/${encode(name)}${keepDisks ? "?keepDisks=true" : ""}`);
  }
  async getDefinition(name: string): Promise<{ text: string; etag: string }> {
    const response = await this.raw("GET", `/api/v1/vms/${encode(name)}/definition`);
    if (response.status >= 400) parseResponse(response);
    return { text: response.text, etag: String(response.headers.etag ?? "") };
  }
  async putDefinition(name: string, text: string, etag?: string): Promise<VmDetail> {
    return parseResponse(await this.raw("PUT", `/api/v1/vms/${encode(name)}/definition`, { type: "application/toml", text }, etag ? { "if-match": etag } : {}));
  }
  power(name: string, request: PowerRequest): Promise<Task> { return this.call("POST", `/api/v1/vms/${encode(name)}/power`, request); }
  batch(request: PowerRequest & { names?: string[]; pattern?: string }): Promise<Task> { return this.call("POST", "/api/v1/vms:batch", request); }
  patchVm(name: string, patch: unknown, etag?: string): Promise<VmDetail> { return this.call("PATCH", `/api/v1/vms/${encode(name)}`, patch, etag ? { "if-match": etag } : {}); }
  // Storage: disks and CD media answer at once; snapshots and clones are tasks.
  async listDisks(name: string): Promise<DiskInfo[]> {
    return (await this.call<{ disks: DiskInfo[] }>("GET", `/api/v1/vms/${encode(name)}/disks`)).disks;
  }
  addDisk(name: string, request: DiskAddRequest): Promise<DiskInfo> { return this.call("POST", `/api/v1/vms/${encode(name)}/disks`, request); }
  detachDisk(name: string, id: string, deleteFile = false): Promise<{ deleted: string | null }> {
    return this.call("DELETE", `/api/v1/vms/${encode(name)}/disks/${encode(id)}${deleteFile ? "?delete=true" : ""}`);
  }
  resizeDisk(name: string, id: string, size: string): Promise<DiskInfo> { return this.call("POST", `/api/v1/vms/${encode(name)}/disks/${encode(id)}/resize`, { size }); }
  addCdrom(name: string, request: CdromAddRequest = {}): Promise<DiskInfo> { return this.call("POST", `/api/v1/vms/${encode(name)}/cdroms`, request); }
  /** Inserts an ISO (relative to the datastore), or ejects with null. */
  setMedia(name: string, id: string, iso: string | null, datastore?: string): Promise<DiskInfo> {
    return this.call("PUT", `/api/v1/vms/${encode(name)}/cdroms/${encode(id)}/media`, { iso, ...(datastore ? { datastore } : {}) });
  }
  listSnapshots(name: string): Promise<SnapshotList> { return this.call("GET", `/api/v1/vms/${encode(name)}/snapshots`); }
  createSnapshot(name: string, request: SnapshotRequest): Promise<Task> { return this.call("POST", `/api/v1/vms/${encode(name)}/snapshots`, request); }
  revertSnapshot(name: string, snapshot: string): Promise<Task> { return this.call("POST", `/api/v1/vms/${encode(name)}/snapshots/${encode(snapshot)}/revert`); }
  deleteSnapshot(name: string, snapshot: string): Promise<Task> { return this.call("DELETE", `/api/v1/vms/${encode(name)}/snapshots/${encode(snapshot)}`); }
  cloneVm(source: string, request: CloneRequest): Promise<Task> { return this.call("POST", `/api/v1/vms/${encode(source)}/clone`, request); }
  setTemplate(name: string, template: boolean): Promise<{ name: string; template: boolean }> {
    return this.call(template ? "POST" : "DELETE", `/api/v1/vms/${encode(name)}/template`);
  }
  /** Imports an OVA file by streaming it as the body; the answer is the vm.import task. */
  async importOva(file: string, options: { name?: string; datastore?: string; start?: boolean } = {}, onProgress?: BodyProgress): Promise<Task> {
    const query = new URLSearchParams();
    if (options.name) query.set("name", options.name);
    if (options.datastore) query.set("datastore", options.datastore);
    if (options.start) query.set("start", "true");
    const path = `/api/v1/import${query.size ? `?${query}` : ""}`;
    return parseResponse(await this.stream(() => uploadBody(this.endpoint, "POST", path, file, "application/x-tar", onProgress)));
  }
  /** Imports an .ova, .ovf or libvirt .xml already in a datastore. */
  importFromDatastore(request: { datastore: string; path: string; name?: string; targetDatastore?: string; start?: boolean }): Promise<Task> {
    return this.call("POST", "/api/v1/import", request);
  }
  /** Downloads a stopped VM as an OVA into `file` (whole or not at all). */
  async exportOva(name: string, file: string, onProgress?: BodyProgress): Promise<void> {
    const response = await this.stream(() => downloadBody(this.endpoint, `/api/v1/vms/${encode(name)}/export`, file, onProgress ? { onProgress } : {}));
    if (response.status >= 400) parseResponse(response);
  }
  private async stream(work: () => Promise<RawResponse>): Promise<RawResponse> {
    try {
      return await work();
    } catch (error) {
      throw new ConnectionError(this.endpoint, error as Error);
    }
  }
  cancelTask(id: string): Promise<Task> { return this.call("DELETE", `/api/v1/tasks/${encode(id)}`); }
  getTask(id: string, waitSeconds = 0): Promise<Task> { return this.call("GET", `/api/v1/tasks/${encode(id)}${waitSeconds ? `?wait=${waitSeconds}` : ""}`); }
  async listTasks(query: { target?: string; state?: string; parent?: string; limit?: number } = {}): Promise<Task[]> {
    const params = queryString(query);
    return (await this.call<{ tasks: Task[] }>("GET", `/api/v1/tasks${params ? `?${params}` : ""}`)).tasks;
  }
  /** Waits for a task to end, however long it takes. */
  async waitTask(id: string): Promise<Task> {
    for (;;) {
      const task = await this.getTask(id, 30);
      if (task.state !== "running" && task.state !== "queued") return task;
    }
  }
  async listEvents(query: { vm?: string; type?: string; since?: number; limit?: number } = {}): Promise<VmctlEvent[]> {
    const params = queryString(query);
    return (await this.call<{ events: VmctlEvent[] }>("GET", `/api/v1/events${params ? `?${params}` : ""}`)).events;
  }

  /** The serial console: JSON messages, or with binary raw bytes both ways (the fast path). */
  openConsole(name: string, options: { binary?: boolean } = {}): WebSocket {
    return new WebSocket(wsAddress(this.endpoint, `/ws/vms/${encode(name)}/console`), options.binary ? [BINARY_CONSOLE_PROTOCOL] : [], this.wsOptions());
  }
  openMonitor(name: string): WebSocket { return new WebSocket(wsAddress(this.endpoint, `/ws/vms/${encode(name)}`), this.wsOptions()); }

  private wsOptions(): WebSocket.ClientOptions {
    const { ca } = tlsOptions(this.endpoint);
    return {
      // Node's TLS takes "no error" (undefined) as a match; ws's typings say boolean.
      ...(ca ? { ca, checkServerIdentity: (() => undefined) as unknown as () => boolean } : {}),
      ...(this.endpoint.token ? { headers: { authorization: `Bearer ${this.endpoint.token}` } } : {}),
    };
  }
  openEvents(query: { since?: number; vm?: string } = {}): WebSocket {
    const params = queryString(query);
    return new WebSocket(wsAddress(this.endpoint, `/ws/events${params ? `?${params}` : ""}`), this.wsOptions());
  }
}

function parseResponse<T>(response: RawResponse): T {
  let body: unknown;
  try {
    body = response.text ? JSON.parse(response.text) : undefined;
  } catch {
    throw new ApiError(response.status, "bad_response", `vmctld answered ${response.status} with a body that is not JSON`);
  }
  if (response.status >= 400) {
    const error = (body as ErrorBody | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? "unknown", error?.message ?? `HTTP ${response.status}`, error?.details);
  }
  return body as T;
}
