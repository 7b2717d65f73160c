// Attacks on per-VM grants, over real HTTPS: "eve" may operate and edit VM "mine" only; she tries
// to give her VM the disk, memory file or kernel path of VM "theirs" through every route that names
// a file, to list and browse what is not hers, and to inherit "mine" after it is destroyed and made
// again. "rob" (ReadOnly at host scope) lists everything but may not download a VM's disk or memory.
// Each refusal names the file and the privilege, is audited, and leaves the definition untouched.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UUID_PATTERN } from "@vmctl/api-types";
import { TestHost } from "./harness.js";
import { https, login, type Answer, type Credentials } from "./https-support.js";
import { vmwareOvf } from "./ova-support.js";

let host: TestHost;
let eve: { cookie: string; csrf: string };
const tokens: Record<string, string> = {};
const SECRET = "memory of theirs: the root password is hunter2\n";

/** A request as `who`: a JSON body, or a string or bytes sent as they are with their content type. */
const call = (method: string, path: string, who: Credentials, body?: unknown, type = "application/json"): Promise<Answer> =>
  https(host.port, method, path, { ...who, ...(body === undefined ? {} : { rawBody: Buffer.isBuffer(body) || typeof body === "string" ? body : JSON.stringify(body), type }) });

const local = (path = "") => join(host.home, "datastores", "local", path);
const asEve = (): Credentials => eve;
const rob = (): Credentials => ({ token: tokens.rob! });
const boss = (): Credentials => ({ token: tokens.boss! });

interface AuditEntry { user: string; action: string; target: string | null; result: string; status: number }
const audit = async () => (await host.client.call<{ entries: AuditEntry[] }>("GET", "/api/v1/audit?limit=500")).entries;
const refusals = async (user: string, action: string, status = 403) => (await audit()).filter((e) => e.user === user && e.action === action && e.status === status && e.result === "refused").length;
/** The task an answer (202) started, once it has ended. */
const ended = async (answer: Answer) => host.client.call<{ state: string; error: { message: string } | null }>("GET", `/api/v1/tasks/${answer.json().id as string}?wait=60`);

const small = (name: string) => ({ name, memory: "64MiB", disks: { disk0: { file: `${name}/disk0.qcow2`, size: "1MiB" } }, cdroms: { cd0: {} } });

beforeAll(async () => {
  host = await TestHost.start();
  await host.client.createVm(small("mine"));
  await host.client.createVm(small("theirs"));
  writeFileSync(local("theirs/theirs.vmstate"), SECRET);
  mkdirSync(local("iso"));
  writeFileSync(local("iso/tools.iso"), "an ISO anyone may insert\n");
  mkdirSync(local("shared"));
  writeFileSync(local("shared/blank.img"), Buffer.alloc(1024 * 1024));
  const operator = (await host.client.call<{ roles: Array<{ name: string; privileges: string[] }> }>("GET", "/api/v1/roles")).roles.find((r) => r.name === "Operator")!.privileges;
  await host.client.call("POST", "/api/v1/roles", { name: "OperatorEdit", privileges: [...operator, "vm.edit"] });
  await host.client.call("POST", "/api/v1/roles", { name: "Browser", privileges: ["datastore.read", "token.own"] });
  await host.client.call("POST", "/api/v1/users", { username: "eve", password: "eve-password", role: "Browser" });
  await host.client.call("PUT", "/api/v1/users/eve/grants/mine", { role: "OperatorEdit" });
  await host.client.call("POST", "/api/v1/roles", { name: "Creator", privileges: ["host.read", "vm.read", "vm.create", "task.read", "datastore.read", "token.own"] });
  for (const [user, role] of [["rob", "ReadOnly"], ["boss", "Admin"], ["cara", "Creator"]] as const) {
    await host.client.call("POST", "/api/v1/users", { username: user, password: `${user}-password`, role });
    tokens[user] = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: `${user}-token`, role, expires: null, user })).token;
  }
  // A browser session (cookie and CSRF token): grants apply to it whole, where a token is cut to its role.
  eve = await login(host.port, "eve", "eve-password");
});
/** Datastores added by a test: removed once vmctld is gone (later tests still list them). */
const extraDirs: string[] = [];
afterAll(async () => {
  await host?.close();
  for (const dir of extraDirs) rmSync(dir, { recursive: true, force: true });
});

