// The v1 API as typed methods over any Transport: what the Node client (CLI, tests, benchmarks)
// and the browser client (the Host Client) share. Nothing here touches Node or the DOM.
import type { HostInfo, PowerRequest, Task, VmDetail, VmSummary, VmctlEvent, Datastore, DesiredState, DesiredStateResult } from "@vmctl/api-types";
import type { CloneRequest, DiskAddRequest, DiskInfo, SnapshotRequest, SnapshotList, CdromAddRequest } from "@vmctl/api-types";
import type { DatastoreListing, DatastorePathResult, Iso, UploadStatus, ImportQuery, ImportFromDatastore } from "@vmctl/api-types";
import type { Network, NetworkCreateRequest, NetworkPatch, PortForward, PortForwardRequest } from "@vmctl/api-types";
import type { GuestPasswordRequest } from "@vmctl/api-types";
import type { NicAddRequest, NicInfo } from "@vmctl/api-types";
import { apiPaths, type SocketPurpose } from "./api-paths.js";
import { ApiError, parseAnswer } from "./api-error.js";
import { headerValue, type ApiResponse, type RequestBody, type Transport } from "./transport.js";
import type { AuditEntry, AuditQuery, CreatedToken, LoginAnswer, Me, Role, SendKeyRequest, SocketTicket, Token, TokenRequest, User, UserChange } from "./security-wire.js";

export type { SnapshotList, CdromAddRequest };
export const BINARY_CONSOLE_PROTOCOL = "vmctl.console.binary.v1";

const json = (value: unknown): RequestBody => ({ type: "application/json", text: JSON.stringify(value) });
const ifMatch = (etag: string | undefined): Record<string, string> => (etag ? { "if-match": etag } : {});

/** The query of an OVA upload and the body of an import from a datastore, as declared in @vmctl/api-types. */
export type ImportOptions = ImportQuery;
export type ImportFromDatastoreRequest = ImportFromDatastore;

export class VmctlApi {
  constructor(protected readonly transport: Transport) {}

  /** One request through the transport, answered whatever its status. */
  protected send(method: string, path: string, body?: RequestBody, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.transport.send({ method, path, ...(body ? { body } : {}), ...(headers ? { headers } : {}) });
  }

