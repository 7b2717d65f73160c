// A user who may edit one VM ("mine") gives its NIC the MAC of another VM's ("bank"): the DHCP
// reservation, the lease, the port forwards and the addresses of a nat network all follow the MAC,
// so mine would get bank's address and its forwarded traffic, and `vmctl ssh bank` would log in to
// mine. Every way to write a definition refuses a MAC another VM's NIC has, naming the field.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TestHost } from "./harness.js";
import { https, type Answer, type Credentials } from "./https-support.js";

let host: TestHost;
let eve: Credentials;
const BANK_MAC = "52:54:00:5a:11:01";

const call = (method: string, path: string, body: unknown, type = "application/json"): Promise<Answer> =>
  https(host.port, method, path, { ...eve, rawBody: typeof body === "string" ? body : JSON.stringify(body), type });
const definition = (vm: string) => readFileSync(join(host.home, "datastores", "local", vm, `${vm}.toml`), "utf8");

beforeAll(async () => {
  host = await TestHost.start();
  await host.client.createVm({ name: "bank", memory: "64MiB", nics: { net0: { network: "default", mac: BANK_MAC } } });
  await host.client.createVm({ name: "mine", memory: "64MiB", nics: { net0: { network: "default" } } });
  const operator = (await host.client.call<{ roles: Array<{ name: string; privileges: string[] }> }>("GET", "/api/v1/roles")).roles.find((r) => r.name === "Operator")!.privileges;
  await host.client.call("POST", "/api/v1/roles", { name: "Maker", privileges: [...operator, "vm.edit", "vm.create"] });
  await host.client.call("POST", "/api/v1/users", { username: "eve", password: "eve-password-long", role: "Maker" });
  eve = { token: (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "eve-token", role: "Maker", expires: null, user: "eve" })).token };
});
afterAll(async () => {
  await host?.close();
});

describe("a MAC is one VM's", () => {
  it("PATCH, PUT and the TOML of another VM refuse bank's MAC (any case), naming the field and bank, and change nothing", async () => {
    const before = definition("mine");
    const mine = definition("mine").replace(/mac = "[^"]+"/, `mac = "${BANK_MAC.toUpperCase()}"`);
    const attempts: Array<[string, string, unknown, string?]> = [
      ["PATCH", "/api/v1/vms/mine", { nics: { net0: { mac: BANK_MAC } } }],
      ["PATCH", "/api/v1/vms/mine", { nics: { extra: { network: "default", mac: BANK_MAC.toUpperCase() } } }],
      ["PUT", "/api/v1/vms/mine/definition", mine, "application/toml"],
    ];
    for (const [method, path, body, type] of attempts) {
      const answer = await call(method, path, body, type);
      expect(answer.status, `${method} ${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(409);
      expect(answer.json().error.message).toMatch(/nics\.(net0|extra)\.mac/);
      expect(answer.json().error.message).toContain('VM "bank"');
      expect(definition("mine")).toBe(before);
    }
  });

  it("a new VM with bank's MAC is refused and not made", async () => {
    const answer = await call("POST", "/api/v1/vms", { name: "twin", memory: "64MiB", nics: { net0: { network: "default", mac: BANK_MAC } } });
    expect(answer.status).toBe(409);
    expect(answer.json().error.message).toContain("nics.net0.mac");
    expect((await https(host.port, "GET", "/api/v1/vms/twin", eve)).status).toBe(404);
    // Its own MAC again, and a fresh one, are fine.
    expect((await call("PATCH", "/api/v1/vms/bank", { cpus: 2 })).status).toBe(200);
    expect((await call("PATCH", "/api/v1/vms/mine", { nics: { extra: { network: "default" } } })).status).toBe(200);
  });
});