describe("a vm.edit grant on one VM reaches no other VM's files", () => {
  it("every route that names a file refuses theirs/disk0.qcow2 (and its memory file as a kernel), naming the file and the right; the definition stays byte-identical; each attempt is audited", async () => {
    const before = readFileSync(local("mine/mine.toml"));
    const withStolen = { ...small("mine"), disks: { ...small("mine").disks, stolen: { file: "theirs/disk0.qcow2", readonly: true } } };
    const attempts: Array<[string, string, unknown, string?, string?]> = [
      ["POST", "/api/v1/vms/mine/disks", { file: "theirs/disk0.qcow2", readonly: true }],
      ["PUT", "/api/v1/vms/mine/definition", `name = "mine"\nmemory = "64MiB"\n[disks.disk0]\nfile = "mine/disk0.qcow2"\n[disks.stolen]\nfile = "theirs/disk0.qcow2"\n`, "application/toml"],
      ["PUT", "/api/v1/vms/mine", withStolen],
      ["PATCH", "/api/v1/vms/mine", { disks: { stolen: { file: "theirs/disk0.qcow2", readonly: true } } }],
      ["PUT", "/api/v1/vms/mine/cdroms/cd0/media", { iso: "theirs/disk0.qcow2" }],
      ["PATCH", "/api/v1/vms/mine", { boot: { kernel: "theirs/theirs.vmstate" } }, undefined, "theirs/theirs.vmstate"],
    ];
    for (const [method, path, body, type, file] of attempts) {
      const answer = await call(method, path, asEve(), body, type);
      expect(answer.status, `${method} ${path}`).toBe(403);
      const error = answer.json().error;
      expect(error.code).toBe("forbidden");
      expect(error.message).toContain(`"${file ?? "theirs/disk0.qcow2"}"`);
      expect(error.message).toContain('"vm.edit" on VM "theirs"');
      expect(error.details).toMatchObject({ privilege: "vm.edit", vm: "theirs" });
    }
    expect(readFileSync(local("mine/mine.toml")).equals(before)).toBe(true);
    const refused = (await audit()).filter((e) => e.user === "eve" && e.target === "mine" && e.result === "refused" && e.status === 403).map((e) => e.action);
    expect(refused).toEqual(expect.arrayContaining(["POST /api/v1/vms/:name/disks", "PUT /api/v1/vms/:name/definition", "PUT /api/v1/vms/:name", "PATCH /api/v1/vms/:name", "PUT /api/v1/vms/:name/cdroms/:id/media"]));
    expect(refused.filter((a) => a === "PATCH /api/v1/vms/:name")).toHaveLength(2);
  });

  it("a qcow2 in her own folder whose backing file is theirs' disk is refused, attached directly or by re-declaring a raw disk as qcow2", async () => {
    // As a user with datastore.write could upload it (or a guest write it into its raw disk).
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "../theirs/disk0.qcow2", "-F", "qcow2", local("mine/evil.qcow2")]);
    const before = readFileSync(local("mine/mine.toml"));
    const direct = await call("POST", "/api/v1/vms/mine/disks", asEve(), { file: "mine/evil.qcow2", readonly: true });
    expect(direct.status).toBe(403);
    expect(direct.json().error.message).toMatch(/"mine\/evil\.qcow2".*backing file "\.\.\/theirs\/disk0\.qcow2".*"vm\.edit" on VM "theirs"/);
    expect(readFileSync(local("mine/mine.toml")).equals(before)).toBe(true);

    copyFileSync(local("mine/evil.qcow2"), local("mine/data.img"));
    expect((await call("POST", "/api/v1/vms/mine/disks", asEve(), { id: "data", file: "mine/data.img", format: "raw" })).status).toBe(201);
    const declared = readFileSync(local("mine/mine.toml"));
    const reread = await call("PATCH", "/api/v1/vms/mine", asEve(), { disks: { data: { format: "qcow2" } } });
    expect(reread.status).toBe(403);
    expect(reread.json().error.message).toMatch(/disks\.data\.file.*backing file/);
    expect(readFileSync(local("mine/mine.toml")).equals(declared)).toBe(true);
    expect((await call("DELETE", "/api/v1/vms/mine/disks/data", asEve())).status).toBe(200);
  });

  it("shared media stays usable: an ISO inserts with datastore.read, a datastore file attached writable needs datastore.write, and an edit that adds no file needs nothing new", async () => {
    const writable = await call("POST", "/api/v1/vms/mine/disks", asEve(), { file: "shared/blank.img", format: "raw" });
    expect(writable.status).toBe(403);
    expect(writable.json().error.message).toMatch(/"shared\/blank\.img".*"datastore\.write"/);
    expect((await call("PUT", "/api/v1/vms/mine/cdroms/cd0/media", asEve(), { iso: "iso/tools.iso" })).status).toBe(200);
    expect((await call("PATCH", "/api/v1/vms/mine", asEve(), { cpus: 2 })).status).toBe(200);
    expect(readFileSync(local("mine/mine.toml"), "utf8")).toMatch(/cpus = 2[\s\S]*iso = "iso\/tools\.iso"/);
  });
});

