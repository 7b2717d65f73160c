// What an outside client of vmctld does over real HTTPS and WSS (loopback, self-signed certificate):
// requests with a token, a session cookie or nothing, a login, and WebSockets whose end is awaited.
import { request, type Agent } from "node:https";
import WebSocket from "ws";

/** What came back: the body as text and as the bytes received (a download, an exported OVA). */
export interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string; bytes: Buffer; json: () => any } // eslint-disable-line @typescript-eslint/no-explicit-any -- test answers are checked field by field

/** A bearer token, or a browser session's cookie and CSRF token (what `login` returns), or nothing. */
export interface Credentials { token?: string; cookie?: string; csrf?: string }

export interface RequestOptions extends Credentials {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent exactly as given (a broken JSON text, a TOML definition, an OVA, a file's bytes), as `type`. */
  rawBody?: string | Buffer;
  /** Sent in pieces, each written once the one before it is: an upload during which the test acts. */
  upload?: { length: number; pieces: AsyncIterable<Buffer> };
  /** The content type of `rawBody` or `upload`; application/json by default. */
  type?: string;
  headers?: Record<string, string>;
  localAddress?: string;
  /** A connection pool to use (keep-alive); by default each request has a connection of its own. */
  agent?: Agent;
}

export function https(port: number, method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const bytes = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const length = options.upload?.length ?? (bytes === undefined ? undefined : Buffer.byteLength(bytes));
    const headers: Record<string, string> = { ...options.headers };
    if (length !== undefined) { headers["content-type"] = options.type ?? "application/json"; headers["content-length"] = String(length); }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.cookie) headers.cookie = options.cookie;
    if (options.csrf) headers["x-csrf-token"] = options.csrf;
    const req = request({ host: "127.0.0.1", port, path, method, headers, rejectUnauthorized: false, agent: options.agent ?? false, ...(options.localAddress ? { localAddress: options.localAddress } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const received = Buffer.concat(chunks);
        const body = received.toString();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, bytes: received, json: () => JSON.parse(body) });
      });
    });
    req.on("error", reject);
    if (options.upload) {
      const { pieces } = options.upload;
      void (async () => {
        for await (const piece of pieces) req.write(piece);
        req.end();
      })().catch((error: unknown) => { reject(error); req.destroy(); });
    } else req.end(bytes);
  });
}

/** Logs in; the session cookie and CSRF token a browser would hold. */
export async function login(port: number, username: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const answer = await https(port, "POST", "/api/v1/login", { body: { username, password } });
  if (answer.status !== 200) throw new Error(`login of ${username} answered ${answer.status}: ${answer.body}`);
  return { cookie: String(answer.headers["set-cookie"]).split(";")[0]!, csrf: answer.json().csrfToken as string };
}

function wsHeaders(credentials: Credentials): Record<string, string> {
  return { ...(credentials.token ? { authorization: `Bearer ${credentials.token}` } : {}), ...(credentials.cookie ? { cookie: credentials.cookie } : {}) };
}

/** The HTTP status of a WebSocket upgrade: 101 when accepted. */
export function wsStatus(port: number, path: string, credentials: Credentials = {}): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`wss://127.0.0.1:${port}${path}`, { rejectUnauthorized: false, headers: wsHeaders(credentials) });
    socket.once("upgrade", () => { resolve(101); socket.close(); });
    socket.once("unexpected-response", (_req, res) => { resolve(res.statusCode ?? 0); socket.terminate(); });
    socket.once("error", () => resolve(0));
  });
}

/** A WebSocket that may be refused: the open socket (to hold), or the status and body of the refusal. */
export function tryWs(port: number, path: string, credentials: Credentials = {}): Promise<{ status: number; socket?: WebSocket; body?: string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`wss://127.0.0.1:${port}${path}`, { rejectUnauthorized: false, headers: wsHeaders(credentials) });
    socket.once("open", () => resolve({ status: 101, socket }));
    socket.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => { body += c.toString(); });
      res.on("end", () => { resolve({ status: res.statusCode ?? 0, body }); socket.terminate(); });
    });
    socket.once("error", () => resolve({ status: 0 }));
  });
}

export interface OpenSocket {
  socket: WebSocket;
  messages: Array<{ type: string; data: Record<string, unknown> }>;
  /** Settles when the server closes the connection, with its close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** The close, or a failure naming the socket if it is still open after `ms`. */
  closedWithin(ms: number): Promise<{ code: number; reason: string }>;
  /** The first message matching, or a failure after `ms`. */
  next(match: (m: { type: string; data: Record<string, unknown> }) => boolean, ms?: number): Promise<{ type: string; data: Record<string, unknown> }>;
}

/** Opens a WebSocket over TLS and resolves once it is open (fails with the upgrade's status otherwise). */
export function openWs(port: number, path: string, credentials: Credentials = {}): Promise<OpenSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`wss://127.0.0.1:${port}${path}`, { rejectUnauthorized: false, headers: wsHeaders(credentials) });
    const messages: OpenSocket["messages"] = [];
    let waiters: Array<() => void> = [];
    socket.on("message", (raw, isBinary) => {
      if (!isBinary) {
        try { messages.push(JSON.parse(raw.toString()) as OpenSocket["messages"][number]); } catch { /* not JSON: not looked at */ }
      }
      waiters.forEach((w) => w());
    });
    const closed = new Promise<{ code: number; reason: string }>((done) => socket.once("close", (code, reason) => done({ code, reason: reason.toString() })));
    const closedWithin = (ms: number) => Promise.race([closed, new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`${path} is still open ${ms} ms later`)), ms).unref())]);
    const next: OpenSocket["next"] = (match, ms = 20_000) => new Promise((found, fail) => {
      const check = () => {
        const m = messages.find(match);
        if (m) { clearTimeout(timer); waiters = waiters.filter((w) => w !== check); found(m); }
      };
      const timer = setTimeout(() => { waiters = waiters.filter((w) => w !== check); fail(new Error(`no matching message on ${path}; got ${JSON.stringify(messages.slice(-5))}`)); }, ms);
      waiters.push(check);
      check();
    });
    socket.once("open", () => resolve({ socket, messages, closed, closedWithin, next }));
    socket.once("unexpected-response", (_req, res) => { reject(new Error(`${path} answered ${res.statusCode} to the upgrade`)); socket.terminate(); });
    socket.once("error", reject);
  });
}
