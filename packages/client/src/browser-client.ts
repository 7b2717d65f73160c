// The browser client of the v1 API, for the Host Client: VmctlApi's methods over fetch, uploads with
// progress, the addresses of downloads and screenshots, and the WebSocket URLs (console, VNC,
// monitor, events) on the page's own host.
import type { Task, UploadStatus } from "@vmctl/api-types";
import { wsCloseCodeOf } from "@vmctl/api-types/errors";
import { VmctlApi, type ImportOptions } from "./api-client.js";
import { ClusterApi } from "./cluster-client.js";
import { apiPaths, socketPaths, type SocketPurpose } from "./api-paths.js";
import { BrowserTransport, type BrowserTransportOptions, type Sending } from "./browser-transport.js";

/** vmctld closes a WebSocket with these when its credential is gone, or its rights on the VM shrank (the registry's 4401, 4403). */
export const CLOSE_REVOKED = wsCloseCodeOf("unauthenticated");
export const CLOSE_NARROWED = wsCloseCodeOf("forbidden");

export interface BrowserClientOptions extends BrowserTransportOptions {
  /** The page's location (default: globalThis.location), for the WebSockets' addresses. */
  location?: { protocol: string; host: string };
}

export class BrowserClient extends VmctlApi {
  private readonly browser: BrowserTransport;
  /** vmcenter's cluster API (hosts, cluster VMs, placement, migration, maintenance, rules). */
  readonly cluster: ClusterApi;

  constructor(private readonly options: BrowserClientOptions = {}) {
    const transport = new BrowserTransport(options);
    super(transport);
    this.browser = transport;
    this.cluster = new ClusterApi(transport);
  }

  /**
   * Sends `file` from byte `from` on: the whole file when from is 0, else the rest with
   * Content-Range, which continues the part vmctld kept of an interrupted upload.
   */
  uploadFrom(datastore: string, path: string, file: Blob, from: number, overwrite: boolean, onProgress: (sent: number) => void): Sending<UploadStatus> {
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    if (from > 0) headers["content-range"] = `bytes ${from}-${file.size - 1}/${file.size}`;
    return this.browser.sendFile<UploadStatus>({
      method: "PUT", path: `${apiPaths.files(datastore, path)}${overwrite ? "?overwrite=true" : ""}`,
      body: from > 0 ? file.slice(from) : file, headers, onProgress: (sent) => onProgress(from + sent),
    });
  }

  /** Uploads an OVA as the body; vmctld unpacks it while it arrives and answers with the import task. */
  importUpload(file: Blob, options: ImportOptions, onProgress: (sent: number) => void): Sending<Task> {
    const path = apiPaths.import({ name: options.name || undefined, datastore: options.datastore || undefined, start: options.start || undefined });
    return this.browser.sendFile<Task>({ method: "POST", path, body: file, headers: { "content-type": "application/x-tar" }, onProgress });
  }

  /** A datastore file's address: a link to it downloads it (the session cookie authenticates GETs). */
  fileUrl(datastore: string, path: string): string { return this.address(apiPaths.files(datastore, path)); }
  /** The OVA of a stopped VM, as a download. */
  exportUrl(name: string): string { return this.address(apiPaths.export(name)); }
  /** The VM's screen as a PNG; `tick` makes a new address for a fresh picture. */
  screenshotUrl(name: string, tick: number): string { return this.address(apiPaths.screenshot(name, { t: tick })); }

  /** The address of a ticketed WebSocket (console, VNC or monitor) of a VM: ask it just before opening. */
  async vmSocketUrl(name: string, purpose: SocketPurpose): Promise<string> {
    return this.socketUrl((await this.socketTicket(name, purpose)).url);
  }
  /** The events stream's address, resuming after event `since`; the session cookie authenticates it. */
  eventsSocketUrl(since?: number): string { return this.socketUrl(socketPaths.events(since === undefined ? {} : { since })); }

  /**
   * Why vmctld closed a WebSocket, when it was for its credential (null for any other close): on
   * 4401 the 401 hook runs, as for a 401 answer; on 4403 the right was taken away. Neither comes
   * back by reconnecting.
   */
  revokedByClose(code: number): string | null {
    if (code === CLOSE_REVOKED) {
      this.options.onUnauthenticated?.();
      return "your session ended or was revoked: log in again";
    }
    return code === CLOSE_NARROWED ? "your right to this was taken away; ask an administrator" : null;
  }

  private address(path: string): string { return `${this.options.base ?? ""}${path}`; }

  private socketUrl(path: string): string {
    const location = this.options.location ?? (globalThis as { location?: { protocol: string; host: string } }).location;
    if (!location) throw new Error("no page location for a WebSocket address: give BrowserClient a location");
    return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
  }
}
