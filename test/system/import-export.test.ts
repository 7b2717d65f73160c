// Import and export as a user lives them: an OVA built by hand the way VMware writes one (OVF 1.0
// descriptor, stream-optimized VMDK, SHA-256 manifest) imports and boots; a VM exported as an OVA
// imports back the same; hostile OVAs (a member climbing out, an XML entity) are refused and leave
// nothing behind.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { createReadStream, createWriteStream, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { inject } from "vitest";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";
import type { Task } from "../../packages/api-types/src/index.js";
import { rawTar } from "../../packages/ovf/src/raw-tar.test-support.js";
import { sha256, vmwareOvf } from "./ova-support.js";

const run = promisify(execFile);
let host: TestHost;
let work: string;
beforeAll(async () => {
  host = await TestHost.start();
  work = join(host.home, "work");
  mkdirSync(work);
});
afterAll(async () => { await host?.close(); });

/** Streams a file to vmctld as the body of POST /api/v1/import, as `curl --data-binary @file` would. */
function uploadOva(file: string, query = ""): Promise<{ status: number; body: { error?: { code: string; message: string } } & Partial<Task> }> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath: join(host.home, "vmctld.sock"), method: "POST", path: `/api/v1/import${query}`,
      headers: { "content-type": "application/x-tar", "content-length": String(statSync(file).size) },
    }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => { text += chunk.toString(); });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    createReadStream(file).pipe(req);
  });
}

function download(path: string, file: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(host.home, "vmctld.sock"), method: "GET", path }, (res) => {
      pipeline(res, createWriteStream(file)).then(() => resolve({ status: res.statusCode ?? 0, headers: res.headers }), reject);
    });
    req.on("error", reject);
    req.end();
  });
}

async function finished(id: string): Promise<Task> {
  const done = await host.client.waitTask(id);
  if (done.state !== "success") throw new Error(`task ${done.op} ended ${done.state}: ${JSON.stringify(done.error)}\n${done.log.join("\n")}`);
  return done;
}


