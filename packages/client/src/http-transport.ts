// HTTP to vmctld over its unix socket (the default) or a URL, with JSON or TOML bodies.
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestOptions } from "node:http";
import type * as Https from "node:https";
import { createRequire } from "node:module";
import type { ApiRequest, Transport } from "./transport.js";

export interface Endpoint {
  socketPath?: string;
  url?: string;
  /** Bearer token for HTTPS (the unix socket needs none). */
  token?: string;
  /** The server certificate (PEM) pinned at `vmctl login`: trusted alone, as its own CA. */
  pinnedCert?: string;
  /** CA certificates (PEM) to trust instead of the system's, with the usual check of the server's name (`--ca FILE`). */
  ca?: string;
  /** A login's session (its cookie and CSRF token) instead of a token: `vmctl login` uses one to make its token. */
  session?: { cookie: string; csrfToken: string };
}

// TLS (https, tls, crypto) is loaded only for a URL: a command over the unix socket never pays for it.
const requireBuiltin = createRequire(import.meta.url);
let https: typeof Https | undefined;
const httpsRequest = (url: URL, options: Https.RequestOptions, onResponse: (response: IncomingMessage) => void): ClientRequest =>
  (https ??= requireBuiltin("node:https") as typeof Https).request(url, options, onResponse);

/** TLS options: trust exactly the pinned certificate, whatever name it carries; or a given CA, names checked. */
export function tlsOptions(endpoint: Endpoint): { ca?: string; checkServerIdentity?: () => undefined; allowPartialTrustChain?: boolean } {
  // A pinned certificate that a CA signed (the cluster demo's) is trusted alone too: partial chain.
  if (endpoint.pinnedCert) return { ca: endpoint.pinnedCert, checkServerIdentity: () => undefined, allowPartialTrustChain: true };
  return endpoint.ca ? { ca: endpoint.ca } : {};
}

export interface RawResponse { status: number; headers: IncomingHttpHeaders; text: string }

/** Reads a whole answer (JSON, or an error's text) into a RawResponse. */
export async function readResponse(response: IncomingMessage): Promise<RawResponse> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return { status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") };
}

/** A request to vmctld over its unix socket or URL, with the token; the caller writes the body and ends it. */
export function openRequest(endpoint: Endpoint, method: string, path: string, headers: Record<string, string>, onResponse: (response: IncomingMessage) => void): ClientRequest {
  const allHeaders: Record<string, string> = { ...headers };
  if (endpoint.token) allHeaders.authorization = `Bearer ${endpoint.token}`;
  if (endpoint.session) {
    allHeaders.cookie = endpoint.session.cookie;
    if (method !== "GET" && method !== "HEAD") allHeaders["x-csrf-token"] = endpoint.session.csrfToken;
  }
  if (endpoint.url) {
    const url = new URL(path, endpoint.url);
    return url.protocol === "https:"
      ? httpsRequest(url, { method, headers: allHeaders, ...tlsOptions(endpoint) }, onResponse)
      : httpRequest(url, { method, headers: allHeaders }, onResponse);
  }
  // A server name for TLS, which a unix socket never speaks: left unset, the agent works one out
  // with net.isIP, whose first call compiles Node's IPv6 pattern (several ms of every CLI command).
  const socketOptions: RequestOptions & { servername: string } = { socketPath: endpoint.socketPath, path, method, headers: allHeaders, servername: "" };
  return httpRequest(socketOptions, onResponse);
}

export function sendRequest(endpoint: Endpoint, method: string, path: string, body?: { type: string; text: string }, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const allHeaders: Record<string, string> = { accept: "application/json", ...headers };
    if (body) {
      allHeaders["content-type"] = body.type;
      allHeaders["content-length"] = String(Buffer.byteLength(body.text));
    }
    let responded = false;
    const onResponse = (response: IncomingMessage) => {
      responded = true;
      readResponse(response).then(resolve, reject);
    };
    const req = openRequest(endpoint, method, path, allHeaders, onResponse);
    req.on("error", (error: NodeJS.ErrnoException) => {
      // vmctld may answer (413, say) and close before the whole body is written: wait for that answer.
      if (error.code === "EPIPE" || error.code === "ECONNRESET") setTimeout(() => { if (!responded) reject(error); }, 1000);
      else reject(error);
    });
    if (body) req.write(body.text);
    req.end();
  });
}

/** The ws library's address for a WebSocket path on this endpoint. */
export function wsAddress(endpoint: Endpoint, path: string): string {
  if (endpoint.url) {
    const url = new URL(path, endpoint.url);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.toString();
  }
  return `ws+unix://${endpoint.socketPath}:${path}`;
}

export class ConnectionError extends Error {
  constructor(readonly endpoint: Endpoint, cause: Error) {
    const where = endpoint.url ?? endpoint.socketPath;
    const code = (cause as NodeJS.ErrnoException).code;
    const hint = code === "ENOENT" || code === "ECONNREFUSED"
      ? "; is vmctld running? (`npm start` in the repository, or `vmctld --home DIR`)"
      : code === "EACCES" ? "; the socket is root-only (mode 0600): run as its owner" : "";
    super(`cannot reach the server at ${where}: ${cause.message}${hint}`);
    this.name = "ConnectionError";
  }
}

/** The Node transport: the unix socket, or HTTPS trusting the pinned certificate; an unreachable vmctld is a ConnectionError. */
export class NodeTransport implements Transport {
  constructor(readonly endpoint: Endpoint) {}

  async send({ method, path, body, headers }: ApiRequest): Promise<RawResponse> {
    try {
      return await sendRequest(this.endpoint, method, path, body, headers);
    } catch (error) {
      throw new ConnectionError(this.endpoint, error as Error);
    }
  }
}
