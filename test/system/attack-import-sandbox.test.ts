// Imported disks come from outside, so qemu-img's VMDK/qcow2 parsing of them is attack surface: it
// runs as the unprivileged QEMU user (setpriv, no capabilities, no_new_privs, QEMU's two-variable
// environment), never as root. Over real HTTPS as an Admin: the convert of an uploaded OVA is caught
// in /proc running as vmctl-qemu; private datastore files a libvirt domain names are lent to that
// user only for the convert and get their owner and mode back; a package behind a folder that user
// cannot pass is refused before anything is made.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { chmodSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { promisify } from "node:util";
import { TestHost } from "./harness.js";
import { packOva, vmwareOvf, libvirtDomain } from "./ova-support.js";
import { patternFile, qemuImgs, type Sighting } from "./qemu-img-watch.js";

const run = promisify(execFile);
const RAW_FORMAT = "http://en.wikipedia.org/wiki/Byte";
const MIB = 1024 ** 2;
let host: TestHost;
let token: string;
let local: string;
let work: string;
let qemuUid: number;
let qemuGid: number;

interface Answer { status: number; text: string; json: () => { error?: { code: string; message: string; details?: Record<string, unknown> }; id?: string } }

/** A request over HTTPS with the Admin's bearer token; the body a string or a file streamed. */
function call(method: string, path: string, body?: { type: string; data?: string; file?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body) {
      headers["content-type"] = body.type;
      headers["content-length"] = String(body.file ? statSync(body.file).size : Buffer.byteLength(body.data ?? ""));
    }
    const req = request({ host: "127.0.0.1", port: host.port, method, path, headers, rejectUnauthorized: false, agent: false }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => { text += chunk.toString(); });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) }));
    });
    req.on("error", reject);
    if (body?.file) createReadStream(body.file).pipe(req);
    else req.end(body?.data);
  });
}

const owner = (path: string) => { const s = statSync(path); return { uid: s.uid, gid: s.gid, mode: (s.mode & 0o7777).toString(8) }; };

/** The Admin's audit entries for one action, newest first. */
async function audited(action: string): Promise<Array<{ result: string; status: number }>> {
  const { entries } = await host.client.call<{ entries: Array<{ user: string; action: string; result: string; status: number }> }>("GET", "/api/v1/audit?limit=1000");
  return entries.filter((e) => e.action === action && e.user.startsWith("admin"));
}

beforeAll(async () => {
  host = await TestHost.start();
  local = join(host.home, "datastores/local");
  work = join(host.home, "work");
  mkdirSync(work);
  token = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "importer", role: "Admin", expires: null })).token;
  qemuUid = Number((await run("id", ["-u", "vmctl-qemu"])).stdout.trim());
  qemuGid = Number((await run("id", ["-g", "vmctl-qemu"])).stdout.trim());
}, 120_000);
afterAll(async () => { await host?.close(); });

