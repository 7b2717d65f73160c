// What a newcomer met on a first try, and the identity a cluster will merge by: the Host Client's
// address as the README writes it, a new disk given only a size, and task and event ids that say
// which host and which VM (a VM made again under the same name is another VM).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { request } from "node:https";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { UUID_PATTERN } from "@vmctl/api-types";
import { TestHost } from "./harness.js";

const run = promisify(execFile);
let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

/** One HTTPS request to vmctld's listener, redirects not followed. */
function httpsGet(path: string): Promise<{ status: number; location: string | undefined; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: host.port, method: "GET", path, rejectUnauthorized: false, agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => { body += chunk.toString(); });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, type: res.headers["content-type"], body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const virtualSize = async (file: string) => (JSON.parse((await run("qemu-img", ["info", "--output=json", "-U", file])).stdout) as { "virtual-size": number })["virtual-size"];
const uuid = new RegExp(UUID_PATTERN);

describe("the Host Client's address", () => {
  it("https://host:port/ui, as the README writes it, redirects permanently to /ui/ (keeping the query), which serves the app", async () => {
    const bare = await httpsGet("/ui");
    expect([bare.status, bare.location]).toEqual([301, "/ui/"]);
    expect((await httpsGet("/ui?lang=en")).location).toBe("/ui/?lang=en");
    const app = await httpsGet(bare.location!);
    expect(app.status).toBe(200);
    expect(app.type).toContain("text/html");
  });
});

describe("a new disk given only its size", () => {
  it("POST /api/v1/vms names it <vm>/<disk>.qcow2 in the VM's datastore and creates it at that size, as `vmctl create --disk` does", async () => {
    const created = await host.client.raw("POST", "/api/v1/vms", { type: "application/json", text: JSON.stringify({ name: "sized", disks: { disk0: { size: "1GiB" } } }) });
    expect(created.status).toBe(201);
    const vm = await host.client.getVm("sized");
    expect(vm.definition?.disks.disk0).toMatchObject({ file: "sized/disk0.qcow2", format: "qcow2", size: "1GiB" });
    const file = join(host.home, "datastores/local/sized/disk0.qcow2");
    expect(await virtualSize(file)).toBe(1024 ** 3);
    expect(readFileSync(vm.definitionPath, "utf8")).toContain('file = "sized/disk0.qcow2"');
    // And the contract says so: the served OpenAPI does not require a disk's file in the create body.
    const doc = JSON.parse((await host.client.raw("GET", "/api/v1/openapi.json")).text) as { paths: Record<string, { post?: { requestBody: { content: Record<string, { schema: { properties: { disks: { additionalProperties?: { required?: string[] }; patternProperties?: Record<string, { required?: string[] }> } } } }> } } }> };
    const disks = doc.paths["/api/v1/vms"]!.post!.requestBody.content["application/json"]!.schema.properties.disks;
    const disk = disks.additionalProperties ?? Object.values(disks.patternProperties ?? {})[0];
    expect(disk).toBeDefined();
    expect(disk!.required ?? []).not.toContain("file");

    // The same in TOML: the file is written into the [disks.<id>] table, the comments stay.
    const toml = '# two disks, named by vmctld\nname = "sized-toml"\n\n[disks.system]\nsize = "64MiB" # the system\n\n[disks.scratch]\nsize = "32MiB"\nformat = "raw"\n';
    const fromToml = await host.client.raw("POST", "/api/v1/vms", { type: "application/toml", text: toml });
    expect(fromToml.status).toBe(201);
    const text = readFileSync((await host.client.getVm("sized-toml")).definitionPath, "utf8");
    expect(text).toContain('# two disks, named by vmctld\n');
    expect(text).toContain('[disks.system]\nfile = "sized-toml/system.qcow2"\nsize = "64MiB" # the system\n');
    expect(text).toContain('[disks.scratch]\nfile = "sized-toml/scratch.img"\n');
    expect(await virtualSize(join(host.home, "datastores/local/sized-toml/scratch.img"))).toBe(32 * 1024 ** 2);

    // The CLI follows the one rule (@vmctl/definition's defaultDiskFile).
    expect((await host.cli(["create", "sized-cli", "--disk", "16MiB"])).code).toBe(0);
    expect((await host.client.getVm("sized-cli")).definition?.disks.disk0?.file).toBe("sized-cli/disk0.qcow2");
    expect(existsSync(join(host.home, "datastores/local/sized-cli/disk0.qcow2"))).toBe(true);

    // Without a size there is nothing to make: the refusal names the field and the fix.
    const refused = await host.client.raw("POST", "/api/v1/vms", { type: "application/json", text: JSON.stringify({ name: "unsized", disks: { disk0: { bus: "sata" } } }) });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: "invalid_definition", message: expect.stringContaining("disks.disk0.file") } });
  });
});