  /** A JSON request (or none) and its JSON answer, or the ApiError of a failed one. */
  protected async request<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return parseAnswer<T>(await this.send(method, path, body === undefined ? undefined : json(body), headers));
  }

  // The session (the Host Client logs in; the CLI turns a login into a token).
  me(): Promise<Me> { return this.request("GET", apiPaths.me()); }
  login(username: string, password: string): Promise<LoginAnswer> { return this.request("POST", apiPaths.login(), { username, password }); }
  logout(): Promise<{ ok: boolean }> { return this.request("POST", apiPaths.logout(), {}); }

  // Users, roles, tokens and the audit log.
  async listUsers(): Promise<User[]> { return (await this.request<{ users: User[] }>("GET", apiPaths.users())).users; }
  createUser(username: string, password: string, role: string): Promise<User> { return this.request("POST", apiPaths.users(), { username, password, role }); }
  updateUser(name: string, change: UserChange): Promise<User> { return this.request("PATCH", apiPaths.user(name), change); }
  /** Gives `user` the role on one VM, or with null takes the grant away. */
  setGrant(user: string, vm: string, role: string | null): Promise<User> {
    return role === null ? this.request("DELETE", apiPaths.grant(user, vm)) : this.request("PUT", apiPaths.grant(user, vm), { role });
  }
  async listRoles(): Promise<Role[]> { return (await this.request<{ roles: Role[] }>("GET", apiPaths.roles())).roles; }
  async defineRole(name: string, privileges: string[]): Promise<Role[]> { return (await this.request<{ roles: Role[] }>("POST", apiPaths.roles(), { name, privileges })).roles; }
  async listTokens(): Promise<Token[]> { return (await this.request<{ tokens: Token[] }>("GET", apiPaths.tokens())).tokens; }
  createToken(request: TokenRequest): Promise<CreatedToken> { return this.request("POST", apiPaths.tokens(), request); }
  revokeToken(id: string): Promise<Token> { return this.request("DELETE", apiPaths.token(id)); }
  async listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> { return (await this.request<{ entries: AuditEntry[] }>("GET", apiPaths.audit(query))).entries; }

  // The host and its datastores.
  host(): Promise<HostInfo> { return this.request("GET", apiPaths.host()); }
  datastores(): Promise<{ datastores: Datastore[] }> { return this.request("GET", apiPaths.datastores()); }
  addDatastore(name: string, path: string, options: { shared?: boolean } = {}): Promise<Datastore> {
    return this.request("POST", apiPaths.datastores(), { name, path, ...(options.shared ? { shared: true } : {}) });
  }
  removeDatastore(name: string): Promise<{ name: string; path: string }> { return this.request("DELETE", apiPaths.datastore(name)); }

  // Host networks.
  async listNetworks(): Promise<Network[]> { return (await this.request<{ networks: Network[] }>("GET", apiPaths.networks())).networks; }
  network(name: string): Promise<Network> { return this.request("GET", apiPaths.network(name)); }
  createNetwork(request: NetworkCreateRequest): Promise<Network> { return this.request("POST", apiPaths.networks(), request); }
  patchNetwork(name: string, patch: NetworkPatch): Promise<Network> { return this.request("PATCH", apiPaths.network(name), patch); }
  removeNetwork(name: string): Promise<{ name: string }> { return this.request("DELETE", apiPaths.network(name)); }
  async listPortForwards(vm: string): Promise<PortForward[]> { return (await this.request<{ portForwards: PortForward[] }>("GET", apiPaths.portForwards(vm))).portForwards; }
  addPortForward(vm: string, request: PortForwardRequest): Promise<PortForward> { return this.request("POST", apiPaths.portForwards(vm), request); }
  removePortForward(vm: string, id: string): Promise<PortForward> { return this.request("DELETE", apiPaths.portForward(vm, id)); }
  /** A directory's listing; a file is refused here (a download fetches it). */
  async listFiles(datastore: string, path = ""): Promise<DatastoreListing> {
    const response = await this.send("GET", apiPaths.files(datastore, path));
    if (response.status < 400 && !headerValue(response, "content-type").startsWith("application/json")) {
      throw new ApiError(400, "bad_request", `"${path}" in datastore "${datastore}" is a file, not a directory; download it instead (\`vmctl ds download ${datastore} ${path}\`)`);
    }
    return parseAnswer(response);
  }
  uploadStatus(datastore: string, path: string): Promise<UploadStatus> { return this.request("GET", `${apiPaths.files(datastore, path)}?upload=status`); }
  deleteFile(datastore: string, path: string): Promise<DatastorePathResult> { return this.request("DELETE", apiPaths.files(datastore, path)); }
  makeDirectory(datastore: string, path: string): Promise<DatastorePathResult> { return this.request("POST", `${apiPaths.files(datastore, path)}?mkdir`); }
  async listIsos(): Promise<Iso[]> { return (await this.request<{ isos: Iso[] }>("GET", apiPaths.isos())).isos; }

  // VMs and their definitions.
  async listVms(state?: string): Promise<VmSummary[]> {
    return (await this.request<{ vms: VmSummary[] }>("GET", apiPaths.vms(state ? { state } : {}))).vms;
  }
  getVm(name: string): Promise<VmDetail> { return this.request("GET", apiPaths.vm(name)); }
  createVm(definition: unknown, datastore?: string): Promise<VmDetail> {
    return this.request("POST", apiPaths.vms(datastore ? { datastore } : {}), definition);
  }
  async createVmFromToml(toml: string, datastore?: string): Promise<VmDetail> {
    return parseAnswer(await this.send("POST", apiPaths.vms(datastore ? { datastore } : {}), { type: "application/toml", text: toml }));
  }
  destroyVm(name: string, keepDisks = false): Promise<{ removed: string[]; kept: string[] }> {
    return this.request("DELETE", apiPaths.vm(name, keepDisks ? { keepDisks: true } : {}));
  }
  /** The definition as written (TOML), with the ETag that guards saving it. */
  async getDefinition(name: string): Promise<{ text: string; etag: string }> {
    const response = await this.send("GET", apiPaths.definition(name), undefined, { accept: "application/toml" });
    if (response.status >= 400) parseAnswer(response);
    return { text: response.text, etag: headerValue(response, "etag") };
  }
  /** Saves the TOML if nobody changed it since `etag` was read (412 otherwise). */
  async putDefinition(name: string, text: string, etag?: string): Promise<VmDetail> {
    return parseAnswer(await this.send("PUT", apiPaths.definition(name), { type: "application/toml", text }, ifMatch(etag)));
  }
  patchVm(name: string, patch: unknown, etag?: string): Promise<VmDetail> { return this.request("PATCH", apiPaths.vm(name), patch, ifMatch(etag)); }
  /** Renames a stopped VM; it keeps its uuid (grants, port forwards, history). */
  renameVm(name: string, newName: string): Promise<VmDetail> { return this.request("POST", apiPaths.rename(name), { name: newName }); }
  power(name: string, request: PowerRequest): Promise<Task> { return this.request("POST", apiPaths.power(name), request); }
  /** PUT /vms/{name}/state: nothing to do (the VM as it is), or the task that gets it there. */
  async desiredState(name: string, state: DesiredState): Promise<DesiredStateResult> {
    const response = await this.send("PUT", apiPaths.desiredState(name), json({ state }));
    const body = parseAnswer<VmSummary | Task>(response);
    return response.status === 202 ? { changed: true, task: body as Task } : { changed: false, vm: body as VmSummary };
  }
  batch(request: PowerRequest & { names?: string[]; pattern?: string }): Promise<Task> { return this.request("POST", apiPaths.vmBatch(), request); }
  sendKey(name: string, request: SendKeyRequest): Promise<{ sent: number }> { return this.request("POST", apiPaths.sendKey(name), request); }
  /** Sets a guest user's password through the VM's guest agent. */
  setGuestPassword(name: string, request: GuestPasswordRequest): Promise<{ user: string; set: boolean }> { return this.request("POST", apiPaths.guestPassword(name), request); }
  /** A single-use ticket (30 s) for a console, VNC or monitor WebSocket; its `url` opens it. */
  socketTicket(name: string, purpose: SocketPurpose): Promise<SocketTicket> { return this.request("POST", apiPaths.socketTicket(name), { purpose }); }

  // Storage: disks and CD media answer at once; snapshots and clones are tasks.
  async listDisks(name: string): Promise<DiskInfo[]> {
    return (await this.request<{ disks: DiskInfo[] }>("GET", apiPaths.disks(name))).disks;
  }
  addDisk(name: string, request: DiskAddRequest): Promise<DiskInfo> { return this.request("POST", apiPaths.disks(name), request); }
  detachDisk(name: string, id: string, deleteFile = false): Promise<{ deleted: string | null }> {
    return this.request("DELETE", apiPaths.disk(name, id, deleteFile ? { delete: true } : {}));
  }
  resizeDisk(name: string, id: string, size: string): Promise<DiskInfo> { return this.request("POST", apiPaths.diskResize(name, id), { size }); }
  async listNics(name: string): Promise<NicInfo[]> { return (await this.request<{ nics: NicInfo[] }>("GET", apiPaths.nics(name))).nics; }
  addNic(name: string, request: NicAddRequest): Promise<NicInfo> { return this.request("POST", apiPaths.nics(name), request); }
  removeNic(name: string, id: string): Promise<NicInfo> { return this.request("DELETE", apiPaths.nic(name, id)); }
  setNicLink(name: string, id: string, link: "up" | "down"): Promise<NicInfo> { return this.request("PUT", apiPaths.nicLink(name, id), { link }); }
  addCdrom(name: string, request: CdromAddRequest = {}): Promise<DiskInfo> { return this.request("POST", apiPaths.cdroms(name), request); }
  /** Inserts an ISO (relative to the datastore), or ejects with null; live while the VM runs. */
  setMedia(name: string, id: string, iso: string | null, datastore?: string): Promise<DiskInfo> {
    return this.request("PUT", apiPaths.media(name, id), { iso, ...(datastore ? { datastore } : {}) });
  }
  listSnapshots(name: string): Promise<SnapshotList> { return this.request("GET", apiPaths.snapshots(name)); }
  createSnapshot(name: string, request: SnapshotRequest): Promise<Task> { return this.request("POST", apiPaths.snapshots(name), request); }
  revertSnapshot(name: string, snapshot: string): Promise<Task> { return this.request("POST", apiPaths.snapshotRevert(name, snapshot)); }
  deleteSnapshot(name: string, snapshot: string): Promise<Task> { return this.request("DELETE", apiPaths.snapshot(name, snapshot)); }
  cloneVm(source: string, request: CloneRequest): Promise<Task> { return this.request("POST", apiPaths.clone(source), request); }
  setTemplate(name: string, template: boolean): Promise<{ name: string; template: boolean }> {
    return this.request(template ? "POST" : "DELETE", apiPaths.template(name));
  }
  /** Imports an .ova, .ovf or libvirt .xml already in a datastore. */
  importFromDatastore(request: ImportFromDatastoreRequest): Promise<Task> { return this.request("POST", apiPaths.import(), request); }

  // Tasks and events.
  cancelTask(id: string): Promise<Task> { return this.request("DELETE", apiPaths.task(id)); }
  /** A task; with `waitSeconds`, answered when it ends or after that long. */
  getTask(id: string, waitSeconds = 0): Promise<Task> { return this.request("GET", apiPaths.task(id, waitSeconds ? { wait: waitSeconds } : {})); }
  async listTasks(query: { target?: string; state?: string; parent?: string; limit?: number } = {}): Promise<Task[]> {
    return (await this.request<{ tasks: Task[] }>("GET", apiPaths.tasks(query))).tasks;
  }
  /** Waits for a task to end, however long it takes. */
  async waitTask(id: string): Promise<Task> {
    for (;;) {
      const task = await this.getTask(id, 30);
      if (task.state !== "running" && task.state !== "queued") return task;
    }
  }
  async listEvents(query: { vm?: string; type?: string; since?: number; limit?: number } = {}): Promise<VmctlEvent[]> {
    return (await this.request<{ events: VmctlEvent[] }>("GET", apiPaths.events(query))).events;
  }
}