describe("qemu-img converts imported disks as the unprivileged QEMU user", () => {
  it("an uploaded OVA's disk is converted by a qemu-img running as vmctl-qemu with no capabilities and no vmctld environment; the disk is identical and root's 0600", async () => {
    // 256 MiB that qemu-img must really copy: long enough to be seen in /proc under any load.
    const dir = join(work, "big");
    mkdirSync(dir);
    const disk = join(dir, "big-disk1.img");
    patternFile(disk, 256 * MIB);
    const ova = join(work, "big.ova");
    await packOva(ova, dir, "big", vmwareOvf("big-disk1.img", 256 * MIB, 256, RAW_FORMAT), [disk]);

    const seen: Sighting[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.push(...qemuImgs(join(local, ".import-")));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    let taskState: string | undefined;
    try {
      const answer = await call("POST", "/api/v1/import?name=sbx-ova", { type: "application/x-tar", file: ova });
      expect(answer.status, answer.text).toBe(202);
      const task = await host.client.waitTask(answer.json().id!);
      taskState = task.state;
      expect(task.state, JSON.stringify(task.error)).toBe("success");
    } finally {
      watching = false;
      await watcher;
    }
    expect(taskState).toBe("success");

    const converts = seen.filter((s) => s.argv[1] === "convert");
    expect(converts.length, "a qemu-img convert of the staging folder was seen in /proc").toBeGreaterThan(0);
    // The target vmctld made is handed over open, as /dev/fd/3.
    expect(converts[0]!.argv).toEqual(expect.arrayContaining(["-n", "--target-is-zero", "-f", "raw", "-O", "qcow2", "/dev/fd/3"]));
    expect(converts[0]!.fd3).toBe(join(local, "sbx-ova/vmdisk1.qcow2"));
    // Every qemu-img that read the package (the size read, info, included when caught) ran as the QEMU user.
    for (const sighting of seen) {
      expect(sighting.uid, sighting.argv.join(" ")).toEqual([String(qemuUid), String(qemuUid), String(qemuUid), String(qemuUid)]);
      expect(sighting.gid).toEqual([String(qemuGid), String(qemuGid), String(qemuGid), String(qemuGid)]);
      expect(sighting).toMatchObject({ capEff: "0000000000000000", capBnd: "0000000000000000", noNewPrivs: "1" });
      expect(sighting.env.map((v) => v.split("=")[0]).sort()).toEqual(["LC_ALL", "PATH"]);
      expect(sighting.env.some((v) => v.startsWith("VMCTL_"))).toBe(false);
    }

    const target = join(local, "sbx-ova/vmdisk1.qcow2");
    const compare = await run("qemu-img", ["compare", "-f", "raw", "-F", "qcow2", disk, target]);
    expect(compare.stdout).toContain("Images are identical");
    expect((await run("qemu-img", ["info", "-f", "qcow2", target])).stdout).toMatch(/lazy refcounts: true/);
    // docs/security.md: a VM's folder is root's with group vmctl-qemu, traverse only; an unstarted VM's disk is root's 0600.
    expect(owner(join(local, "sbx-ova"))).toEqual({ uid: 0, gid: qemuGid, mode: "710" });
    expect(owner(target)).toEqual({ uid: 0, gid: 0, mode: "600" });
    expect(readdirSync(local).filter((name) => name.startsWith(".import-"))).toEqual([]);
  });

  it("a libvirt domain's private datastore disk and CD-ROM are lent to the QEMU user only for the convert: both keep root:root 0600", async () => {
    const dir = join(local, "lv-private");
    mkdirSync(dir);
    const disk = join(dir, "db.qcow2");
    const iso = join(dir, "tools.iso");
    await run("qemu-img", ["create", "-q", "-f", "qcow2", disk, "16M"]);
    await run("qemu-io", ["-f", "qcow2", "-c", "write -P 0x6b 1M 3M", disk]);
    patternFile(iso, 2 * MIB);
    writeFileSync(join(dir, "db.xml"), libvirtDomain("sbx-lv", 262144, [{ file: disk, type: "qcow2", target: "vda", bus: "virtio" }, { file: iso, type: "raw", device: "cdrom", target: "sda", bus: "sata" }]));
    // As files uploaded through the datastore browser are: root's, private to it.
    for (const file of [disk, iso]) chmodSync(file, 0o600);
    const before = [owner(disk), owner(iso)];
    expect(before).toEqual([{ uid: 0, gid: 0, mode: "600" }, { uid: 0, gid: 0, mode: "600" }]);

    const answer = await call("POST", "/api/v1/import", { type: "application/json", data: JSON.stringify({ datastore: "local", path: "lv-private/db.xml" }) });
    expect(answer.status, answer.text).toBe(202);
    const task = await host.client.waitTask(answer.json().id!);
    expect(task.state, JSON.stringify(task.error)).toBe("success");

    expect([owner(disk), owner(iso)]).toEqual(before);
    const imported = join(local, "sbx-lv");
    expect((await run("qemu-img", ["compare", "-f", "qcow2", "-F", "qcow2", disk, join(imported, "vda.qcow2")])).stdout).toContain("Images are identical");
    expect(readFileSync(join(imported, "sda.iso")).equals(readFileSync(iso))).toBe(true);
    expect(owner(join(imported, "vda.qcow2"))).toEqual({ uid: 0, gid: 0, mode: "600" });
    expect(owner(join(imported, "sda.iso"))).toEqual({ uid: 0, gid: 0, mode: "600" });
    // The QEMU user (an escaped guest, simulated) can read neither the sources nor the copies now.
    for (const file of [disk, iso, join(imported, "vda.qcow2")]) {
      const denied = await run("setpriv", [`--reuid=${qemuUid}`, `--regid=${qemuGid}`, "--init-groups", "--", "head", "-c", "1", file]).then(() => "read", (error: { stderr: string }) => error.stderr);
      expect(denied, file).toMatch(/Permission denied/);
    }
  });

  it("a package behind a folder the QEMU user cannot pass is refused before the task, naming the folder and the fix; nothing is made or changed", async () => {
    const dir = join(local, "lv-locked");
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o700);
    const disk = join(dir, "app.qcow2");
    await run("qemu-img", ["create", "-q", "-f", "qcow2", disk, "4M"]);
    writeFileSync(join(dir, "app.xml"), libvirtDomain("sbx-locked", 131072, [{ file: disk, type: "qcow2", target: "vda", bus: "virtio" }]));
    const diskBefore = owner(disk);
    const answer = await call("POST", "/api/v1/import", { type: "application/json", data: JSON.stringify({ datastore: "local", path: "lv-locked/app.xml" }) });
    expect(answer.status, answer.text).toBe(500);
    expect(answer.json().error).toMatchObject({
      code: "qemu_failed",
      message: `disk "${disk}": qemu-img converts imported disks as the unprivileged user "vmctl-qemu", which cannot reach "${disk}": the folder "${dir}" (mode 0700, owner uid 0) does not let it pass. ` +
        `Keep datastores out of private folders (e.g. under /srv/vmstore), or let that user traverse it: \`chgrp vmctl-qemu ${dir} && chmod g+x ${dir}\``,
      details: { path: disk, folder: dir },
    });
    expect(existsSync(join(local, "sbx-locked"))).toBe(false);
    expect((await call("GET", "/api/v1/vms/sbx-locked")).status).toBe(404);
    expect(owner(dir)).toEqual({ uid: 0, gid: 0, mode: "700" });
    expect(owner(disk)).toEqual(diskBefore);
    expect((await audited("POST /api/v1/import"))[0]).toMatchObject({ result: "refused", status: 500 });
  });
});
