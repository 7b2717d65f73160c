// Files as HTTP bodies, both ways: a file (or the rest of one) streamed up as a request body, and
// a response streamed down into a file, with progress. The datastore transfers (file-transfer.ts)
// and the whole-VM import and export (vmctl-client.ts) are both built on these.
// fs.promises, not node:fs/promises: bundled (the CLI), it is then loaded when a file moves, not at
// every start.
import { createReadStream, createWriteStream, promises as fsPromises } from "node:fs";
import type { IncomingMessage } from "node:http";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { openRequest, readResponse, type Endpoint, type RawResponse } from "./http-transport.js";

export type Progress = (done: number, total: number | undefined) => void;

export interface FileBody {
  file: string;
  /** The file's size: the body ends there. */
  total: number;
  /** Where the body starts; when given, the request says so in Content-Range (a resumable upload). */
  start?: number;
  /** Default application/octet-stream. */
  contentType?: string;
}

/** Sends `body` with `method` and reads the answer; `onSent` is told the bytes sent so far. */
export function sendFile(endpoint: Endpoint, method: string, path: string, body: FileBody, onSent?: (bytes: number) => void): Promise<RawResponse> {
  const { file, total } = body;
  const start = body.start ?? 0;
  return new Promise((resolve, reject) => {
    let responded = false;
    const headers: Record<string, string> = { accept: "application/json", "content-type": body.contentType ?? "application/octet-stream", "content-length": String(total - start) };
    if (body.start !== undefined && total > 0) headers["content-range"] = `bytes ${start}-${total - 1}/${total}`;
    const request = openRequest(endpoint, method, path, headers, (response) => {
      responded = true;
      readResponse(response).then(resolve, reject);
    });
    request.on("error", (error: NodeJS.ErrnoException) => {
      // vmctld may refuse (413, 409) and close before the body is sent: wait a moment for that answer.
      if (error.code === "EPIPE" || error.code === "ECONNRESET") setTimeout(() => { if (!responded) reject(error); }, 1000);
      else reject(error);
    });
    if (total === start) {
      request.end();
      return;
    }
    let sent = 0;
    const source = createReadStream(file, { start, end: total - 1, highWaterMark: 1 << 20 });
    source.on("data", (chunk) => { sent += chunk.length; onSent?.(sent); });
    source.on("error", (error) => { request.destroy(); reject(error); });
    source.pipe(request);
  });
}

/** POSTs (or PUTs) a whole file as the raw request body and reads the JSON answer. */
export async function uploadBody(endpoint: Endpoint, method: string, path: string, file: string, contentType: string, onProgress?: Progress): Promise<RawResponse> {
  const total = (await fsPromises.stat(file)).size;
  return sendFile(endpoint, method, path, { file, total, contentType }, (sent) => onProgress?.(sent, total));
}

export interface DownloadBodyOptions {
  onProgress?: Progress;
  /**
   * The Content-Type a 2xx answer must start with; another is refused, before anything is
   * written, with the error `otherwise` makes of it.
   */
  expectType?: { type: string; otherwise: (type: string) => Error };
}

/** A download's answer; on 2xx, `bytes` were written to the file. */
export interface DownloadedBody extends RawResponse { bytes: number }

/**
 * GETs a path into a file; a non-2xx answer is returned (JSON error text) and nothing is kept.
 * The file appears whole or not at all: the bytes go to a temporary name first, and a body that
 * ends short of its Content-Length is refused.
 */
export async function downloadBody(endpoint: Endpoint, path: string, file: string, options: DownloadBodyOptions = {}): Promise<DownloadedBody> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = openRequest(endpoint, "GET", path, { accept: "application/json, application/x-tar" }, resolve);
    req.on("error", reject);
    req.end();
  });
  const status = response.statusCode ?? 0;
  if (status < 200 || status >= 300) return { ...(await readResponse(response)), bytes: 0 };
  const type = String(response.headers["content-type"] ?? "");
  if (options.expectType && !type.startsWith(options.expectType.type)) {
    response.resume();
    throw options.expectType.otherwise(type);
  }
  const length = response.headers["content-length"] === undefined ? undefined : Number(response.headers["content-length"]);
  const temp = `${file}.vmctl-download`;
  let done = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      options.onProgress?.(done, length);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(response, count, createWriteStream(temp));
    if (length !== undefined && done !== length) throw new Error(`the download of ${JSON.stringify(path)} ended after ${done} of ${length} bytes`);
    await fsPromises.rename(temp, file);
  } catch (error) {
    await fsPromises.rm(temp, { force: true });
    throw error;
  }
  return { status, headers: response.headers, text: "", bytes: done };
}