describe("making a VM out of another VM's files needs rights on that VM", () => {
  it("a user who may create VMs but not edit theirs cannot define, clone, import or export one out of its disk", async () => {
    const cara: Credentials = { token: tokens.cara! };
    const attempts: Array<[string, string, unknown]> = [
      ["POST", "/api/v1/vms", { name: "copy", memory: "64MiB", disks: { disk0: { file: "theirs/disk0.qcow2", readonly: true } } }],
      ["POST", "/api/v1/vms/theirs/clone", { name: "copy" }],
      ["POST", "/api/v1/import", { datastore: "local", path: "theirs/theirs.vmstate", name: "copy" }],
      ["GET", "/api/v1/vms/theirs/export", undefined],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await call(method, path, cara, body);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.json().error.message).toMatch(/"theirs\/(disk0\.qcow2|theirs\.vmstate)".*"vm\.edit" on VM "theirs"/);
    }
    // A libvirt domain (put in the datastore by someone who may upload) naming theirs' disk by host path.
    writeFileSync(local("shared/copy.xml"), `<domain type='kvm'><name>copy</name><memory unit='KiB'>65536</memory><os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${local("theirs/disk0.qcow2")}'/><target dev='vda' bus='virtio'/></disk></devices></domain>\n`);
    const libvirt = await call("POST", "/api/v1/import", cara, { datastore: "local", path: "shared/copy.xml", name: "copy" });
    expect(libvirt.status).toBe(403);
    expect(libvirt.json().error.message).toMatch(/theirs\/disk0\.qcow2".*"vm\.edit" on VM "theirs"/);
    expect(existsSync(local("copy"))).toBe(false);
    expect((await host.client.listVms()).map((vm) => vm.name)).not.toContain("copy");
    const refused = (await audit()).filter((e) => e.user === "cara (token cara-token)" && e.status === 403).map((e) => e.action);
    expect(refused).toEqual(expect.arrayContaining(["POST /api/v1/vms", "POST /api/v1/vms/:name/clone", "POST /api/v1/import"]));
  });
});

describe("an OVA's own vmctl definition is held to the same rule", () => {
  it("an OVA whose vmctl section names theirs' disk as a CD-ROM is refused to a user without rights on theirs, before anything is made", async () => {
    // The lure: an OVA as vmctl exports it, whose definition section puts theirs' disk in a CD drive.
    await host.client.createVm({ name: "lure", memory: "64MiB", cdroms: { cd0: { iso: "theirs/disk0.qcow2" } } });
    const ova = await call("GET", "/api/v1/vms/lure/export", boss());
    expect(ova.status).toBe(200);
    await host.client.call("DELETE", "/api/v1/vms/lure");
    const before = (await host.client.listVms()).map((vm) => vm.name).sort();
    const answer = await call("POST", "/api/v1/import?name=lured", { token: tokens.cara! }, ova.bytes, "application/x-tar");
    expect(answer.status).toBe(403);
    expect(answer.json().error.message).toMatch(/cdroms\.cd0\.iso: .*"theirs\/disk0\.qcow2".*"vm\.edit" on VM "theirs"/);
    expect((await host.client.listVms()).map((vm) => vm.name).sort()).toEqual(before);
    expect(existsSync(local("lured"))).toBe(false);
    expect(readdirSync(local()).filter((f) => f.startsWith(".import-"))).toEqual([]);
    const refused = (await audit()).find((e) => e.user === "cara (token cara-token)" && e.action === "POST /api/v1/import" && e.status === 403);
    expect(refused?.result).toBe("refused");
    // The same OVA imported by the Admin, who may edit theirs, keeps its CD-ROM (the rule, not the OVA, refused it).
    const admin = await call("POST", "/api/v1/import?name=lured", boss(), ova.bytes, "application/x-tar");
    expect(admin.status).toBe(202);
    await host.client.call("GET", `/api/v1/tasks/${admin.json().id}?wait=60`);
    expect((await host.client.getVm("lured")).definition).toMatchObject({ cdroms: { cd0: { iso: "theirs/disk0.qcow2" } } });
    await host.client.call("DELETE", "/api/v1/vms/lured");
  });
});

