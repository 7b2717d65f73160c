// The proxy's path check: what a client sends under /api/v1/vms/NAME reaches that VM's routes on its
// host and nothing else (no dot segments, encoded slashes, backslashes or NULs, in any spelling).
import { describe, expect, it } from "vitest";
import { upstreamPath } from "./upstream-path.js";
import { TicketMemory, purposeOfPath } from "./tickets.js";
import { sendableCode } from "./ws-relay.js";
import { requestHeaders, answerHeaders } from "./forward.js";

const P = "/api/v1/vms/";

describe("upstreamPath", () => {
  it("passes a VM route and its query on, the name encoded again", () => {
    expect(upstreamPath("/api/v1/vms/web01", P, "web01")).toBe("/api/v1/vms/web01");
    expect(upstreamPath("/api/v1/vms/web01/definition?x=1&y=a%20b", P, "web01")).toBe("/api/v1/vms/web01/definition?x=1&y=a%20b");
    expect(upstreamPath("/api/v1/vms/web01/snapshots/s1/revert", P, "web01")).toBe("/api/v1/vms/web01/snapshots/s1/revert");
    expect(upstreamPath("/api/v1/vms/web01/", P, "web01")).toBe("/api/v1/vms/web01/");
  });

  it.each([
    "/api/v1/vms/x/../../users", "/api/v1/vms/x/..", "/api/v1/vms/x/./power", "/api/v1/vms/x/%2e%2e/%2e%2e/users", "/api/v1/vms/x/%2E%2e/users",
    "/api/v1/vms/x/.%2e/users", "/api/v1/vms/x%2f..%2f..%2fusers", "/api/v1/vms/x/..%2F..%2Fusers", "/api/v1/vms/x/%5c..%5cusers",
    "/api/v1/vms/x/a\\..\\users", "/api/v1/vms/x//power", "/api/v1/vms/x/%00", "/api/v1/vms/x/%zz", "/api/v1/vms/x/a b", "/api/v1/vms//x",
  ])("refuses %s", (url) => {
    expect(() => upstreamPath(url, P, "x")).toThrow(/cannot be forwarded/);
  });

  it("refuses a name that is not the route's, and a query with control characters", () => {
    expect(() => upstreamPath("/api/v1/vms/other/power", P, "x")).toThrow(/does not match/);
    expect(() => upstreamPath("/api/v1/vms/x/power?a=\r\nHost: evil", P, "x")).toThrow(/query/);
  });
});

describe("TicketMemory", () => {
  it("redeems a ticket once, for its VM and purpose only", () => {
    const memory = new TicketMemory();
    const entry = { user: "ann", role: "Operator" as const, name: "ann", vm: "web", purpose: "console" as const, hostId: "h1" };
    memory.remember("t1", entry, new Date(Date.now() + 30_000).toISOString());
    expect(memory.redeem("t1", "other", "console")).toBeNull();
    memory.remember("t2", entry, new Date(Date.now() + 30_000).toISOString());
    expect(memory.redeem("t2", "web", "vnc")).toBeNull();
    memory.remember("t3", entry, new Date(Date.now() + 30_000).toISOString());
    expect(memory.redeem("t3", "web", "console")?.user).toBe("ann");
    expect(memory.redeem("t3", "web", "console")).toBeNull();
    memory.remember("t4", entry, new Date(Date.now() - 1000).toISOString());
    expect(memory.redeem("t4", "web", "console")).toBeNull();
  });

  it("keeps at most 64 tickets per user", () => {
    const memory = new TicketMemory();
    for (let i = 0; i < 200; i++) memory.remember(`t${i}`, { user: "ann", role: "Admin", name: "ann", vm: "web", purpose: "console", hostId: "h" }, undefined);
    expect(memory.size).toBe(64);
    expect(memory.redeem("t199", "web", "console")).not.toBeNull();
    expect(memory.redeem("t0", "web", "console")).toBeNull();
  });

  it("tells purposes from paths", () => {
    expect(purposeOfPath("/ws/vms/a/console?ticket=x")).toBe("console");
    expect(purposeOfPath("/ws/vms/a/vnc")).toBe("vnc");
    expect(purposeOfPath("/ws/vms/a?ticket=console")).toBe("monitor");
  });
});

describe("relay details", () => {
  it("never sends a close code that may not be on the wire", () => {
    expect(sendableCode(1000)).toBe(1000);
    expect(sendableCode(1005)).toBe(1000);
    expect(sendableCode(1006)).toBe(4502);
    expect(sendableCode(4404)).toBe(4404);
    expect(sendableCode(1015)).toBe(1011);
  });

  it("replaces the client's credentials with the cluster token and drops hop-by-hop headers", () => {
    const headers = requestHeaders({ cookie: "vmcenter_session=s", authorization: "Bearer vmcenter_x", "x-csrf-token": "c", host: "center", connection: "keep-alive, x-secret", "x-secret": "1", "if-match": '"e"', "content-type": "application/toml", "content-length": "5" }, "jwt");
    expect(headers).toEqual({ authorization: "Bearer jwt", "if-match": '"e"', "content-type": "application/toml", "content-length": "5" });
    expect(answerHeaders({ "set-cookie": ["a=b"], etag: '"e"', "transfer-encoding": "chunked", location: "/api/v1/tasks/x" })).toEqual({ etag: '"e"', location: "/api/v1/tasks/x" });
  });
});
