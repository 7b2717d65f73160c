// Class 1 of the attack review: a disk image may make qemu-img or QEMU read other files (a VMDK
// extent, a qcow2 backing file, a sparse header hiding a descriptor). Each attack is performed as a
// user with only VM rights, over real HTTPS: the import, attach or start is refused naming the file
// and the reason, the audit log records the refusal, and nothing of the host file lands anywhere.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { TestHost, guestDefinition } from "./harness.js";
import { packOva, vmwareOvf, libvirtDomain } from "./ova-support.js";
import { https, type Answer } from "./https-support.js";

const run = promisify(execFile);
const QCOW2_FORMAT = "http://www.gnome.org/~markmc/qcow-image-format.html";
const RAW_FORMAT = "http://en.wikipedia.org/wiki/Byte";
let host: TestHost;
let token: string;
let local: string;
let work: string;

/** A request over HTTPS as the attacker (a bearer token), with a body of any type. */
const call = (method: string, path: string, body?: { type: string; data: Buffer | string }, headers: Record<string, string> = {}): Promise<Answer> =>
  https(host.port, method, path, { token, headers, ...(body ? { rawBody: body.data, type: body.type } : {}) });

const json = (value: unknown) => ({ type: "application/json", data: JSON.stringify(value) });

/** The audit entries of the attacker for one action, newest first. */
async function audited(action: string): Promise<Array<{ action: string; result: string; status: number; target: string | null }>> {
  const { entries } = await host.client.call<{ entries: Array<{ user: string; action: string; result: string; status: number; target: string | null }> }>("GET", "/api/v1/audit?limit=1000");
  // A token's principal is named "mallory (token mallory-token)".
  return entries.filter((e) => e.action === action && e.user.startsWith("mallory"));
}

