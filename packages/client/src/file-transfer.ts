// Uploads and downloads of datastore files, streamed with progress. An upload that loses its
// connection asks vmctld how much arrived (GET …?upload=status) and continues from there with
// Content-Range; a new upload of a file whose earlier attempt was cut off continues it too.
import { promises as fsPromises } from "node:fs"; // not node:fs/promises: see streams.ts
import type { UploadStatus } from "@vmctl/api-types";
import { ApiError } from "./api-error.js";
import { apiPaths } from "./api-paths.js";
import type { Endpoint, RawResponse } from "./http-transport.js";
import { downloadBody, sendFile } from "./streams.js";

/** What the transfers need of VmctlClient: its endpoint, JSON calls, and its reading of answers. */
export interface TransferClient {
  readonly endpoint: Endpoint;
  call<T>(method: string, path: string, json?: unknown, headers?: Record<string, string>): Promise<T>;
  parse<T>(response: RawResponse): T;
}

export interface TransferProgress { done: number; total: number }

export interface UploadOptions {
  overwrite?: boolean;
  onProgress?: (progress: TransferProgress) => void;
  /** Told when the upload continues from bytes already stored (cut off earlier, by this run or another). */
  onResume?: (offset: number, total: number) => void;
  /** Continue an unfinished upload of the same size found on vmctld (default true). */
  resume?: boolean;
  /** Attempts after a dropped connection before giving up (default 8). */
  retries?: number;
}

export interface DownloadOptions {
  onProgress?: (progress: TransferProgress) => void;
}

const filesPath = apiPaths.files;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A connection that broke (or a vmctld that is restarting), as opposed to an answer. */
function isDropped(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return ["ECONNRESET", "EPIPE", "ECONNREFUSED", "ENOENT", "ETIMEDOUT", "ECONNABORTED"].includes(code ?? "") || (error as Error).message === "socket hang up";
}

export async function uploadToDatastore(client: TransferClient, datastore: string, remote: string, local: string, options: UploadOptions = {}): Promise<UploadStatus> {
  const path = filesPath(datastore, remote);
  const query = options.overwrite ? "?overwrite=true" : "";
  const { size: total } = await fsPromises.stat(local);
  const retries = options.retries ?? 8;
  let offset = 0;
  const resumable = options.resume !== false && total > 0;
  const status = resumable || !options.overwrite ? await settledStatus(client, path) : undefined;
  // vmctld would refuse it too, but a refusal can be lost when it closes the connection early, and
  // the retry below would then take the file already there for this upload landing whole.
  if (status?.complete && !options.overwrite) {
    throw new ApiError(409, "file_exists", `"${remote}" already exists in datastore "${datastore}" (${status.total ?? status.received} bytes); upload with overwrite (vmctl ds upload --overwrite) to replace it`, { path: remote });
  }
  if (resumable && status) {
    if (!status.complete && status.total === total && status.received > 0) {
      offset = status.received;
      options.onResume?.(offset, total);
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await sendFile(client.endpoint, "PUT", `${path}${query}`, { file: local, start: offset, total }, (sent) => options.onProgress?.({ done: offset + sent, total }));
      return client.parse<UploadStatus>(response);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const recoverable = isDropped(error) || code === "upload_in_progress" || code === "upload_offset_mismatch";
      if (!recoverable || attempt > retries) throw error;
      await sleep(Math.min(200 * 2 ** attempt, 5000));
      const status = await settledStatus(client, path).catch((statusError: unknown) => {
        if (isDropped(statusError)) return undefined; // vmctld still away: try again from the same place
        throw statusError;
      });
      if (!status) continue;
      // The answer was lost but the file landed whole (with overwrite, the file may be the old one: send it again).
      if (status.complete && !options.overwrite && status.received === total) return status;
      offset = !status.complete && status.total === total ? status.received : 0;
      options.onResume?.(offset, total);
    }
  }
}

/** The upload's status once no request is still writing it (a dropped one winds down within seconds). */
async function settledStatus(client: TransferClient, path: string): Promise<UploadStatus> {
  for (let i = 0; ; i++) {
    const status = await client.call<UploadStatus>("GET", `${path}?upload=status`);
    if (!status.inProgress || i >= 50) return status;
    await sleep(200);
  }
}

/** Downloads to `local` through a temporary file beside it, renamed when complete. */
export async function downloadFromDatastore(client: TransferClient, datastore: string, remote: string, local: string, options: DownloadOptions = {}): Promise<{ path: string; size: number }> {
  const response = await downloadBody(client.endpoint, filesPath(datastore, remote), local, {
    onProgress: (done, total) => options.onProgress?.({ done, total: total ?? 0 }),
    expectType: { type: "application/octet-stream", otherwise: () => new Error(`"${remote}" in datastore "${datastore}" is a directory; download a file in it`) },
  });
  if (response.status >= 300) {
    client.parse(response);
    throw new Error(`vmctld answered the download of "${remote}" with HTTP ${response.status}`);
  }
  return { path: local, size: response.bytes };
}
