// Which requests a non-leader forwards to the leader, with which headers; and the command line.
import { describe, expect, it } from "vitest";
import { FORWARDED_HEADER, forwardHeaders, needsLeader } from "./forward.js";
import { parseArgs } from "./args.js";
import { mergeEvents } from "./event-routes.js";

describe("write forwarding", () => {
  it("forwards cluster writes and cluster task cancels, nothing else", () => {
    expect(needsLeader("POST", "/api/v1/cluster/vms?datastore=shared", "cid")).toBe(true);
    expect(needsLeader("PATCH", "/api/v1/cluster/hosts/h1", "cid")).toBe(true);
    expect(needsLeader("DELETE", "/api/v1/cluster/rules/r", "cid")).toBe(true);
    expect(needsLeader("GET", "/api/v1/cluster/hosts", "cid")).toBe(false);
    expect(needsLeader("POST", "/api/v1/cluster/join", "cid")).toBe(false);
    expect(needsLeader("POST", "/api/v1/cluster/join?x=1", "cid")).toBe(false);
    expect(needsLeader("POST", "/api/v1/vms/web/power", "cid")).toBe(false);
    expect(needsLeader("DELETE", "/api/v1/tasks/cid%3Aabc", "cid")).toBe(true);
    expect(needsLeader("POST", "/api/v1/tasks/cid:abc/cancel", "cid")).toBe(true);
    expect(needsLeader("DELETE", "/api/v1/tasks/host1:abc", "cid")).toBe(false);
    expect(needsLeader("DELETE", "/api/v1/tasks/%E0%A4%A", "cid")).toBe(false);
  });
  it("keeps the credentials, drops hop-by-hop headers and marks the request as forwarded once", () => {
    const headers = forwardHeaders({ authorization: "Bearer t", cookie: "c=1", "x-csrf-token": "x", host: "a", connection: "keep-alive", [FORWARDED_HEADER]: "spoofed", "content-length": "2" }, "r1", "127.0.0.1");
    expect(headers).toEqual({ authorization: "Bearer t", cookie: "c=1", "x-csrf-token": "x", "content-length": "2", [FORWARDED_HEADER]: "r1", "x-forwarded-for": "127.0.0.1" });
  });
});

describe("vmcenter's command line", () => {
  it("takes the pinned options", () => {
    expect(parseArgs(["--home", "/h", "--listen", "127.0.0.1:0", "--etcd", "http://127.0.0.1:2379,http://127.0.0.1:2380", "--ha-grace", "3"])).toEqual({
      home: "/h", listenHost: "127.0.0.1", listenPort: 0, etcd: ["http://127.0.0.1:2379", "http://127.0.0.1:2380"], haGraceSeconds: 3,
    });
    expect(parseArgs(["--help"])).toBe("help");
  });
  it("says what is wrong", () => {
    expect(() => parseArgs(["--listen", "127.0.0.1:0", "--etcd", "http://e:1"])).toThrow(/--home/);
    expect(() => parseArgs(["--home", "/h", "--listen", "nope", "--etcd", "http://e:1"])).toThrow(/HOST:PORT/);
    expect(() => parseArgs(["--home", "/h", "--listen", "127.0.0.1:1", "--etcd", "http://e:1", "--tls-cert", "c"])).toThrow(/go together/);
    expect(() => parseArgs(["--home", "/h", "--listen", "127.0.0.1:1", "--etcd", "http://e:1", "--bogus", "1"])).toThrow(/unknown option/);
    expect(() => parseArgs(["--home", "/h", "--listen", "127.0.0.1:1", "--etcd", "http://e:1", "--url", "http://plain:1"])).toThrow(/https/);
  });
});

describe("merged events", () => {
  it("orders by time across sources and keeps the newest", () => {
    const e = (host: string, id: number, time: string) => ({ host, id, time });
    expect(mergeEvents([[e("c", 5, "2"), e("c", 9, "4")], [e("h", 1, "1"), e("h", 2, "3")]], 3).map((x) => `${x.host}${x.id}`)).toEqual(["c5", "h2", "c9"]);
  });
});
