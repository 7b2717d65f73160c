// The browser client's transport logic with a fake fetch and XHR: the CSRF header on changes only,
// the 401 hook, reachability, and error answers read into ApiError.
import { describe, expect, it } from "vitest";
import { ApiError, BrowserClient, type FetchLike, type XhrLike } from "./browser.js";

interface Seen { url: string; method: string; headers: Record<string, string>; body?: string }

function fakeFetch(answer: { status: number; body?: string; headers?: Record<string, string> } | Error) {
  const seen: Seen[] = [];
  const fetch: FetchLike = async (url, init) => {
    seen.push({ url, method: init.method, headers: init.headers, ...(init.body !== undefined ? { body: init.body } : {}) });
    if (answer instanceof Error) throw answer;
    const headers = new Map(Object.entries(answer.headers ?? { "content-type": "application/json" }));
    return { status: answer.status, headers: { forEach: (cb) => headers.forEach((v, k) => cb(v, k)) }, text: async () => answer.body ?? "" };
  };
  return { fetch, seen };
}

function clientWith(answer: Parameters<typeof fakeFetch>[0]) {
  const { fetch, seen } = fakeFetch(answer);
  const events = { unauthenticated: 0, reached: [] as boolean[] };
  const client = new BrowserClient({
    fetch, csrfToken: () => "csrf-1", location: { protocol: "https:", host: "host:8443" },
    onUnauthenticated: () => { events.unauthenticated++; },
    onReachability: (reached) => { events.reached.push(reached); },
  });
  return { client, seen, events };
}

describe("browser client", () => {
  it("sends the CSRF token on changes and never on reads", async () => {
    const { client, seen } = clientWith({ status: 200, body: JSON.stringify({ vms: [] }) });
    await client.listVms();
    await client.power("web", { action: "start" });
    await client.removeDatastore("old");
    expect(seen.map((s) => [s.method, s.url, s.headers["x-csrf-token"]])).toEqual([
      ["GET", "/api/v1/vms", undefined],
      ["POST", "/api/v1/vms/web/power", "csrf-1"],
      ["DELETE", "/api/v1/datastores/old", "csrf-1"],
    ]);
    expect(seen[1]).toMatchObject({ body: '{"action":"start"}', headers: { "content-type": "application/json", accept: "application/json" } });
  });

  it("sends no CSRF header while there is no session", async () => {
    const { fetch, seen } = fakeFetch({ status: 200, body: "{}" });
    await new BrowserClient({ fetch, csrfToken: () => null }).logout();
    expect(seen[0]!.headers).not.toHaveProperty("x-csrf-token");
  });

  it("runs the 401 hook on a refused request, but not on a failed login", async () => {
    const refused = clientWith({ status: 401, body: JSON.stringify({ error: { code: "unauthenticated", message: "log in first" } }) });
    await expect(refused.client.me()).rejects.toMatchObject({ status: 401, code: "unauthenticated", message: "log in first" });
    expect(refused.events.unauthenticated).toBe(1);
    await expect(refused.client.login("admin", "wrong")).rejects.toBeInstanceOf(ApiError);
    expect(refused.events.unauthenticated).toBe(1);
  });

  it("reads an error body into ApiError with its code, message and details", async () => {
    const body = { error: { code: "vm_wrong_state", message: 'VM "web" is running', details: { state: "running" } } };
    const { client, events } = clientWith({ status: 409, body: JSON.stringify(body) });
    const error = await client.destroyVm("web").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: "vm_wrong_state", message: 'VM "web" is running', details: { state: "running" } });
    expect(events).toEqual({ unauthenticated: 0, reached: [true] });
  });

  it("says what it can of an error page that is not JSON (a proxy's)", async () => {
    const { client } = clientWith({ status: 502, body: "<html><body>Bad Gateway</body></html>", headers: { "content-type": "text/html" } });
    await expect(client.host()).rejects.toMatchObject({ status: 502, code: "bad_response", message: expect.stringContaining("not JSON") });
  });

  it("reports vmctld unreachable when fetch itself fails", async () => {
    const { client, events } = clientWith(new TypeError("Failed to fetch"));
    await expect(client.listTasks()).rejects.toMatchObject({ status: 0, code: "unreachable" });
    expect(events.reached).toEqual([false]);
  });

  it("reads a definition as TOML with its ETag, and saves it with If-Match", async () => {
    const { client, seen } = clientWith({ status: 200, body: 'name = "web"\n', headers: { "content-type": "application/toml", ETag: '"abc"' } });
    expect(await client.getDefinition("web")).toEqual({ text: 'name = "web"\n', etag: '"abc"' });
    await client.putDefinition("web", 'name = "web"\ncpus = 2\n', '"abc"').catch(() => {});
    expect(seen[1]).toMatchObject({ method: "PUT", headers: { "if-match": '"abc"', "content-type": "application/toml", "x-csrf-token": "csrf-1" } });
  });

  it("refuses to list a file as a directory", async () => {
    const { client } = clientWith({ status: 200, body: "ISO", headers: { "content-type": "application/octet-stream" } });
    await expect(client.listFiles("images", "iso/a.iso")).rejects.toMatchObject({ code: "bad_request", message: expect.stringContaining("is a file") });
  });

  it("builds WebSocket addresses on the page's host, from a ticket for VM sockets", async () => {
    const { client, seen } = clientWith({ status: 200, body: JSON.stringify({ ticket: "t1", expiresAt: "", url: "/ws/vms/web/console?ticket=t1" }) });
    expect(await client.vmSocketUrl("web", "console")).toBe("wss://host:8443/ws/vms/web/console?ticket=t1");
    expect(seen[0]).toMatchObject({ method: "POST", url: "/api/v1/vms/web/console", body: '{"purpose":"console"}' });
    expect(client.eventsSocketUrl(41)).toBe("wss://host:8443/ws/events?since=41");
    expect(client.eventsSocketUrl()).toBe("wss://host:8443/ws/events");
  });

  it("runs the 401 hook when vmctld closes a socket for a revoked credential", () => {
    const { client, events } = clientWith({ status: 200 });
    expect(client.revokedByClose(4401)).toMatch(/log in again/);
    expect(client.revokedByClose(4403)).toMatch(/taken away/);
    expect(client.revokedByClose(1006)).toBeNull();
    expect(events.unauthenticated).toBe(1);
  });
});