/** Every file under the datastore (names and sizes), to show that a refusal changed nothing. */
function listing(dir = local, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listing(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}:${statSync(join(dir, e.name)).size}`])).sort();
}

/** A VMDK4 header with no capacity whose sector 1 holds a descriptor: QEMU parses that descriptor's extents. */
function disguisedSparse(descriptor: string): Buffer {
  const image = Buffer.alloc(512 + 4096);
  image.write("KDMV", 0, "latin1");
  image.writeUInt32LE(1, 4);
  image.writeBigUInt64LE(1n, 28);
  image.writeBigUInt64LE(8n, 36);
  image.write(descriptor, 512, "latin1");
  return image;
}

const flatDescriptor = (extent: string) => `# Disk DescriptorFile
version=1
CID=fffffffe
parentCID=ffffffff
createType="monolithicFlat"

RW 2048 FLAT "${extent}" 0

ddb.virtualHWVersion = "4"
ddb.geometry.cylinders = "2"
ddb.geometry.heads = "16"
ddb.geometry.sectors = "63"
ddb.adapterType = "lsilogic"
`;

/** Uploads an OVA whose only disk is `file` (written into a fresh folder) as the attacker. */
async function uploadOva(name: string, diskName: string, disk: Buffer | (() => Promise<void>), format?: string): Promise<Answer> {
  const dir = join(work, name);
  mkdirSync(dir);
  const diskPath = join(dir, diskName);
  if (Buffer.isBuffer(disk)) writeFileSync(diskPath, disk);
  else await disk.call(null);
  const ova = join(work, `${name}.ova`);
  await packOva(ova, dir, name, vmwareOvf(diskName, statSync(diskPath).size, 1, format), [diskPath]);
  return call("POST", `/api/v1/import?name=${name}`, { type: "application/x-tar", data: readFileSync(ova) });
}

beforeAll(async () => {
  host = await TestHost.start();
  local = join(host.home, "datastores/local");
  work = join(host.home, "work");
  mkdirSync(work);
  // An importer: may create, edit and start VMs and write datastore files (so that rights are not
  // what stops the attacks below: the images are), nothing about users or the host.
  await host.client.call("POST", "/api/v1/roles", { name: "Importer", privileges: ["host.read", "vm.read", "vm.create", "vm.edit", "vm.power", "task.read", "datastore.read", "datastore.write"] });
  await host.client.call("POST", "/api/v1/users", { username: "mallory", password: "mallory-password", role: "Importer" });
  token = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "mallory-token", role: "Importer", expires: null, user: "mallory" })).token;
  // Files planted in the datastore (as the attacker could upload them) that read host files.
  mkdirSync(join(local, "evil"));
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "/etc/shadow", "-F", "raw", join(local, "evil/shadow.qcow2"), "1M"]);
}, 120_000);
afterAll(async () => { await host?.close(); });

describe("a disk image reads only files where its user may read", () => {
  it("an OVA whose disk names a host file (VMDK extent, hidden descriptor, qcow2 backing file, mislabelled raw) is refused, leaving nothing", async () => {
    const before = listing();
    const key = join(host.home, "tls/key.pem");
    // From the staging folder (datastores/local/.import-…/) up to the home: "../../../tls/key.pem".
    const cases: Array<{ name: string; disk: string; make: Buffer | (() => Promise<void>); format?: string; expect: RegExp }> = [
      { name: "atk-extent", disk: "evil.vmdk", make: Buffer.from(flatDescriptor("/etc/shadow")), expect: /^disk "evil\.vmdk" refers to "\/etc\/shadow" \(a VMDK extent\), outside the package: an imported disk may only read files of its package$/ },
      { name: "atk-tlskey", disk: "key.vmdk", make: Buffer.from(flatDescriptor("../../../tls/key.pem")), expect: new RegExp(`^disk "key\\.vmdk" refers to "\\.\\./\\.\\./\\.\\./tls/key\\.pem" \\(a VMDK extent, resolving to "${key}"\\), outside the package`) },
      { name: "atk-sparse", disk: "sparse.vmdk", make: disguisedSparse(flatDescriptor("/etc/shadow")), expect: /^disk "sparse\.vmdk" refers to "\/etc\/shadow" \(a VMDK extent\), outside the package/ },
      { name: "atk-backing", disk: "backed.qcow2", format: QCOW2_FORMAT, expect: new RegExp(`^disk "backed\\.qcow2" refers to "${key}" \\(a backing file\\), outside the package`),
        make: () => run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", key, "-F", "raw", join(work, "atk-backing/backed.qcow2"), "1M"]).then(() => {}) },
      { name: "atk-mislabel", disk: "plain.img", format: RAW_FORMAT, expect: /^disk "plain\.img" is declared raw but its content is a qcow2 image/,
        make: () => run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "/etc/shadow", "-F", "raw", join(work, "atk-mislabel/plain.img"), "1M"]).then(() => {}) },
    ];
    for (const attack of cases) {
      const answer = await uploadOva(attack.name, attack.disk, attack.make, attack.format);
      expect(answer.status, `${attack.name}: ${answer.body}`).toBe(400);
      expect(answer.json().error!.code).toBe("image_unsafe");
      expect(answer.json().error!.message).toMatch(attack.expect);
      expect((await call("GET", `/api/v1/vms/${attack.name}`)).status).toBe(404);
    }
    // No VM folder, no disk, no staging folder: the datastore is as it was.
    expect(listing()).toEqual(before);
    const refusals = await audited("POST /api/v1/import");
    expect(refusals.slice(0, cases.length).map((e) => [e.result, e.status])).toEqual(cases.map(() => ["refused", 400]));
  });

  it("an OVF folder in a datastore may read only its own files: a flat extent beside it imports, one in another folder is refused", async () => {
    const flatFormat = "http://www.vmware.com/interfaces/specifications/vmdk.html#monolithicFlat";
    mkdirSync(join(local, "pkg"));
    mkdirSync(join(local, "other-vm"));
    writeFileSync(join(local, "other-vm/secret.raw"), Buffer.alloc(1024 ** 2, 0x42));
    writeFileSync(join(local, "pkg/disk-flat.vmdk"), Buffer.alloc(1024 ** 2, 0x17));
    writeFileSync(join(local, "pkg/good.vmdk"), flatDescriptor("disk-flat.vmdk"));
    writeFileSync(join(local, "pkg/good.ovf"), vmwareOvf("good.vmdk", statSync(join(local, "pkg/good.vmdk")).size, 1, flatFormat));
    const good = await call("POST", "/api/v1/import", json({ datastore: "local", path: "pkg/good.ovf", name: "atk-ovf-good" }));
    expect(good.status, good.body).toBe(202);
    const task = await host.client.waitTask(good.json().id!);
    expect(task.state, JSON.stringify(task.error)).toBe("success");
    const compare = await run("qemu-img", ["compare", "-f", "vmdk", "-F", "qcow2", join(local, "pkg/good.vmdk"), join(local, "atk-ovf-good/vmdisk1.qcow2")]);
    expect(compare.stdout).toContain("Images are identical");

    mkdirSync(join(local, "pkg-evil"));
    writeFileSync(join(local, "pkg-evil/evil.vmdk"), flatDescriptor("../other-vm/secret.raw"));
    writeFileSync(join(local, "pkg-evil/evil.ovf"), vmwareOvf("evil.vmdk", statSync(join(local, "pkg-evil/evil.vmdk")).size, 1, flatFormat));
    const before = listing();
    const evil = await call("POST", "/api/v1/import", json({ datastore: "local", path: "pkg-evil/evil.ovf", name: "atk-ovf-evil" }));
    expect(evil.status, evil.body).toBe(400);
    expect(evil.json().error).toMatchObject({ code: "image_unsafe", message: `disk "evil.vmdk" refers to "../other-vm/secret.raw" (a VMDK extent, resolving to "${join(local, "other-vm/secret.raw")}"), outside the package: an imported disk may only read files of its package` });
    expect((await call("GET", "/api/v1/vms/atk-ovf-evil")).status).toBe(404);
    expect(listing()).toEqual(before);
    expect((await audited("POST /api/v1/import"))[0]).toMatchObject({ result: "refused", status: 400 });
  });

  it("a libvirt domain whose disk (in a datastore) is backed by a host file outside every datastore is refused", async () => {
    mkdirSync(join(local, "lv"));
    const disk = join(local, "lv/web.qcow2");
    await run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", join(host.home, "vmctld.toml"), "-F", "raw", disk, "1M"]);
    writeFileSync(join(local, "lv/web.xml"), libvirtDomain("atk-libvirt", 262144, [{ file: disk, type: "qcow2", target: "vda", bus: "virtio" }]));
    const before = listing();
    const answer = await call("POST", "/api/v1/import", json({ datastore: "local", path: "lv/web.xml" }));
    expect(answer.status, answer.body).toBe(400);
    expect(answer.json().error).toMatchObject({ code: "image_unsafe", message: `disk "${disk}" refers to "${join(host.home, "vmctld.toml")}" (a backing file), outside every datastore: a disk imported from a libvirt domain may only read files in a datastore` });
    expect((await call("GET", "/api/v1/vms/atk-libvirt")).status).toBe(404);
    expect(listing()).toEqual(before);
    expect((await audited("POST /api/v1/import"))[0]).toMatchObject({ result: "refused", status: 400 });
  });

  it("attaching a datastore file that is a qcow2 backed by /etc/shadow is refused, the definition unchanged", async () => {
    await host.client.createVm(guestDefinition("atk-attach"));
    const before = await call("GET", "/api/v1/vms/atk-attach/definition");
    const answer = await call("POST", "/api/v1/vms/atk-attach/disks", json({ file: "evil/shadow.qcow2", format: "qcow2" }));
    expect(answer.status, answer.body).toBe(400);
    expect(answer.json().error).toMatchObject({ code: "image_unsafe", message: 'disk "evil/shadow.qcow2" refers to "/etc/shadow" (a backing file), outside every datastore: a disk may only read files in a datastore' });
    expect((await call("GET", "/api/v1/vms/atk-attach/definition")).body).toBe(before.body);
    expect((await audited("POST /api/v1/vms/:name/disks"))[0]).toMatchObject({ target: "atk-attach", result: "refused", status: 400 });
  });

  it("a definition whose disk is such a qcow2 (PUT by hand) does not start: the start names the file, QEMU never runs", async () => {
    await host.client.createVm(guestDefinition("atk-start"));
    const current = await call("GET", "/api/v1/vms/atk-start/definition");
    const toml = `${current.body}\n[disks.stolen]\nfile = "evil/shadow.qcow2"\nformat = "qcow2"\n`;
    const put = await call("PUT", "/api/v1/vms/atk-start/definition", { type: "application/toml", data: toml });
    expect(put.status, put.body).toBe(200);
    const start = await call("POST", "/api/v1/vms/atk-start/power", json({ action: "start" }));
    expect(start.status, start.body).toBe(202);
    const task = await host.client.waitTask(start.json().id!);
    expect(task.state).toBe("error");
    expect(task.error).toMatchObject({ code: "image_unsafe", message: 'disks.stolen.file "evil/shadow.qcow2" refers to "/etc/shadow" (a backing file), outside every datastore: a disk may only read files in a datastore' });
    expect(await host.client.getVm("atk-start")).toMatchObject({ state: "stopped" });
    // No QEMU of this VM exists, nor ever wrote its run folder's pid file.
    const qemus = readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((pid) => {
      try { return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("guest=atk-start,"); } catch { return false; }
    });
    expect(qemus).toEqual([]);
    expect(task.log.join("\n")).not.toMatch(/accelerator:/);
  });

  it("a plain stream-optimized VMDK made by qemu-img still imports (the same path, the same user)", async () => {
    const answer = await uploadOva("atk-good", "good.vmdk", async () => {
      await run("qemu-img", ["create", "-q", "-f", "raw", join(work, "atk-good/good.img"), "1M"]);
      await run("qemu-io", ["-f", "raw", "-c", "write -P 0x5a 0 64k", join(work, "atk-good/good.img")]);
      await run("qemu-img", ["convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", join(work, "atk-good/good.img"), join(work, "atk-good/good.vmdk")]);
    });
    expect(answer.status, answer.body).toBe(202);
    const task = await host.client.waitTask(answer.json().id!);
    expect(task.state, JSON.stringify(task.error)).toBe("success");
    const compare = await run("qemu-img", ["compare", "-f", "raw", "-F", "qcow2", join(work, "atk-good/good.img"), join(local, "atk-good/vmdisk1.qcow2")]);
    expect(compare.stdout).toContain("Images are identical");
  });
});
