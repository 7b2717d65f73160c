// An escaped guest runs as the QEMU user, which owns its running VM's disk: it rewrites that disk's
// qcow2 header so that its backing file is another VM's disk or saved memory (`.vmstate`). Both lie
// in a datastore, so a check that only keeps the chain inside the datastores lets the next start
// give the victim's file to the QEMU user and QEMU open it as backing: the guest reads the other
// VM's data. A header the guest wrote is nobody's request: over real HTTPS, the start (and a clone,
// an export) is refused with image_unsafe naming the file and whose it is, and the victim's file
// stays root's 0600, unreadable to the QEMU user. A linked clone of a template still starts.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile, spawnSync } from "node:child_process";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Task } from "@vmctl/api-types";
import { TestHost, guestDefinition } from "./harness.js";
import { https } from "./https-support.js";

const run = promisify(execFile);
let host: TestHost;
let token: string;
let local: string;

const call = (method: string, path: string, body?: unknown) => https(host.port, method, path, { token, ...(body === undefined ? {} : { body }) });
const owner = (path: string) => { const s = statSync(path); return [s.uid, s.gid, (s.mode & 0o7777).toString(8)]; };

/** What a process as the QEMU user (an escaped guest, simulated with setpriv) gets reading `file`. */
function catAsQemu(file: string): string {
  const result = spawnSync("setpriv", ["--reuid=vmctl-qemu", "--regid=vmctl-qemu", "--init-groups", "cat", file], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
  return result.status === 0 ? "read" : result.stderr;
}

async function power(name: string, action: "start" | "stop"): Promise<Task> {
  const answer = await call("POST", `/api/v1/vms/${name}/power`, action === "stop" ? { action, force: true } : { action });
  expect(answer.status, answer.body).toBe(202);
  return host.client.waitTask((answer.json() as Task).id);
}

async function define(name: string): Promise<string> {
  const created = await call("POST", "/api/v1/vms", guestDefinition(name, { disks: { disk0: { file: `${name}/disk0.qcow2`, size: "16MiB" } } }));
  expect(created.status, created.body).toBe(201);
  return join(local, name, "disk0.qcow2");
}

/** What the guest would have done while its VM ran: its disk's header now names `backing`. */
async function rewriteBacking(disk: string, backing: string, format: "qcow2" | "raw"): Promise<void> {
  await run("qemu-img", ["rebase", "-u", "-b", backing, "-F", format, disk]);
}

let victimDisk: string;
let attackerDisk: string;

beforeAll(async () => {
  host = await TestHost.start();
  local = join(host.home, "datastores/local");
  token = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "backing-swap-admin", role: "Admin", expires: null })).token;
  victimDisk = await define("bs-victim");
  attackerDisk = await define("bs-evil");
  await run("qemu-io", ["-f", "qcow2", "-c", "write -P 0x5a 0 1M", victimDisk]);
  expect(owner(victimDisk)).toEqual([0, 0, "600"]);
}, 120_000);
afterAll(async () => { await host?.close(); });

describe("a guest-written backing file never reaches another VM's files", () => {
  it("another VM's disk as qcow2 backing: the start fails with image_unsafe naming it, and the victim's disk stays root's 0600, hidden from the QEMU user", async () => {
    await rewriteBacking(attackerDisk, victimDisk, "qcow2");
    const task = await power("bs-evil", "start");
    expect(task.state).toBe("error");
    expect(task.error?.code).toBe("image_unsafe");
    expect(task.error?.message).toContain(victimDisk);
    expect(task.error?.message).toContain('it is a disk of VM "bs-victim"');
    expect(task.error?.message).toContain("disks.disk0.file");
    expect((await host.client.getVm("bs-evil")).state).toBe("stopped");
    expect(owner(victimDisk)).toEqual([0, 0, "600"]);
    expect(catAsQemu(victimDisk)).toContain("Permission denied");

    // A full clone and an export read the same chain: refused the same way.
    const clone = await call("POST", "/api/v1/vms/bs-evil/clone", { name: "bs-copy" });
    expect(clone.status, clone.body).toBeGreaterThanOrEqual(400);
    expect(clone.json().error).toMatchObject({ code: "image_unsafe", message: expect.stringContaining('VM "bs-victim"') });
    const exported = await call("GET", "/api/v1/vms/bs-evil/export");
    expect(exported.status).toBeGreaterThanOrEqual(400);
    expect(exported.body).toContain("image_unsafe");
    expect(owner(victimDisk)).toEqual([0, 0, "600"]);
    expect(catAsQemu(victimDisk)).toContain("Permission denied");
  });

  it("another VM's saved memory (.vmstate) as raw backing: refused the same way, the file untouched", async () => {
    const vmstate = join(local, "bs-victim/bs-victim.vmstate");
    writeFileSync(vmstate, Buffer.alloc(1024 * 1024, 0x5a), { mode: 0o600 });
    await rewriteBacking(attackerDisk, vmstate, "raw");
    const task = await power("bs-evil", "start");
    expect(task.state).toBe("error");
    expect(task.error?.code).toBe("image_unsafe");
    expect(task.error?.message).toContain(vmstate);
    expect(task.error?.message).toContain('memory file (.vmstate) of VM "bs-victim"');
    expect(owner(vmstate)).toEqual([0, 0, "600"]);
    expect(catAsQemu(vmstate)).toContain("Permission denied");
  });

  it("the control: a linked clone of a template still starts, reading through to the template's disk", async () => {
    await define("bs-tmpl");
    expect((await call("POST", "/api/v1/vms/bs-tmpl/template")).status).toBeLessThan(300);
    const cloned = await call("POST", "/api/v1/vms/bs-tmpl/clone", { name: "bs-linked", linked: true });
    expect(cloned.status, cloned.body).toBe(202);
    expect((await host.client.waitTask((cloned.json() as Task).id)).state).toBe("success");
    const task = await power("bs-linked", "start");
    expect(task.state, JSON.stringify(task.error)).toBe("success");
    expect((await power("bs-linked", "stop")).state).toBe("success");
  });
});