class FakeXhr implements XhrLike {
  status = 0;
  responseText = "";
  withCredentials = false;
  upload: XhrLike["upload"] = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  opened: [string, string] | undefined;
  headers: Record<string, string> = {};
  body: unknown;
  open(method: string, url: string) { this.opened = [method, url]; }
  setRequestHeader(name: string, value: string) { this.headers[name] = value; }
  send(body: unknown) { this.body = body; }
  abort() { this.onabort?.(); }
  answer(status: number, text: string) { this.status = status; this.responseText = text; this.onload?.(); }
}

describe("browser uploads", () => {
  const setup = () => {
    const xhr = new FakeXhr();
    const events = { unauthenticated: 0, reached: [] as boolean[] };
    const client = new BrowserClient({ xhr: () => xhr, csrfToken: () => "csrf-2", onUnauthenticated: () => { events.unauthenticated++; }, onReachability: (r) => { events.reached.push(r); } });
    return { xhr, client, events };
  };

  it("continues an upload from a byte with Content-Range, reporting progress from there", async () => {
    const { xhr, client } = setup();
    const progress: number[] = [];
    const sending = client.uploadFrom("images", "iso/a b.iso", new Blob(["0123456789"]), 4, false, (sent) => progress.push(sent));
    expect(xhr.opened).toEqual(["PUT", "/api/v1/datastores/images/files/iso/a%20b.iso"]);
    expect(xhr.headers).toMatchObject({ "content-range": "bytes 4-9/10", "x-csrf-token": "csrf-2", "content-type": "application/octet-stream" });
    expect((xhr.body as Blob).size).toBe(6);
    xhr.upload.onprogress?.({ loaded: 3 });
    xhr.answer(201, JSON.stringify({ complete: true, received: 10, total: 10 }));
    await expect(sending.done).resolves.toMatchObject({ complete: true });
    expect(progress).toEqual([7]);
  });

  it("turns an upload refused with 401 into ApiError and runs the hook; a stop is status 0", async () => {
    const refused = setup();
    const sending = refused.client.importUpload(new Blob(["x"]), { name: "imported", start: true }, () => {});
    expect(refused.xhr.opened).toEqual(["POST", "/api/v1/import?name=imported&start=true"]);
    refused.xhr.answer(401, JSON.stringify({ error: { code: "unauthenticated", message: "log in first" } }));
    await expect(sending.done).rejects.toMatchObject({ status: 401, code: "unauthenticated" });
    expect(refused.events.unauthenticated).toBe(1);

    const stopped = setup();
    const upload = stopped.client.uploadFrom("images", "big.img", new Blob(["x"]), 0, true, () => {});
    expect(stopped.xhr.opened?.[1]).toBe("/api/v1/datastores/images/files/big.img?overwrite=true");
    upload.abort();
    await expect(upload.done).rejects.toMatchObject({ status: 0, code: "aborted" });
    expect(stopped.events.reached).toEqual([]);
  });
});