describe("import and export", () => {
  it("imports an OVA made the way VMware makes one, and the VM boots from its disk", async () => {
    const dir = join(work, "vmware");
    mkdirSync(dir);
    const vmdk = join(dir, "appliance-disk1.vmdk");
    await run("qemu-img", ["convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", join(inject("guest").dir, "disk.img"), vmdk]);
    writeFileSync(join(dir, "appliance.ovf"), vmwareOvf("appliance-disk1.vmdk", statSync(vmdk).size, 64));
    writeFileSync(join(dir, "appliance.mf"), `SHA256(appliance.ovf)= ${sha256(join(dir, "appliance.ovf"))}\nSHA256(appliance-disk1.vmdk)= ${sha256(vmdk)}\n`);
    const ova = join(work, "appliance.ova");
    await run("tar", ["-cf", ova, "--format=ustar", "-C", dir, "appliance.ovf", "appliance.mf", "appliance-disk1.vmdk"]);

    const answer = await uploadOva(ova, "?name=appliance");
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const task = await finished(answer.body.id!);
    expect(task.op).toBe("vm.import");
    const vm = await host.client.getVm("appliance");
    expect(vm).toMatchObject({ state: "stopped", cpus: 1, memoryBytes: 256 * 1024 ** 2 });
    const def = vm.definition as { disks: Record<string, { bus: string; format: string }>; nics: Record<string, { model: string }> };
    // VMware's LSI Logic SCSI disk comes over on SATA, which every guest can boot from.
    expect(Object.values(def.disks)).toEqual([expect.objectContaining({ bus: "sata", format: "qcow2" })]);
    expect(Object.values(def.nics)).toEqual([expect.objectContaining({ model: "virtio" })]);
    // Nothing of the upload is left beside the VM.
    expect(readdirSync(join(host.home, "datastores/local")).filter((f) => f.startsWith("."))).toEqual([]);

    await finished((await host.client.power("appliance", { action: "start" })).id);
    const console = await ConsoleReader.open(host.client, "appliance");
    await console.waitFor(GUEST_READY_LINE, 90_000);
    console.close();
    await finished((await host.client.power("appliance", { action: "stop", force: true })).id);
  });

  it("exports a VM as an OVA (descriptor first, manifest, VMDK) that imports back the same", async () => {
    await host.client.createVm(guestDefinition("rt-src", { cpus: 2, disks: { disk0: { file: "rt-src/disk0.qcow2", size: "32MiB" } }, nics: { net0: {} }, policy: { on_crash: "restart" } }));
    const source = join(host.home, "datastores/local/rt-src/disk0.qcow2");
    await run("qemu-io", ["-f", "qcow2", "-c", "write -P 0x3c 4M 2M", source]);
    const ova = join(work, "rt-src.ova");
    const got = await download("/api/v1/vms/rt-src/export", ova);
    expect(got.status).toBe(200);
    expect(got.headers["content-disposition"]).toContain("rt-src.ova");
    const members = (await run("tar", ["-tf", ova])).stdout.trim().split("\n");
    expect(members).toEqual(["rt-src.ovf", "rt-src.mf", "rt-src-disk0.vmdk"]);
    // Read at once, without ?wait=: vmctld records the task's success before it sends the last byte.
    const exportTask = await host.client.getTask(String(got.headers["x-vmctl-task"]));
    expect(exportTask).toMatchObject({ op: "vm.export", state: "success" });

    const answer = await uploadOva(ova, "?name=rt-copy");
    expect(answer.status).toBe(202);
    await finished(answer.body.id!);
    const [a, b] = await Promise.all([host.client.getVm("rt-src"), host.client.getVm("rt-copy")]);
    type Def = { cpus: number; memory: string; boot: { kernel: string; cmdline: string }; policy: { on_crash: string }; nics: Record<string, { mac: string }> };
    const [da, db] = [a.definition as Def, b.definition as Def];
    expect(db).toMatchObject({ cpus: 2, memory: da.memory, boot: da.boot, policy: { on_crash: "restart" } });
    expect(db.nics.net0!.mac).not.toBe(da.nics.net0!.mac);
    const compare = await run("qemu-img", ["compare", source, join(host.home, "datastores/local/rt-copy/disk0.qcow2")]);
    expect(compare.stdout).toContain("Images are identical");
  });

  it("refuses an OVA with a member climbing out of its folder, or an XML entity, and writes nothing", async () => {
    const local = join(host.home, "datastores/local");
    const before = readdirSync(local).sort();
    const ovf = vmwareOvf("d.vmdk", 4, 1);
    const traversal = join(work, "traversal.ova");
    writeFileSync(traversal, rawTar([{ name: "evil.ovf", body: ovf }, { name: "../../../escaped-by-ova", body: "owned" }]));
    const refused = await uploadOva(traversal);
    expect(refused.status).toBe(400);
    expect(refused.body.error!.message).toMatch(/\.\./);

    const entity = join(work, "entity.ova");
    const evil = ovf.replace("<Envelope", '<!DOCTYPE Envelope [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n<Envelope').replace("<Name>Appliance From VMware</Name>", "<Name>&secret;</Name>");
    writeFileSync(entity, rawTar([{ name: "evil.ovf", body: evil }, { name: "d.vmdk", body: "xxxx" }]));
    const refusedXml = await uploadOva(entity);
    expect(refusedXml.status).toBe(400);
    expect(refusedXml.body.error!.message).toMatch(/DOCTYPE|ENTITY/);

    expect(readdirSync(local).sort()).toEqual(before);
    expect(existsSync(join(host.home, "escaped-by-ova"))).toBe(false);
    expect(existsSync(join(local, "..", "escaped-by-ova"))).toBe(false);
    expect((await host.client.listVms()).map((v) => v.name)).not.toContain("appliance-from-vmware");
  });

  it("the CLI exports a VM to a file and imports it back, from the file or from a datastore", async () => {
    const file = join(work, "cli.ova");
    const exported = await host.cli(["export", "rt-src", "-o", file]);
    expect(exported).toMatchObject({ code: 0, stdout: `exported rt-src to ${file}\n` });
    const again = await host.cli(["export", "rt-src", "-o", file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
    const imported = await host.cli(["import", file, "--name", "rt-cli", "--json"]);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ op: "vm.import", state: "success", target: "vm/rt-cli" });
    const local = join(host.home, "datastores/local");
    mkdirSync(join(local, "uploads"), { recursive: true });
    writeFileSync(join(local, "uploads/rt.ova"), readFileSync(file));
    const fromDatastore = await host.cli(["import", "local:uploads/rt.ova", "--name", "rt-ds"]);
    expect(fromDatastore).toMatchObject({ code: 0, stdout: "imported rt-ds\n" });
    const missing = await host.cli(["import", "local:uploads/none.ova"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("does not exist");
    const running = await host.cli(["export", "ghost"]);
    expect(running.stderr).toContain('no VM named "ghost"');
  });

  it("imports a libvirt domain whose disk and kernel lie in datastores, and it boots; a domain naming a host file is refused", async () => {
    const local = join(host.home, "datastores/local");
    mkdirSync(join(local, "libvirt"), { recursive: true });
    const disk = join(local, "libvirt/web02.qcow2");
    await run("qemu-img", ["create", "-q", "-f", "qcow2", disk, "32M"]);
    await run("qemu-io", ["-f", "qcow2", "-c", "write -P 0x77 0 1M", disk]);
    const guest = inject("guest");
    const domain = (source: string) => `<domain type='kvm'>
  <name>Web 02</name>
  <memory unit='KiB'>262144</memory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <kernel>${guest.kernel}</kernel>
    <initrd>${guest.initrd}</initrd>
    <cmdline>${guest.cmdline}</cmdline>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${source}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:0a:0b:0c'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
`;
    writeFileSync(join(local, "libvirt/web02.xml"), domain(disk));
    const task = await host.client.importFromDatastore({ datastore: "local", path: "libvirt/web02.xml" });
    await finished(task.id);
    const vm = await host.client.getVm("web-02");
    expect(vm.definition).toMatchObject({ cpus: 1, memoryBytes: 256 * 1024 ** 2, disks: { vda: { bus: "virtio", file: "web-02/vda.qcow2" } }, nics: { net0: { mac: "52:54:00:0a:0b:0c" } } });
    const compare = await run("qemu-img", ["compare", disk, join(local, "web-02/vda.qcow2")]);
    expect(compare.stdout).toContain("Images are identical");
    await finished((await host.client.power("web-02", { action: "start" })).id);
    const console = await ConsoleReader.open(host.client, "web-02");
    await console.waitFor(GUEST_READY_LINE);
    expect(await console.run("echo vda=$(cat /sys/block/vda/size)")).toContain("vda=65536");
    console.close();
    await finished((await host.client.power("web-02", { action: "stop", force: true })).id);

    writeFileSync(join(local, "libvirt/thief.xml"), domain("/etc/shadow").replace("Web 02", "thief"));
    const refused = await host.client.raw("POST", "/api/v1/import", { type: "application/json", text: JSON.stringify({ datastore: "local", path: "libvirt/thief.xml" }) });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text).error).toMatchObject({ code: "path_outside_datastore", message: expect.stringContaining("/etc/shadow") });
    expect(existsSync(join(local, "thief"))).toBe(false);
  });

  it("removes the staging folders of an import and an export cut off by a vmctld crash, at the next start", async () => {
    const local = join(host.home, "datastores/local");
    mkdirSync(join(local, ".import-crashed"));
    writeFileSync(join(local, ".import-crashed/half.vmdk"), "partial");
    mkdirSync(join(local, "rt-src/.export-crashed"));
    await host.killDaemon();
    await host.startDaemon();
    expect(existsSync(join(local, ".import-crashed"))).toBe(false);
    expect(existsSync(join(local, "rt-src/.export-crashed"))).toBe(false);
    expect(existsSync(join(local, "rt-src/rt-src.toml"))).toBe(true);
  });
});