describe("the datastore browser cannot define a VM or plant what vmctld loads", () => {
  it("uploading a definition, a snapshot tree or saved memory, or making a directory where a definition goes, is refused even for Admin", async () => {
    const definition = 'name = "planted"\nmemory = "64MiB"\n[disks.disk0]\nfile = "theirs/disk0.qcow2"\n';
    const attempts: Array<[string, string, string?]> = [
      ["PUT", "planted/planted.toml", definition],
      ["PUT", "mine/snapshots.json", "{}"],
      ["PUT", "mine/mine.vmstate", "QEVM"],
      ["POST", "other/other.toml?mkdir"],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await call(method, `/api/v1/datastores/local/files/${path}`, boss(), body, "application/octet-stream");
      expect(answer.status, path).toBe(403);
      expect(answer.json().error.message).toMatch(/only vmctld writes|define and change VMs through \/api\/v1\/vms/);
    }
    for (const path of ["planted", "mine/snapshots.json", "mine/mine.vmstate", "other"]) expect(existsSync(local(path)), path).toBe(false);
    expect((await host.client.listVms()).map((vm) => vm.name)).toEqual(["mine", "theirs"]);
    // A directory standing where a definition goes (made by hand) is no VM, and breaks no listing.
    mkdirSync(local("odd/odd.toml"), { recursive: true });
    expect((await call("GET", "/api/v1/vms", rob())).json().vms.map((vm: { name: string }) => vm.name)).toEqual(["mine", "theirs"]);
    rmSync(local("odd"), { recursive: true });
  });
});

