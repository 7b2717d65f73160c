// One HTTP request streamed to the owning host and its answer streamed back: the body is piped as it
// arrives (uploads of any size, TOML, JSON) and the answer too (downloads), with the client's headers
// except its credentials, which become the cluster token of the user for that host.
import { request as httpsRequest, type RequestOptions } from "node:https";
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import { VmctlError } from "@vmctl/api-types";
import type { Endpoint } from "@vmctl/client";

/** Waiting this long for the host to accept the connection means it does not answer. */
const CONNECT_TIMEOUT_MS = 10_000;
/** A connection on which nothing moves for this long (no body byte either way) is ended. */
const IDLE_TIMEOUT_MS = 120_000;

// Hop-by-hop headers (RFC 9110 7.6.1) and what vmcenter replaces: the client's credentials are for
// vmcenter, never for a host; the host gets the user's cluster token instead.
const DROPPED_REQUEST_HEADERS = new Set([
  "connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer", "upgrade", "transfer-encoding",
  "host", "cookie", "authorization", "x-csrf-token", "expect",
]);
const DROPPED_ANSWER_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "transfer-encoding", "set-cookie"]);

/** TLS options that trust the host as its endpoint says: its pinned certificate (any name), or a CA (names checked). */
export function hostTls(endpoint: Endpoint): Pick<RequestOptions, "ca" | "checkServerIdentity"> {
  if (endpoint.pinnedCert) return { ca: endpoint.pinnedCert, checkServerIdentity: () => undefined };
  return endpoint.ca ? { ca: endpoint.ca } : {};
}

export function requestHeaders(incoming: IncomingHttpHeaders, token: string | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  const listed = new Set(String(incoming.connection ?? "").toLowerCase().split(",").map((h) => h.trim()).filter(Boolean));
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || DROPPED_REQUEST_HEADERS.has(name) || listed.has(name)) continue;
    headers[name] = value;
  }
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

export function answerHeaders(incoming: IncomingHttpHeaders): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || DROPPED_ANSWER_HEADERS.has(name)) continue;
    headers[name] = value;
  }
  return headers;
}

function unreachable(hostLabel: string, error: Error): VmctlError {
  const code = (error as NodeJS.ErrnoException).code;
  return new VmctlError("host_unreachable", `host ${hostLabel} did not answer (${code ?? error.message.slice(0, 200)}); retry when it is back`, { host: hostLabel });
}

/**
 * Opens the upstream request with the client's body piped in; resolves with the host's answer (its
 * body still to read), or rejects with host_unreachable when the host cannot be reached.
 */
export function openUpstream(endpoint: Endpoint, hostLabel: string, method: string, path: string, headers: OutgoingHttpHeaders, body: IncomingMessage | null, retried = false): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const url = new URL(endpoint.url!);
    const upstream = httpsRequest({
      protocol: url.protocol, hostname: url.hostname, port: url.port, method,
      // The path as checked (upstreamPath), never re-parsed: Node sends it as it is. Connections are
      // kept alive (Node's global agent): a request through vmcenter costs no new TLS handshake.
      path, headers, ...hostTls(endpoint),
    });
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      upstream.destroy();
      // A kept-alive connection the host closed meanwhile: a request without a body is sent again, once.
      if (!retried && body === null && upstream.reusedSocket && (error as NodeJS.ErrnoException).code === "ECONNRESET") {
        openUpstream(endpoint, hostLabel, method, path, headers, body, true).then(resolve, reject);
        return;
      }
      reject(error instanceof VmctlError ? error : unreachable(hostLabel, error));
    };
    const connectTimer = setTimeout(() => fail(new VmctlError("host_unreachable", `host ${hostLabel} did not accept a connection within ${CONNECT_TIMEOUT_MS / 1000} s; retry when it is back`, { host: hostLabel })), CONNECT_TIMEOUT_MS);
    upstream.on("socket", (socket) => {
      if (upstream.reusedSocket) clearTimeout(connectTimer);
      else socket.once("secureConnect", () => clearTimeout(connectTimer));
    });
    upstream.setTimeout(IDLE_TIMEOUT_MS, () => fail(new VmctlError("host_unreachable", `host ${hostLabel} sent nothing for ${IDLE_TIMEOUT_MS / 1000} s`, { host: hostLabel })));
    upstream.on("error", fail);
    upstream.on("response", (answer) => {
      if (settled) { answer.destroy(); return; }
      settled = true;
      clearTimeout(connectTimer);
      resolve(answer);
    });
    if (body) {
      body.on("error", (error: Error) => upstream.destroy(error));
      // A client that hangs up mid-upload: the host sees the upload end unfinished, not a short file.
      body.on("close", () => { if (!body.complete) upstream.destroy(new Error("the client closed the request before its body ended")); });
      body.pipe(upstream);
    } else upstream.end();
  });
}

/** Sends the host's answer on as it comes: status, headers (ETag, Location, Content-Type…) and a streamed body. */
export function relayAnswer(reply: FastifyReply, answer: IncomingMessage): FastifyReply {
  reply.code(answer.statusCode ?? 502);
  reply.headers(answerHeaders(answer.headers));
  return reply.send(answer);
}

/** Whether the client's request carries a body to pipe (Fastify has not read it: see the raw parser in index.ts). */
export function bodyOf(request: FastifyRequest): IncomingMessage | null {
  if (request.method === "GET" || request.method === "HEAD") return null;
  const length = request.headers["content-length"];
  if (length === undefined && request.headers["transfer-encoding"] === undefined) return null;
  return request.raw;
}

/** Reads a (small) answer whole, at most `limit` bytes: a ticket answer the proxy remembers. */
export async function readSmall(answer: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of answer) {
    size += (chunk as Buffer).length;
    if (size > limit) { answer.destroy(); throw new VmctlError("host_unreachable", `the host's ticket answer is over ${limit} bytes`); }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
