// The browser's way to vmctld: fetch on the same origin with the session cookie, the CSRF token on
// every change, a hook for a 401 (the login page), and a report of whether vmctld answered at all.
// Uploads go through XMLHttpRequest, the one browser API that reports an upload's progress.
// Only structural types of fetch and XHR are used here, so it compiles without the DOM library.
import { ApiError, answerError } from "./api-error.js";
import { apiPaths } from "./api-paths.js";
import type { ApiRequest, ApiResponse, Transport } from "./transport.js";

export interface FetchInit { method: string; headers: Record<string, string>; body?: string; credentials: "same-origin" }
export interface FetchAnswer { status: number; headers: { forEach(callback: (value: string, name: string) => void): void }; text(): Promise<string> }
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchAnswer>;

/** What sendFile needs of XMLHttpRequest. */
export interface XhrLike {
  status: number;
  responseText: string;
  withCredentials: boolean;
  upload: { onprogress: ((event: { loaded: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: unknown): void;
  abort(): void;
}

export interface BrowserTransportOptions {
  /** Prefix of every path (default "": the page's own origin). */
  base?: string;
  /** The session's CSRF token, sent on every change (not on GET). */
  csrfToken?: () => string | null;
  /** Told on a 401 answer (except to a login): the user's session ended. */
  onUnauthenticated?: () => void;
  /** Told after each request whether vmctld answered at all (a network error is false). */
  onReachability?: (reached: boolean) => void;
  fetch?: FetchLike;
  xhr?: () => XhrLike;
}

/** A request whose body is a file, under way: `done` rejects with an ApiError (status 0: the connection broke or was stopped). */
export interface Sending<T> {
  done: Promise<T>;
  abort: () => void;
}

export interface FileRequest {
  method: "PUT" | "POST";
  path: string;
  body: Blob;
  headers?: Record<string, string>;
  /** Bytes of `body` sent so far. */
  onProgress?: (sent: number) => void;
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);

export class BrowserTransport implements Transport {
  constructor(readonly options: BrowserTransportOptions = {}) {}

  /** The headers a change needs: the CSRF token of the session (uploads send it too). */
  csrfHeaders(method: string): Record<string, string> {
    const token = SAFE_METHODS.has(method) ? null : this.options.csrfToken?.();
    return token ? { "x-csrf-token": token } : {};
  }

  /** A 401 outside a login means the session is gone: the hook sends the user to log in. */
  private noteStatus(status: number, path: string): void {
    if (status === 401 && path.split("?")[0] !== apiPaths.login()) this.options.onUnauthenticated?.();
  }

  async send({ method, path, body, headers: extra }: ApiRequest): Promise<ApiResponse> {
    const headers: Record<string, string> = { accept: "application/json", ...extra, ...this.csrfHeaders(method) };
    if (body) headers["content-type"] = body.type;
    const fetcher = this.options.fetch ?? (globalThis.fetch as unknown as FetchLike | undefined);
    if (!fetcher) throw new Error("this environment has no fetch: give BrowserTransport a fetch");
    let answer: FetchAnswer;
    try {
      answer = await fetcher(`${this.options.base ?? ""}${path}`, { method, headers, credentials: "same-origin", ...(body ? { body: body.text } : {}) });
    } catch {
      this.options.onReachability?.(false);
      throw new ApiError(0, "unreachable", "vmctld is unreachable");
    }
    this.options.onReachability?.(true);
    const text = await answer.text();
    const names: Record<string, string> = {};
    answer.headers.forEach((value, name) => { names[name.toLowerCase()] = value; });
    this.noteStatus(answer.status, path);
    return { status: answer.status, headers: names, text };
  }

  /** Sends a file as the body with progress; answers its JSON or an ApiError. */
  sendFile<T>({ method, path, body, headers = {}, onProgress }: FileRequest): Sending<T> {
    const make = this.options.xhr ?? (() => new (globalThis as unknown as { XMLHttpRequest: new () => XhrLike }).XMLHttpRequest());
    const xhr = make();
    let stopped = false;
    const done = new Promise<T>((resolve, reject) => {
      xhr.open(method, `${this.options.base ?? ""}${path}`);
      xhr.withCredentials = true;
      for (const [name, value] of Object.entries({ accept: "application/json", ...headers, ...this.csrfHeaders(method) })) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => onProgress?.(event.loaded);
      xhr.onload = () => {
        this.options.onReachability?.(true);
        this.noteStatus(xhr.status, path);
        if (xhr.status >= 200 && xhr.status < 300) {
          try { resolve((xhr.responseText ? JSON.parse(xhr.responseText) : undefined) as T); } catch { reject(new ApiError(xhr.status, "bad_response", "vmctld answered something that is not JSON")); }
        } else {
          reject(answerError(xhr.status, xhr.responseText));
        }
      };
      xhr.onerror = () => {
        // A failed connection says vmctld may be down; the next request that works clears that.
        if (!stopped) this.options.onReachability?.(false);
        reject(new ApiError(0, "unreachable", "the connection to vmctld broke off"));
      };
      xhr.onabort = () => reject(new ApiError(0, "aborted", "stopped"));
      xhr.send(body);
    });
    return { done, abort: () => { stopped = true; xhr.abort(); } };
  }
}
