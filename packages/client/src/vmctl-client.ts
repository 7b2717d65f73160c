// The Node client of the v1 API: the CLI, the system tests and the benchmarks use it. The API
// methods are VmctlApi's; this adds the unix socket or pinned-HTTPS transport, files streamed from
// and to disk, and the WebSockets (the ws library, loaded only when one opens).
import { createRequire } from "node:module";
import type WebSocket from "ws";
import type { Task } from "@vmctl/api-types";
import { apiPaths, socketPaths } from "./api-paths.js";
import { VmctlApi, BINARY_CONSOLE_PROTOCOL, type ImportOptions } from "./api-client.js";
import { ClusterApi } from "./cluster-client.js";
import { answerError, parseAnswer } from "./api-error.js";
import { uploadToDatastore, downloadFromDatastore, type UploadOptions, type DownloadOptions } from "./file-transfer.js";
import { NodeTransport, ConnectionError, wsAddress, tlsOptions, type Endpoint, type RawResponse } from "./http-transport.js";
import { uploadBody, downloadBody, type Progress as BodyProgress } from "./streams.js";
import type { LoginAnswer } from "./security-wire.js";
import type { UploadStatus } from "@vmctl/api-types";

// Plain HTTP commands never pay for loading ws.
const requireModule = createRequire(import.meta.url);
let wsClass: typeof WebSocket | undefined;
const webSocket = (): typeof WebSocket => (wsClass ??= requireModule("ws") as typeof WebSocket);

export class VmctlClient extends VmctlApi {
  /** vmcenter's cluster API (hosts, cluster VMs, placement, migration, maintenance, rules) and a host's migration routes. */
  readonly cluster: ClusterApi;

  constructor(readonly endpoint: Endpoint) {
    super(new NodeTransport(endpoint));
    this.cluster = new ClusterApi(this.transport);
  }

  /** A request as given (any body type), answered whatever its status; tests of the API itself use it. */
  raw(method: string, path: string, body?: { type: string; text: string }, headers?: Record<string, string>): Promise<RawResponse> {
    return this.send(method, path, body, headers) as Promise<RawResponse>;
  }

  /** A JSON request to any path, with its JSON answer or ApiError. */
  call<T>(method: string, path: string, json?: unknown, headers?: Record<string, string>): Promise<T> {
    return this.request<T>(method, path, json, headers);
  }

  /** An answer's JSON, or its ApiError. */
  parse<T>(response: RawResponse): T { return parseAnswer(response); }

  /**
   * Logs in with a password and answers a client on that session (its cookie and CSRF token), to
   * make a token with; the session ends with its logout().
   */
  async openSession(username: string, password: string): Promise<{ login: LoginAnswer; client: VmctlClient }> {
    const response = await this.raw("POST", apiPaths.login(), { type: "application/json", text: JSON.stringify({ username, password }) });
    if (response.status >= 400) throw answerError(response.status, response.text);
    const login = parseAnswer<LoginAnswer>(response);
    const setCookie = response.headers["set-cookie"];
    const cookie = String(Array.isArray(setCookie) ? setCookie[0] : (setCookie ?? "")).split(";")[0]!;
    if (!cookie || !login.csrfToken) throw answerError(response.status, JSON.stringify({ error: { code: "bad_response", message: "vmctld answered the login without a session cookie or CSRF token" } }));
    return { login, client: new VmctlClient({ ...this.endpoint, session: { cookie, csrfToken: login.csrfToken } }) };
  }

  /** Streams a local file up, resuming after a dropped connection (and an earlier run's unfinished upload). */
  uploadFile(datastore: string, remote: string, local: string, options?: UploadOptions): Promise<UploadStatus> { return uploadToDatastore(this, datastore, remote, local, options); }
  downloadFile(datastore: string, remote: string, local: string, options?: DownloadOptions): Promise<{ path: string; size: number }> { return downloadFromDatastore(this, datastore, remote, local, options); }

  /** Imports an OVA file by streaming it as the body; the answer is the vm.import task. */
  async importOva(file: string, options: ImportOptions = {}, onProgress?: BodyProgress): Promise<Task> {
    const path = apiPaths.import({ name: options.name || undefined, datastore: options.datastore || undefined, start: options.start || undefined });
    return parseAnswer(await this.stream(() => uploadBody(this.endpoint, "POST", path, file, "application/x-tar", onProgress)));
  }
  /** Downloads a stopped VM as an OVA into `file` (whole or not at all). */
  async exportOva(name: string, file: string, onProgress?: BodyProgress): Promise<void> {
    const response = await this.stream(() => downloadBody(this.endpoint, apiPaths.export(name), file, onProgress ? { onProgress } : {}));
    if (response.status >= 400) parseAnswer(response);
  }
  private async stream(work: () => Promise<RawResponse>): Promise<RawResponse> {
    try {
      return await work();
    } catch (error) {
      throw new ConnectionError(this.endpoint, error as Error);
    }
  }

  /** The serial console: JSON messages, or with binary raw bytes both ways (the fast path). */
  openConsole(name: string, options: { binary?: boolean } = {}): WebSocket {
    return this.openSocket(socketPaths.console(name), options.binary ? [BINARY_CONSOLE_PROTOCOL] : []);
  }
  openMonitor(name: string): WebSocket { return this.openSocket(socketPaths.monitor(name)); }
  openEvents(query: { since?: number; vm?: string } = {}): WebSocket { return this.openSocket(socketPaths.events(query)); }

  private openSocket(path: string, protocols: string[] = []): WebSocket {
    const { ca, checkServerIdentity, allowPartialTrustChain } = tlsOptions(this.endpoint);
    const WebSocketClass = webSocket();
    return new WebSocketClass(wsAddress(this.endpoint, path), protocols, {
      ...(ca ? { ca } : {}),
      ...(allowPartialTrustChain ? { allowPartialTrustChain } : {}),
      // Node's TLS takes "no error" (undefined) as a match; ws's typings say boolean.
      ...(checkServerIdentity ? { checkServerIdentity: checkServerIdentity as unknown as () => boolean } : {}),
      ...(this.endpoint.token ? { headers: { authorization: `Bearer ${this.endpoint.token}` } } : {}),
    });
  }
}
