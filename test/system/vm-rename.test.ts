// Renaming a VM (POST /api/v1/vms/{name}/rename, `vmctl rename`) against a real vmctld, qemu-img
// and QEMU: the folder and definition move, the uuid stays and with it the grants, the snapshots'
// definitions follow, the renamed VM starts; and the attacks: a name with ../, a taken name, a
// running VM, a ReadOnly user, a grant planted on the new name beforehand. Each refusal changes nothing.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { guestDefinition, TestHost } from "./harness.js";
import { https, login, type Credentials } from "./https-support.js";

let host: TestHost;
const tokens: Record<string, string> = {};
let eve: Credentials;
const local = (path = "") => join(host.home, "datastores", "local", path);
const boss = (): Credentials => ({ token: tokens.boss! });
const rename = (who: Credentials, from: string, name: unknown) => https(host.port, "POST", `/api/v1/vms/${from}/rename`, { ...who, body: { name } });

beforeAll(async () => {
  host = await TestHost.start();
  await host.client.createVm(guestDefinition("ren-a", { description: "to be renamed", disks: { disk0: { file: "ren-a/disk0.qcow2", size: "8MiB" } } }));
  await host.client.createVm({ name: "ren-taken", memory: "64MiB" });
  const operator = (await host.client.listRoles()).find((r) => r.name === "Operator")!.privileges;
  await host.client.call("POST", "/api/v1/roles", { name: "OperatorEdit", privileges: [...operator, "vm.edit"] });
  await host.client.call("POST", "/api/v1/roles", { name: "Nobody", privileges: ["token.own"] });
  await host.client.createUser("eve", "eve-password", "Nobody");
  await host.client.setGrant("eve", "ren-a", "OperatorEdit");
  await host.client.createUser("mallory", "mallory-password", "Nobody");
  // A grant planted on a name no VM has yet: it must not become a grant on a VM renamed to it.
  await host.client.setGrant("mallory", "ren-planted", "OperatorEdit");
  await host.client.createUser("rob", "rob-password", "ReadOnly");
  tokens.rob = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "rob-token", role: "ReadOnly", expires: null, user: "rob" })).token;
  await host.client.createUser("boss", "boss-password", "Admin");
  tokens.boss = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "boss-token", role: "Admin", expires: null, user: "boss" })).token;
  eve = await login(host.port, "eve", "eve-password");
}, 120_000);
afterAll(async () => { await host?.close(); });