describe("task and event identity", () => {
  it("tasks are <host id>:<uuid> with their VM's uuid, events carry host, uid and vmUuid, and a VM made again under its name is told apart", async () => {
    const { id: hostId } = await host.client.host();
    expect(hostId).toMatch(uuid);
    const first = await host.client.createVm({ name: "again", memory: "64MiB" });
    const task = await host.client.power("again", { action: "start" });
    expect(task.id).toMatch(new RegExp(`^${hostId}:${UUID_PATTERN.slice(1, -1)}$`));
    expect(task.targetUuid).toBe(first.uuid);
    expect(await host.client.waitTask(task.id)).toMatchObject({ state: "success", target: "vm/again", targetUuid: first.uuid });
    expect((await host.client.listTasks({ target: "vm/again" })).map((t) => t.id)).toContain(task.id);
    await host.client.waitTask((await host.client.power("again", { action: "stop", force: true })).id);
    await host.client.destroyVm("again");
    const second = await host.client.createVm({ name: "again", memory: "64MiB" });
    expect(second.uuid).toMatch(uuid);
    expect(second.uuid).not.toBe(first.uuid);

    const events = await host.client.listEvents({ vm: "again" });
    for (const event of events) expect(event).toMatchObject({ host: hostId, uid: `${hostId}:${event.id}`, vm: "again" });
    const created = events.filter((e) => e.type === "vm.created").map((e) => e.vmUuid);
    expect(created).toEqual([first.uuid, second.uuid]);
    expect(events.find((e) => e.type === "vm.destroyed")?.vmUuid).toBe(first.uuid);
    expect(events.filter((e) => e.type === "task.created" && e.data.task === task.id).map((e) => e.vmUuid)).toEqual([first.uuid]);
    // Asked by uuid, the first VM's events and tasks, none of the second's.
    const ofFirst = await host.client.call<{ events: Array<{ type: string; vmUuid: string }> }>("GET", `/api/v1/events?vmUuid=${first.uuid}`);
    expect(ofFirst.events.map((e) => e.type)).toEqual(expect.arrayContaining(["vm.created", "vm.destroyed"]));
    expect(new Set(ofFirst.events.map((e) => e.vmUuid))).toEqual(new Set([first.uuid]));
    const tasksOfSecond = await host.client.call<{ tasks: unknown[] }>("GET", `/api/v1/tasks?targetUuid=${second.uuid}`);
    expect(tasksOfSecond.tasks).toEqual([]);
    const tasksOfFirst = await host.client.call<{ tasks: Array<{ id: string }> }>("GET", `/api/v1/tasks?targetUuid=${first.uuid}`);
    expect(tasksOfFirst.tasks.map((t) => t.id)).toContain(task.id);

    // The host id is made once: a restarted vmctld keeps it, and an old task's id still answers.
    await host.killDaemon();
    await host.startDaemon();
    expect((await host.client.host()).id).toBe(hostId);
    expect((await host.client.getTask(task.id)).state).toBe("success");
  });
});
