// Over HTTPS a request must arrive whole within a minute, so a client trickling its body cannot hold
// a connection; Node's requestTimeout does that for every request alike, which would cut off any
// upload longer than a minute. Here an upload only has to keep moving instead.
import type { IncomingMessage, ServerResponse } from "node:http";

export const REQUEST_DEADLINE_MS = 60_000;
export const UPLOAD_IDLE_MS = 120_000;

const UPLOAD_PATH = /^\/api\/v1\/datastores\/[^/?]+\/files\//;
const IMPORT_PATH = /^\/api\/v1\/import(\?|$)/;

/** Datastore uploads and OVA imports: bodies of any size, which may take hours. */
export function isUpload(method: string | undefined, url: string | undefined): boolean {
  return (method === "PUT" && UPLOAD_PATH.test(url ?? "")) || (method === "POST" && IMPORT_PATH.test(url ?? ""));
}

export function enforceRequestDeadline(request: IncomingMessage, response: ServerResponse): void {
  const socket = request.socket;
  if (isUpload(request.method, request.url)) {
    const stalled = () => socket.destroy();
    socket.setTimeout(UPLOAD_IDLE_MS, stalled);
    response.once("close", () => { socket.setTimeout(0); socket.off("timeout", stalled); });
    return;
  }
  const timer = setTimeout(() => { if (!request.complete) socket.destroy(); }, REQUEST_DEADLINE_MS).unref();
  response.once("close", () => clearTimeout(timer));
}