describe("vm rename", () => {
  it("renames a stopped VM's folder and definition, keeps its uuid, grants and snapshots, and the VM starts under its new name", async () => {
    const before = await host.client.getVm("ren-a");
    const snap = await host.client.createSnapshot("ren-a", { name: "s1", memory: false });
    expect((await host.client.waitTask(snap.id)).state).toBe("success");

    const cli = await host.cli(["--json", "rename", "ren-a", "ren-b"]);
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ from: "ren-a", name: "ren-b", uuid: before.uuid });

    expect(existsSync(local("ren-a"))).toBe(false);
    expect(readdirSync(local("ren-b")).sort()).toEqual(["disk0.qcow2", "ren-b.toml", "snapshots.json"]);
    const text = readFileSync(local("ren-b/ren-b.toml"), "utf8");
    expect(text).toContain('name = "ren-b"');
    expect(text).toContain('file = "ren-b/disk0.qcow2"');
    expect(text).toContain(`uuid = "${before.uuid}"`);
    const after = await host.client.getVm("ren-b");
    expect(after).toMatchObject({ uuid: before.uuid, state: "stopped", definition: { description: "to be renamed" } });
    await expect(host.client.getVm("ren-a")).rejects.toMatchObject({ status: 404 });
    expect((await host.client.listSnapshots("ren-b")).snapshots.map((s) => s.name)).toEqual(["s1"]);
    expect(JSON.parse(readFileSync(local("ren-b/snapshots.json"), "utf8")).snapshots[0].definition).toContain('file = "ren-b/disk0.qcow2"');

    // eve's grant followed the VM: she reads ren-b, and ren-a is gone for her too.
    expect((await https(host.port, "GET", "/api/v1/vms/ren-b", eve)).status).toBe(200);
    expect((await https(host.port, "GET", "/api/v1/vms/ren-a", eve)).status).not.toBe(200);
    const events = await host.client.call<{ events: Array<{ type: string; vm: string; vmUuid: string; data: unknown }> }>("GET", "/api/v1/events?limit=500");
    expect(events.events.filter((e) => e.type === "vm.renamed")).toEqual([expect.objectContaining({ vm: "ren-b", vmUuid: before.uuid, data: { from: "ren-a", to: "ren-b" } })]);

    // A revert restores the snapshot's definition: it names the VM as it is called now.
    const revert = await host.client.revertSnapshot("ren-b", "s1");
    expect((await host.client.waitTask(revert.id)).state).toBe("success");
    expect((await host.client.getVm("ren-b")).definition?.disks.disk0?.file).toBe("ren-b/disk0.qcow2");

    const start = await host.client.power("ren-b", { action: "start" });
    expect((await host.client.waitTask(start.id)).state).toBe("success");
    expect((await host.client.getVm("ren-b")).state).toBe("running");
  }, 180_000);

  it("refuses a running VM with 409 saying to stop it, and changes nothing", async () => {
    const answer = await rename(boss(), "ren-b", "ren-c");
    expect(answer.status).toBe(409);
    expect(answer.json().error).toMatchObject({ code: "vm_wrong_state" });
    expect(answer.json().error.message).toMatch(/cannot rename VM "ren-b": it is running; .*stop it first/);
    expect(existsSync(local("ren-b/ren-b.toml"))).toBe(true);
    expect(existsSync(local("ren-c"))).toBe(false);
    const stop = await host.client.power("ren-b", { action: "stop", force: true });
    expect((await host.client.waitTask(stop.id)).state).toBe("success");
  }, 120_000);

  it("refuses a name with ../, a slash, capitals or nothing with 400 naming the field, and a taken name with 409", async () => {
    for (const bad of ["../evil", "..", "a/b", "Web", "", "x".repeat(64), "-lead", "a\u0000b"]) {
      const answer = await rename(boss(), "ren-b", bad);
      expect(answer.status, String(bad)).toBe(400);
      expect(answer.body, String(bad)).toMatch(/name/);
    }
    const taken = await rename(boss(), "ren-b", "ren-taken");
    expect(taken.status).toBe(409);
    expect(taken.json().error).toMatchObject({ code: "vm_exists" });
    expect(existsSync(local("ren-b/ren-b.toml"))).toBe(true);
    expect(existsSync(local("ren-taken/ren-taken.toml"))).toBe(true);
    expect(existsSync(join(host.home, "datastores", "evil"))).toBe(false);
    expect(readdirSync(local()).filter((n) => n.startsWith("ren-")).sort()).toEqual(["ren-b", "ren-taken"]);
  });

  it("a ReadOnly user may not rename (403); a grant planted on the new name does not reach the renamed VM", async () => {
    const refused = await rename({ token: tokens.rob! }, "ren-b", "ren-rob");
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("vm.edit");
    expect(existsSync(local("ren-b/ren-b.toml"))).toBe(true);

    // eve, with vm.edit on the VM alone, renames it onto the name mallory holds a grant on.
    const renamed = await rename(eve, "ren-b", "ren-planted");
    expect(renamed.status).toBe(200);
    const mallory = await login(host.port, "mallory", "mallory-password");
    expect((await https(host.port, "GET", "/api/v1/vms/ren-planted", mallory)).status).not.toBe(200);
    expect((await https(host.port, "GET", "/api/v1/vms/ren-planted", eve)).status).toBe(200);
    const users = await host.client.listUsers();
    expect(users.find((u) => u.name === "mallory")!.grants).not.toHaveProperty("ren-planted");
    expect(users.find((u) => u.name === "eve")!.grants).toEqual({ "ren-planted": "OperatorEdit" });
  });
});
