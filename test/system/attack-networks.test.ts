// Attack review of host networks (issue 12): who may make, change or remove a network (a bridge,
// nftables table and dnsmasq that root vmctld makes). Over real HTTPS, so in the machine's own
// namespace: every network named here is of kind user, which makes nothing on the host even if an
// attack got through (the privilege check does not depend on the kind).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { randomBytes } from "node:crypto";
import { TestHost } from "./harness.js";
import { https, login, type Credentials } from "./https-support.js";

let host: TestHost;
const call = (method: string, path: string, options: Parameters<typeof https>[3] = {}) => https(host.port, method, path, options);
interface AuditEntry { user: string; action: string; target: string | null; result: string; status: number }
const audit = async () => (await host.client.call<{ entries: AuditEntry[] }>("GET", "/api/v1/audit?limit=1000")).entries;
const token = async (user: string, role: string) => (await host.client.call<{ token: string; id: string }>("POST", "/api/v1/tokens", { name: `${user}-${randomBytes(3).toString("hex")}`, role, expires: null, user }));

beforeAll(async () => {
  host = await TestHost.start();
  await host.client.createVm({ name: "mine", memory: "64MiB" });
  await host.client.call("POST", "/api/v1/networks", { name: "kept", kind: "user" });
  for (const [username, role] of [["rita", "ReadOnly"], ["oleg", "Operator"], ["gina", "ReadOnly"]] as const) {
    await host.client.call("POST", "/api/v1/users", { username, password: `${username}-password`, role });
  }
  // gina is Admin of one VM only: a grant hands out only the privileges that make sense on a VM.
  await host.client.call("PUT", "/api/v1/users/gina/grants/mine", { role: "Admin" });
});

afterAll(async () => { await host?.close(); });

describe("networks are changed only with network.write", () => {
  it("ReadOnly, an Operator, a per-VM Admin grant and an Admin's ReadOnly token read them but get 403 naming network.write on POST, PATCH and DELETE, audited, nothing made", async () => {
    const admin = await token("admin", "ReadOnly");
    const who: [string, Credentials][] = [
      ["rita", await login(host.port, "rita", "rita-password")],
      ["oleg", { token: (await token("oleg", "Operator")).token }],
      ["gina", await login(host.port, "gina", "gina-password")],
      ["admin", { token: admin.token }],
    ];
    for (const [user, credentials] of who) {
      expect((await call("GET", "/api/v1/networks", credentials)).status, user).toBe(200);
      for (const [method, path, body] of [
        ["POST", "/api/v1/networks", { name: `by-${user}`, kind: "user" }],
        ["PATCH", "/api/v1/networks/kept", {}],
        ["DELETE", "/api/v1/networks/kept", undefined],
      ] as const) {
        const answer = await call(method, path, { ...credentials, ...(body ? { body } : {}) });
        expect([user, method, answer.status], answer.body).toEqual([user, method, 403]);
        expect(answer.json().error.message).toContain("network.write");
      }
    }
    const refused = (await audit()).filter((e) => e.action === "POST /api/v1/networks" && e.result === "refused");
    expect(refused.map((e) => e.user.split(" ")[0]).sort()).toEqual(["admin", "gina", "oleg", "rita"]);
    expect((await host.client.listNetworks()).map((n) => n.name).sort()).toEqual(["default", "kept"]);
  });

  it("a revoked Admin token is 401 on every network route", async () => {
    const made = await token("admin", "Admin");
    expect((await call("GET", "/api/v1/networks", { token: made.token })).status).toBe(200);
    await host.client.call("DELETE", `/api/v1/tokens/${made.id}`);
    for (const [method, path] of [["GET", "/api/v1/networks"], ["POST", "/api/v1/networks"], ["DELETE", "/api/v1/networks/kept"]] as const) {
      const answer = await call(method, path, { token: made.token, ...(method === "POST" ? { body: { name: "late", kind: "user" } } : {}) });
      expect([method, answer.status]).toEqual([method, 401]);
    }
    expect((await host.client.listNetworks()).map((n) => n.name).sort()).toEqual(["default", "kept"]);
  });
});