describe("an OVF folder import reads only the files its requester may read", () => {
  it("an .ovf at the datastore root naming theirs' memory file as a CD-ROM is refused to cara, before anything is made; the Admin's import of it works", async () => {
    // Uploaded by someone who may write the datastore: a descriptor whose only file is theirs' saved memory, in a CD drive.
    const ovf = vmwareOvf("theirs/theirs.vmstate", SECRET.length, 1)
      .replace(/\s*<Disk [^>]*\/>/, "")
      .replace("<rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>", "<rasd:HostResource>ovf:/file/file1</rasd:HostResource>")
      .replace("<rasd:ResourceType>17</rasd:ResourceType>", "<rasd:ResourceType>15</rasd:ResourceType>");
    writeFileSync(local("evil.ovf"), ovf);
    const cara: Credentials = { token: tokens.cara! };
    const vms = (await host.client.listVms()).map((vm) => vm.name).sort();
    const refusedBefore = await refusals("cara (token cara-token)", "POST /api/v1/import");
    const answer = await call("POST", "/api/v1/import", cara, { datastore: "local", path: "evil.ovf", name: "loot" });
    expect(answer.status).toBe(403);
    expect(answer.json().error.message).toMatch(/theirs\/theirs\.vmstate".*"vm\.edit" on VM "theirs"/);
    expect(answer.json().error.details).toMatchObject({ privilege: "vm.edit", vm: "theirs" });
    expect(existsSync(local("loot"))).toBe(false);
    expect((await host.client.listVms()).map((vm) => vm.name).sort()).toEqual(vms);
    expect(await refusals("cara (token cara-token)", "POST /api/v1/import")).toBe(refusedBefore + 1);

    // The same package imported by the Admin, who may edit theirs: the rule, not the package, refused it.
    const admin = await call("POST", "/api/v1/import", boss(), { datastore: "local", path: "evil.ovf", name: "loot" });
    expect(admin.status).toBe(202);
    expect((await ended(admin)).state).toBe("success");
    const isos = readdirSync(local("loot")).filter((f) => f.endsWith(".iso"));
    expect(isos).toHaveLength(1);
    expect(readFileSync(local(`loot/${isos[0]!}`), "utf8").startsWith(SECRET)).toBe(true); // padded to whole sectors
    await host.client.call("DELETE", "/api/v1/vms/loot");
    rmSync(local("evil.ovf"));
  });
});

describe("a snapshot brings back no file its requester may not give the VM", () => {
  it("reverting to (or cloning) a snapshot that held theirs' disk is refused without rights on theirs, nothing changed; the Admin's revert works and keeps the uuid", async () => {
    // dan may create VMs and edit mine (a session: grants apply to it whole), not theirs.
    await host.client.call("POST", "/api/v1/users", { username: "dan", password: "dan-password", role: "Creator" });
    await host.client.call("PUT", "/api/v1/users/dan/grants/mine", { role: "OperatorEdit" });
    const dan = await login(host.port, "dan", "dan-password");
    // Once someone who could attached theirs' disk to mine, took a snapshot and detached it again.
    expect((await call("POST", "/api/v1/vms/mine/disks", boss(), { id: "stolen", file: "theirs/disk0.qcow2", readonly: true })).status).toBe(201);
    const taken = await call("POST", "/api/v1/vms/mine/snapshots", boss(), { name: "held" });
    expect(taken.status).toBe(202);
    expect((await ended(taken)).state).toBe("success");
    expect((await call("DELETE", "/api/v1/vms/mine/disks/stolen", boss())).status).toBe(200);
    const uuid = (await host.client.getVm("mine")).uuid;
    const before = readFileSync(local("mine/mine.toml"));
    const revertsBefore = await refusals("dan", "POST /api/v1/vms/:name/snapshots/:snap/revert");
    const clonesBefore = await refusals("dan", "POST /api/v1/vms/:name/clone");

    const revert = await call("POST", "/api/v1/vms/mine/snapshots/held/revert", dan);
    expect(revert.status).toBe(403);
    expect(revert.json().error.message).toMatch(/disks\.stolen\.file: .*"theirs\/disk0\.qcow2".*"vm\.edit" on VM "theirs"/);
    const clone = await call("POST", "/api/v1/vms/mine/clone", dan, { name: "heldcopy", snapshot: "held" });
    expect(clone.status).toBe(403);
    expect(clone.json().error.message).toMatch(/"theirs\/disk0\.qcow2".*"vm\.edit" on VM "theirs"/);
    expect(readFileSync(local("mine/mine.toml")).equals(before)).toBe(true);
    expect(existsSync(local("heldcopy"))).toBe(false);
    expect(await refusals("dan", "POST /api/v1/vms/:name/snapshots/:snap/revert")).toBe(revertsBefore + 1);
    expect(await refusals("dan", "POST /api/v1/vms/:name/clone")).toBe(clonesBefore + 1);

    // The Admin may give mine theirs' disk: the revert brings it back, and mine stays the same VM.
    const allowed = await call("POST", "/api/v1/vms/mine/snapshots/held/revert", boss());
    expect(allowed.status).toBe(202);
    expect((await ended(allowed)).state).toBe("success");
    expect((await host.client.getVm("mine")).definition).toMatchObject({ disks: { stolen: { file: "theirs/disk0.qcow2", readonly: true } } });
    expect((await host.client.getVm("mine")).uuid).toBe(uuid);
    expect((await call("DELETE", "/api/v1/vms/mine/disks/stolen", boss())).status).toBe(200);
  });
});

describe("a disk added without a file is checked where it will be", () => {
  it("a default-named image that already exists (theirs' disk) is never attached unnamed; named, it needs vm.edit on theirs; a new disk in her folder works", async () => {
    const extra = mkdtempSync(join(tmpdir(), "vmctl-grants-ds2-"));
    extraDirs.push(extra);
    expect((await call("POST", "/api/v1/datastores", boss(), { name: "ds2", path: extra })).status).toBe(201);
    // theirs has disks where mine's default names fall: in ds2 and (made by hand) in mine's own folder.
    expect((await call("POST", "/api/v1/vms/theirs/disks", boss(), { id: "far", datastore: "ds2", file: "mine/disk1.qcow2", size: "1MiB" })).status).toBe(201);
    expect((await call("POST", "/api/v1/vms/theirs/disks", boss(), { id: "near", file: "mine/disk2.qcow2", size: "1MiB" })).status).toBe(201);
    const before = readFileSync(local("mine/mine.toml"));
    const badBefore = await refusals("eve", "POST /api/v1/vms/:name/disks", 409);
    const forbiddenBefore = await refusals("eve", "POST /api/v1/vms/:name/disks");
    for (const body of [{ datastore: "ds2", id: "disk1", readonly: true }, { id: "disk2", readonly: true }]) {
      const answer = await call("POST", "/api/v1/vms/mine/disks", asEve(), body);
      expect(answer.status, JSON.stringify(body)).toBe(409);
      expect(answer.json().error.code).toBe("file_exists");
      expect(answer.json().error.message).toMatch(/"mine\/disk[12]\.qcow2" already exists; give "file" to attach an existing image/);
    }
    for (const body of [{ datastore: "ds2", id: "disk1", file: "mine/disk1.qcow2", readonly: true }, { id: "disk2", file: "mine/disk2.qcow2", readonly: true }]) {
      const answer = await call("POST", "/api/v1/vms/mine/disks", asEve(), body);
      expect(answer.status, JSON.stringify(body)).toBe(403);
      expect(answer.json().error.message).toMatch(/"mine\/disk[12]\.qcow2".*disk of VM "theirs".*"vm\.edit" on VM "theirs"/);
    }
    expect(readFileSync(local("mine/mine.toml")).equals(before)).toBe(true);
    expect(await refusals("eve", "POST /api/v1/vms/:name/disks", 409)).toBe(badBefore + 2);
    expect(await refusals("eve", "POST /api/v1/vms/:name/disks")).toBe(forbiddenBefore + 2);

    // With the rights the same attach works; a new disk in her own folder needs no more than her grant.
    expect((await call("POST", "/api/v1/vms/mine/disks", boss(), { datastore: "ds2", id: "disk1", file: "mine/disk1.qcow2", readonly: true })).status).toBe(201);
    expect((await call("DELETE", "/api/v1/vms/mine/disks/disk1", boss())).status).toBe(200);
    expect((await call("POST", "/api/v1/vms/mine/disks", asEve(), { id: "fresh", size: "1MiB" })).status).toBe(201);
    expect(existsSync(local("mine/fresh.qcow2"))).toBe(true);
    expect((await call("DELETE", "/api/v1/vms/mine/disks/fresh?delete=true", asEve())).status).toBe(200);
    // A new disk in ds2 is a datastore file outside her VM's folder: it needs datastore.write, which she lacks.
    const outside = await call("POST", "/api/v1/vms/mine/disks", asEve(), { datastore: "ds2", id: "disk3", size: "1MiB" });
    expect(outside.status).toBe(403);
    expect(outside.json().error.message).toMatch(/"mine\/disk3\.qcow2" of datastore "ds2".*"datastore\.write"/);
    expect(existsSync(join(extra, "mine/disk3.qcow2"))).toBe(false);
    for (const id of ["far", "near"]) expect((await call("DELETE", `/api/v1/vms/theirs/disks/${id}`, boss())).status).toBe(200);
    rmSync(local("mine/disk2.qcow2"));
  });
});

describe("listing and browsing honour per-VM grants", () => {
  it("GET /api/v1/vms lists exactly the VMs a user may read", async () => {
    const mine = await call("GET", "/api/v1/vms", asEve());
    expect(mine.status).toBe(200);
    expect(mine.json()).toMatchObject({ total: 1, vms: [expect.objectContaining({ name: "mine" })] });
    expect((await call("GET", "/api/v1/vms?sort=-name", asEve())).json().vms.map((vm: { name: string }) => vm.name)).toEqual(["mine"]);
    const all = await call("GET", "/api/v1/vms", rob());
    expect(all.json().vms.map((vm: { name: string }) => vm.name)).toEqual(["mine", "theirs"]);
    expect((await call("GET", "/api/v1/vms/theirs", asEve())).status).toBe(403);
  });

  it("eve sees no folder of theirs; rob lists it but may not download its disk or memory; Admin may", async () => {
    const root = await call("GET", "/api/v1/datastores/local/files", asEve());
    expect(root.status).toBe(200);
    const names = root.json().entries.map((e: { name: string }) => e.name);
    expect(names).toEqual(expect.arrayContaining(["mine", "iso", "shared"]));
    expect(names).not.toContain("theirs");
    for (const path of ["theirs", "theirs/disk0.qcow2", "theirs/theirs.vmstate", "theirs/theirs.toml", "theirs/nothing-here"]) {
      const answer = await call("GET", `/api/v1/datastores/local/files/${path}`, asEve());
      expect(answer.status, path).toBe(403);
      expect(answer.json().error.message).toContain('"vm.read" on VM "theirs"');
    }
    expect((await call("GET", "/api/v1/datastores/local/files/mine/disk0.qcow2", asEve())).status).toBe(200);

    expect((await call("GET", "/api/v1/datastores/local/files", rob())).json().entries.map((e: { name: string }) => e.name)).toContain("theirs");
    expect((await call("GET", "/api/v1/datastores/local/files/theirs", rob())).json().entries.map((e: { name: string }) => e.name)).toEqual(expect.arrayContaining(["disk0.qcow2", "theirs.toml", "theirs.vmstate"]));
    expect((await call("GET", "/api/v1/datastores/local/files/theirs/theirs.toml", rob())).status).toBe(200);
    for (const path of ["theirs/disk0.qcow2", "theirs/theirs.vmstate"]) {
      const answer = await call("GET", `/api/v1/datastores/local/files/${path}`, rob());
      expect(answer.status, path).toBe(403);
      expect(answer.json().error.message).toContain('"vm.edit" on VM "theirs"');
      expect(answer.body.toString()).not.toContain("hunter2");
    }
    const memory = await call("GET", "/api/v1/datastores/local/files/theirs/theirs.vmstate", boss());
    expect(memory.status).toBe(200);
    expect(memory.body.toString()).toBe(SECRET);
    expect((await call("GET", "/api/v1/datastores/local/files/theirs/disk0.qcow2", boss())).status).toBe(200);
  });
});

describe("grants follow a VM's identity", () => {
  it("a VM has a uuid, in its definition, its detail and vmctl show", async () => {
    const detail = (await call("GET", "/api/v1/vms/mine", asEve())).json();
    expect(detail.uuid).toMatch(new RegExp(UUID_PATTERN));
    expect(readFileSync(local("mine/mine.toml"), "utf8")).toContain(`uuid = "${detail.uuid}"`);
    const shown = await host.cli(["show", "mine"]);
    expect(shown.stdout).toContain(`uuid:        ${detail.uuid}`);
    expect(detail.uuid).not.toBe((await host.client.getVm("theirs")).uuid);
    // The identity cannot be edited away to another VM's.
    const theirs = (await host.client.getVm("theirs")).uuid;
    const changed = await call("PATCH", "/api/v1/vms/mine", asEve(), { uuid: theirs });
    expect(changed.status).toBe(400);
    expect(changed.body.toString()).toContain("uuid");
  });

  it("destroying and re-creating mine leaves eve without rights on the new one; a grant on the new one works", async () => {
    const old = (await host.client.getVm("mine")).uuid;
    await host.client.call("DELETE", "/api/v1/vms/mine");
    expect((await host.client.call<{ users: Array<{ name: string; grants: Record<string, string> }> }>("GET", "/api/v1/users")).users.find((u) => u.name === "eve")!.grants).toEqual({});
    await host.client.createVm(small("mine"));
    const fresh = (await host.client.getVm("mine")).uuid;
    expect(fresh).toMatch(new RegExp(UUID_PATTERN));
    expect(fresh).not.toBe(old);
    const power = await call("POST", "/api/v1/vms/mine/power", asEve(), { action: "stop" });
    expect(power.status).toBe(403);
    expect(power.json().error.details).toMatchObject({ privilege: "vm.power", vm: "mine" });
    expect((await call("GET", "/api/v1/vms", asEve())).json().total).toBe(0);

    await host.client.call("PUT", "/api/v1/users/eve/grants/mine", { role: "OperatorEdit" });
    const stop = await call("POST", "/api/v1/vms/mine/power", asEve(), { action: "stop" });
    expect(stop.status).toBe(409); // authorized: refused only because the VM is already stopped
    expect(stop.json().error.code).toBe("vm_wrong_state");
  });

  it("a VM removed behind vmctld's back and made again under the same name does not inherit the grant", async () => {
    rmSync(local("mine"), { recursive: true, force: true });
    await host.client.createVm(small("mine"));
    // The grant is still stored (nothing destroyed it through vmctld), bound to the old VM's uuid.
    expect((await host.client.call<{ users: Array<{ name: string; grants: Record<string, string> }> }>("GET", "/api/v1/users")).users.find((u) => u.name === "eve")!.grants).toEqual({ mine: "OperatorEdit" });
    expect((await call("GET", "/api/v1/vms/mine", asEve())).status).toBe(403);
    expect((await call("POST", "/api/v1/vms/mine/power", asEve(), { action: "stop" })).status).toBe(403);
  });
});
