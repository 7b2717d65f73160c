// Attacks on [cloud_init] secrets (issue 12) by users who may read a VM but not edit it: "rob"
// (ReadOnly) and "cara" (a Creator: vm.create and vm.read at host scope, no vm.edit). A password hash
// and user-data are hidden from them by GET /vms/{name} and its TOML; here they try every other way
// out: the definition file in the datastore browser, an OVA export, events, tasks and the audit.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { TestHost } from "./harness.js";
import { https, type Answer, type Credentials } from "./https-support.js";

let host: TestHost;
const tokens: Record<string, string> = {};
const HASH = "$6$attacksalt$Q9rHm0bV3Wq0hS2lqk6l0xK1u3d5Jm3mYh0g0Yc2v9wqGm6bZpP1xN0cA7lT4eR8sU2iO5yK3jH6fD9gB1nM0.";
const TOKEN = "user-data-token-4b1f9c";

const call = (method: string, path: string, who: Credentials): Promise<Answer> => https(host.port, method, path, who);
const as = (user: string): Credentials => ({ token: tokens[user]! });

beforeAll(async () => {
  host = await TestHost.start();
  // No disks: an export or a clone reads no file of theirs, so no file check stands in the way.
  await host.client.createVm({ name: "hashed", memory: "64MiB", cloud_init: { users: [{ name: "ann", password_hash: HASH }] } });
  await host.client.createVm({ name: "scripted", memory: "64MiB", cloud_init: { user_data: `#cloud-config\nruncmd:\n  - [curl, -H, "Authorization: ${TOKEN}", http://example.invalid]\n` } });
  await host.client.call("POST", "/api/v1/roles", { name: "Creator", privileges: ["host.read", "vm.read", "vm.create", "task.read", "event.read", "datastore.read", "token.own"] });
  for (const [user, role] of [["rob", "ReadOnly"], ["cara", "Creator"], ["boss", "Admin"]] as const) {
    await host.client.call("POST", "/api/v1/users", { username: user, password: `${user}-password-long`, role });
    tokens[user] = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: `${user}-token`, role, expires: null, user })).token;
  }
});
afterAll(async () => {
  await host?.close();
});

describe("cloud-init secrets reach no one without vm.edit", () => {
  it("the definition file in the datastore browser is refused, naming vm.edit and the route that shows it hidden", async () => {
    for (const vm of ["hashed", "scripted"]) {
      for (const user of ["rob", "cara"]) {
        const answer = await call("GET", `/api/v1/datastores/local/files/${vm}/${vm}.toml`, as(user));
        expect(answer.status, `${user} ${vm}`).toBe(403);
        expect(answer.json().error.message).toContain(`"vm.edit" on VM "${vm}"`);
        expect(answer.json().error.message).toContain(`/api/v1/vms/${vm}/definition`);
        expect(answer.body).not.toContain(HASH);
        expect(answer.body).not.toContain(TOKEN);
      }
      // The folder still lists, and the hidden view is there.
      expect((await call("GET", `/api/v1/datastores/local/files/${vm}`, as("rob"))).status).toBe(200);
      const hidden = await call("GET", `/api/v1/vms/${vm}/definition`, as("rob"));
      expect(hidden.status).toBe(200);
      expect(hidden.body).not.toContain(HASH);
      expect(hidden.body).not.toContain(TOKEN);
    }
  });

  it("an OVA export of a VM without disks is refused to a creator without vm.edit on it, and carries the secrets to an Admin", async () => {
    for (const vm of ["hashed", "scripted"]) {
      const answer = await call("GET", `/api/v1/vms/${vm}/export`, as("cara"));
      expect(answer.status, vm).toBe(403);
      expect(answer.json().error.message).toContain(`"vm.edit" on VM "${vm}"`);
      expect(answer.bytes.includes(Buffer.from(HASH))).toBe(false);
      expect(answer.bytes.includes(Buffer.from(TOKEN))).toBe(false);
    }
    const admin = await call("GET", "/api/v1/vms/hashed/export", as("boss"));
    expect(admin.status).toBe(200);
    expect(admin.bytes.includes(Buffer.from(HASH))).toBe(true);
  });

  it("a clone of such a VM is refused to a creator without vm.edit on it (its guest would hold the hash in /etc/shadow), and nothing is made", async () => {
    for (const vm of ["hashed", "scripted"]) {
      const answer = await https(host.port, "POST", `/api/v1/vms/${vm}/clone`, { ...as("cara"), rawBody: JSON.stringify({ name: `${vm}-copy` }), type: "application/json" });
      expect(answer.status, vm).toBe(403);
      expect(answer.json().error.message).toContain(`"vm.edit" on VM "${vm}"`);
      expect((await call("GET", `/api/v1/vms/${vm}-copy`, as("boss"))).status).toBe(404);
    }
  });

  it("events, tasks and the audit hold neither the hash nor the user-data", async () => {
    for (const path of ["/api/v1/events?limit=500", "/api/v1/tasks?limit=500"]) {
      const answer = await call("GET", path, as("rob"));
      expect(answer.status, path).toBe(200);
      expect(answer.body).not.toContain(HASH);
      expect(answer.body).not.toContain(TOKEN);
    }
    const audit = JSON.stringify(await host.client.call("GET", "/api/v1/audit?limit=500"));
    expect(audit).not.toContain(HASH);
    expect(audit).not.toContain(TOKEN);
  });
});
