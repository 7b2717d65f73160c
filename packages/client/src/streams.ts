// Whole VMs both ways: a file streamed up as a request body (an OVA to import) and a response
// streamed down into a file (an exported OVA), with progress. Datastore files, which resume, have
// their own transfers in file-transfer.ts.
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { openRequest, type Endpoint, type RawResponse } from "./http-transport.js";

export type Progress = (done: number, total: number | undefined) => void;

function counting(onProgress: Progress | undefined, total: number | undefined): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      onProgress?.(done, total);
      callback(null, chunk);
    },
  });
}

/** POSTs (or PUTs) a file as the raw request body and reads the JSON answer. */
export async function uploadBody(endpoint: Endpoint, method: string, path: string, file: string, type: string, onProgress?: Progress): Promise<RawResponse> {
  const size = (await stat(file)).size;
  return new Promise((resolve, reject) => {
    const req = openRequest(endpoint, method, path, { accept: "application/json", "content-type": type, "content-length": String(size) }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    req.on("error", reject);
    // A refusal (413, 400) may come before the body is sent: the answer wins over the broken pipe.
    pipeline(createReadStream(file), counting(onProgress, size), req).catch(() => {});
  });
}

/**
 * GETs a path into a file; a non-2xx answer is returned (JSON error text) and nothing is kept.
 * The file appears whole or not at all: the bytes go to a temporary name first.
 */
export async function downloadBody(endpoint: Endpoint, path: string, file: string, onProgress?: Progress): Promise<RawResponse> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = openRequest(endpoint, "GET", path, { accept: "application/json, application/x-tar" }, resolve);
    req.on("error", reject);
    req.end();
  });
  const status = response.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return { status, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") };
  }
  const length = response.headers["content-length"] === undefined ? undefined : Number(response.headers["content-length"]);
  const temp = `${file}.part`;
  try {
    await pipeline(response, counting(onProgress, length), createWriteStream(temp));
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return { status, headers: response.headers, text: "" };
}
