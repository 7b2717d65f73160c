// Requests whose body is a file: sent with XMLHttpRequest, the one browser API that reports how much
// of an upload has gone out, so uploads and OVA imports can show a progress bar and be stopped.
import { ApiError, answerError, csrfHeaders } from "./http";
import { reportRequest } from "./reachability";

export interface Sending<T> {
  /** Resolves with the parsed answer; rejects with an ApiError (status 0: the connection failed or was stopped). */
  done: Promise<T>;
  abort: () => void;
}

export interface SendOptions {
  method: "PUT" | "POST";
  path: string;
  body: Blob;
  headers?: Record<string, string>;
  /** Bytes of `body` sent so far. */
  onProgress?: (sent: number) => void;
}

export function sendFile<T>({ method, path, body, headers = {}, onProgress }: SendOptions): Sending<T> {
  const xhr = new XMLHttpRequest();
  let stopped = false;
  const done = new Promise<T>((resolve, reject) => {
    xhr.open(method, path);
    xhr.withCredentials = true;
    for (const [name, value] of Object.entries({ accept: "application/json", ...headers, ...csrfHeaders() })) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress?.(event.loaded);
    xhr.onload = () => {
      reportRequest(true);
      if (xhr.status >= 200 && xhr.status < 300) {
        try { resolve((xhr.responseText ? JSON.parse(xhr.responseText) : undefined) as T); } catch { reject(new ApiError(xhr.status, "error", "vmctld answered something that is not JSON")); }
      } else {
        reject(answerError(xhr.status, xhr.responseText, path));
      }
    };
    xhr.onerror = () => {
      // A failed connection says vmctld may be down; the next request that works clears the banner.
      if (!stopped) reportRequest(false);
      reject(new ApiError(0, "unreachable", "the connection to vmctld broke off"));
    };
    xhr.onabort = () => reject(new ApiError(0, "aborted", "stopped"));
    xhr.send(body);
  });
  return { done, abort: () => { stopped = true; xhr.abort(); } };
}

/** Downloads what a GET of `url` answers (an attachment), as a link with `download` would. */
export function download(url: string): void {
  const link = document.createElement("a");
  link.href = url;
  link.download = "";
  document.body.append(link);
  link.click();
  link.remove();
}
