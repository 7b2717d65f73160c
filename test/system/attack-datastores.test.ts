// Attacks on the host through datastores, over real HTTPS: a datastore made of a system or home
// directory (through the API or vmctld.toml), symlinks planted in a datastore to host files, a
// dangling one to create through, a folder swapped for a link to /etc, and the modes of what
// vmctld makes. Each is refused with a clear error, audited, and nothing changes on disk.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TestHost, guestDefinition } from "./harness.js";
import { https, type Answer } from "./https-support.js";

let host: TestHost;
let outside: string;
const tokens: Record<string, string> = {};

/** A request as `token` with the path sent exactly as given; a JSON body, or a Buffer's raw bytes. */
const call = (method: string, path: string, token: string, body?: unknown): Promise<Answer> =>
  https(host.port, method, path, { token, ...(Buffer.isBuffer(body) ? { rawBody: body, type: "application/octet-stream" } : body === undefined ? {} : { body }) });

const files = (path: string) => `/api/v1/datastores/local/files/${path}`;
const local = (path = "") => join(host.home, "datastores", "local", path);
const qemuGid = (() => { try { return Number(execFileSync("id", ["-g", "vmctl-qemu"], { encoding: "utf8" }).trim()); } catch { return null; } })();
const privateDirMode = qemuGid !== null && process.getuid?.() === 0 ? 0o710 : 0o700;
const mode = (path: string) => lstatSync(path).mode & 0o777;

interface AuditEntry { user: string; action: string; target: string | null; result: string; status: number }
const audit = async () => (await host.client.call<{ entries: AuditEntry[] }>("GET", "/api/v1/audit?limit=500")).entries;

beforeAll(async () => {
  host = await TestHost.start();
  outside = mkdtempSync(join(tmpdir(), "vmctl-outside-"));
  await host.client.call("POST", "/api/v1/roles", { name: "Storage", privileges: ["host.read", "datastore.read", "datastore.write"] });
  for (const [user, role] of [["reader", "ReadOnly"], ["keeper", "Storage"]] as const) {
    await host.client.call("POST", "/api/v1/users", { username: user, password: `${user}-password`, role });
    tokens[user] = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: `${user}-token`, role, expires: null, user })).token;
  }
});
afterAll(async () => {
  await host?.close();
  rmSync(outside, { recursive: true, force: true });
});

describe("datastore roots", () => {
  it("a datastore.write user cannot add /, /root, /home, /etc, /var/lib/<x>, /proc, vmctld's home or a symlink to /etc: 400 naming the path, nothing added, each audited", async () => {
    const before = (await host.client.datastores()).datastores.map((d) => d.name);
    const foreign = `/var/lib/attack-${randomBytes(4).toString("hex")}`;
    const link = join(outside, "to-etc");
    symlinkSync("/etc", link);
    const refused = ["/", "/root", "/root/.ssh", "/home", "/etc", "/etc/ssh", foreign, "/proc", "/usr", "/var/log", "/tmp", host.home, join(host.home, "tls"), link, join(link, "vms")];
    const auditBefore = (await audit()).filter((e) => e.action === "POST /api/v1/datastores" && e.status === 400).length;
    for (const [i, path] of refused.entries()) {
      const answer = await call("POST", "/api/v1/datastores", tokens.keeper!, { name: `bad${i}`, path });
      expect([path, answer.status, answer.json().error.code]).toEqual([path, 400, "bad_request"]);
      const message: string = answer.json().error.message;
      expect(message, path).toContain(`path: "${path}"`);
      expect(message, path).toContain('e.g. "/srv/vmstore"');
    }
    const symlinked = await call("POST", "/api/v1/datastores", tokens.keeper!, { name: "vialink", path: link });
    expect(symlinked.json().error.message).toContain(`"${link}" (really "/etc") is the system directory "/etc"`);
    expect(existsSync(foreign)).toBe(false);
    expect(existsSync("/etc/ssh/vms") || existsSync("/etc/vms")).toBe(false);
    expect((await host.client.datastores()).datastores.map((d) => d.name)).toEqual(before);
    const refusals = (await audit()).filter((e) => e.action === "POST /api/v1/datastores" && e.status === 400);
    expect(refusals.length - auditBefore).toBe(refused.length + 1);
    expect(refusals[0]).toMatchObject({ user: "keeper (token keeper-token)", result: "refused" });
  });

  it("a vmctl folder in /var/lib and a folder of its own in /tmp are accepted, and made private", async () => {
    const vmctlFolder = `/var/lib/vmctl-attack-${randomBytes(4).toString("hex")}`;
    const tmpFolder = join(outside, "store");
    try {
      for (const [name, path] of [["varlib", vmctlFolder], ["tmpstore", tmpFolder]] as const) {
        const answer = await call("POST", "/api/v1/datastores", tokens.keeper!, { name, path });
        expect([path, answer.status]).toEqual([path, 201]);
        expect(mode(path), path).toBe(privateDirMode);
        expect((await call("DELETE", `/api/v1/datastores/${name}`, tokens.keeper!)).status).toBe(200);
      }
    } finally {
      rmSync(vmctlFolder, { recursive: true, force: true });
    }
  });

  it("vmctld refuses to start when vmctld.toml declares a datastore in /etc or in a home's dot-folder, naming the key and the fix", async () => {
    for (const [path, reason] of [["/etc", '"/etc" is the system directory "/etc"'], ["/root/.ssh", '"/root/.ssh" is inside "/root/.ssh", a dot-folder of the home directory "/root"']]) {
      const home = mkdtempSync(join(tmpdir(), "vmctl-badconf-"));
      try {
        writeFileSync(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\n\n[datastores.bad]\npath = "${path}"\n`);
        const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done) => {
          const child = execFile(process.execPath, [resolve("packages/daemon/dist/main.js"), "--home", home], { timeout: 30_000, env: { ...process.env, VMCTL_ADMIN_PASSWORD: "unused-password" } }, (_error, _stdout, err) => done({ code: child.exitCode, stderr: err }));
        });
        expect(code).toBe(1);
        expect(stderr).toContain(`vmctld.toml: datastores.bad.path: ${reason}`);
        expect(stderr).toContain('e.g. "/srv/vmstore", and start vmctld again');
        expect(existsSync(join(home, "vmctld.sock"))).toBe(false);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    }
  });
});

describe("symlinks in a datastore", () => {
  it("a symlink to /etc/shadow (or /etc) is neither listed nor downloadable by a datastore.read user", async () => {
    symlinkSync("/etc/shadow", local("shadow"));
    symlinkSync("/etc", local("etc-dir"));
    try {
      const listing = await call("GET", "/api/v1/datastores/local/files", tokens.reader!);
      expect(listing.status).toBe(200);
      const names = listing.json().entries.map((e: { name: string }) => e.name);
      expect(names).not.toContain("shadow");
      expect(names).not.toContain("etc-dir");
      for (const path of ["shadow", "etc-dir", "etc-dir/", "etc-dir/shadow", "etc-dir/passwd"]) {
        const answer = await call("GET", files(path), tokens.reader!);
        expect([path, answer.status, answer.json().error.code]).toEqual([path, 400, "path_outside_datastore"]);
        expect(answer.body.toString()).not.toMatch(/root:/);
      }
    } finally {
      rmSync(local("shadow"));
      rmSync(local("etc-dir"));
    }
  });

  it("a dangling symlink to a file or a folder outside cannot be uploaded or created through: nothing appears outside", async () => {
    mkdirSync(join(outside, "dangling"));
    symlinkSync(join(outside, "dangling", "f"), local("x"));
    symlinkSync(join(outside, "dangling", "sub"), local("xdir"));
    try {
      for (const [method, path] of [["PUT", "x"], ["PUT", "x?overwrite=true"], ["PUT", "xdir/inner.bin"], ["POST", "xdir/made?mkdir"], ["POST", "xdir?mkdir"]] as const) {
        const answer = await call(method, files(path), tokens.keeper!, method === "PUT" ? Buffer.from("planted bytes") : undefined);
        expect([method, path, answer.status, answer.json().error.code]).toEqual([method, path, 400, "path_outside_datastore"]);
        expect(answer.json().error.message).toMatch(/dangling symlink/);
      }
      expect(existsSync(join(outside, "dangling", "f"))).toBe(false);
      expect(existsSync(join(outside, "dangling", "sub"))).toBe(false);
      expect(readlinkSync(local("x"))).toBe(join(outside, "dangling", "f"));
      const refusals = (await audit()).filter((e) => e.user === "keeper (token keeper-token)" && e.target?.startsWith("local:x") && e.status === 400);
      expect(refusals.length).toBeGreaterThanOrEqual(5);
    } finally {
      rmSync(local("x"));
      rmSync(local("xdir"));
    }
  });

  it("a folder swapped for a symlink to /etc between requests is never listed, read, written or deleted through", async () => {
    expect((await call("POST", files("swap?mkdir"), tokens.keeper!)).status).toBe(201);
    expect((await call("PUT", files("swap/a.txt"), tokens.keeper!, Buffer.from("mine"))).status).toBe(201);
    expect((await call("GET", files("swap"), tokens.reader!)).json().entries.map((e: { name: string }) => e.name)).toEqual(["a.txt"]);
    // Someone with a shell on the host (or an escaped guest in a shared folder) swaps it.
    renameSync(local("swap"), local("swap-old"));
    symlinkSync("/etc", local("swap"));
    try {
      const hostname = readFileSync("/etc/hostname");
      const attempts: Array<[string, string, Buffer | undefined]> = [
        ["GET", "swap", undefined], ["GET", "swap/passwd", undefined], ["GET", "swap/hostname", undefined],
        ["PUT", "swap/evil.conf", Buffer.from("evil")], ["PUT", "swap/hostname?overwrite=true", Buffer.from("evil")],
        ["DELETE", "swap/hostname", undefined], ["POST", "swap/evil.d?mkdir", undefined],
      ];
      for (const [method, path, body] of attempts) {
        const answer = await call(method, files(path), method === "GET" ? tokens.reader! : tokens.keeper!, body);
        expect([method, path, answer.status, answer.json().error.code]).toEqual([method, path, 400, "path_outside_datastore"]);
        expect(answer.body.toString()).not.toMatch(/root:x:0:0|^[a-z0-9.-]+\n$/);
      }
      expect(existsSync("/etc/evil.conf")).toBe(false);
      expect(existsSync("/etc/evil.d")).toBe(false);
      expect(readFileSync("/etc/hostname")).toEqual(hostname);
      const listing = (await call("GET", "/api/v1/datastores/local/files", tokens.reader!)).json().entries.map((e: { name: string }) => e.name);
      expect(listing).not.toContain("swap");
      expect(listing).toContain("swap-old");
    } finally {
      rmSync(local("swap"));
      rmSync(local("swap-old"), { recursive: true });
    }
  });

  it("a folder swapped for a symlink out while an upload into it is under way: the bytes land in the folder, never outside", async () => {
    const data = randomBytes(1 << 20);
    mkdirSync(join(outside, "target"));
    // Once vmctld has the part file open, the folder is swapped for a link out; then the rest follows.
    async function* pieces(): AsyncGenerator<Buffer> {
      yield data.subarray(0, 64 * 1024);
      for (let tries = 0; (await host.client.uploadStatus("local", "race/f.bin")).received === 0; tries++) {
        if (tries > 400) throw new Error("vmctld stored nothing of the upload");
        await new Promise((r) => setTimeout(r, 50));
      }
      renameSync(local("race"), local("race-moved"));
      symlinkSync(join(outside, "target"), local("race"));
      yield data.subarray(64 * 1024);
    }
    const answer = https(host.port, "PUT", files("race/f.bin"), { token: tokens.keeper!, type: "application/octet-stream", upload: { length: data.length, pieces: pieces() } });
    try {
      const done = await answer;
      expect(done.status).toBe(201);
      expect(readdirSync(join(outside, "target"))).toEqual([]);
      expect(readFileSync(local("race-moved/f.bin")).equals(data)).toBe(true);
      expect(mode(local("race-moved/f.bin"))).toBe(0o600);
    } finally {
      rmSync(local("race"), { force: true });
      rmSync(local("race-moved"), { recursive: true, force: true });
    }
  });

  it("deleting a symlink deletes the link, never the file or folder it names, inside or out", async () => {
    expect((await call("PUT", files("keep/data.bin"), tokens.keeper!, Buffer.from("keep me"))).status).toBe(201);
    symlinkSync("keep/data.bin", local("file-link"));
    symlinkSync("keep", local("dir-link"));
    // Listed as what they name, and readable through: they stay in the datastore.
    const names = (await call("GET", "/api/v1/datastores/local/files", tokens.reader!)).json().entries.map((e: { name: string; type: string }) => `${e.name}:${e.type}`);
    expect(names).toEqual(expect.arrayContaining(["file-link:file", "dir-link:dir"]));
    expect((await call("GET", files("dir-link/data.bin"), tokens.reader!)).body.toString()).toBe("keep me");
    for (const link of ["file-link", "dir-link"]) {
      const answer = await call("DELETE", files(link), tokens.keeper!);
      expect([link, answer.status]).toEqual([link, 200]);
      expect(existsSync(local(link)) || isLink(local(link))).toBe(false);
    }
    expect(readFileSync(local("keep/data.bin"), "utf8")).toBe("keep me");
    rmSync(local("keep"), { recursive: true });
    // A link planted to a file outside, or to nothing, is deleted as the link it is.
    writeFileSync(join(outside, "victim.txt"), "host file");
    symlinkSync(join(outside, "victim.txt"), local("out-link"));
    symlinkSync(outside, local("out-dir-link"));
    symlinkSync(join(outside, "nothing"), local("dead-link"));
    for (const link of ["out-link", "out-dir-link", "dead-link"]) {
      const answer = await call("DELETE", files(link), tokens.keeper!);
      expect([link, answer.status, answer.json()]).toEqual([link, 200, { datastore: "local", path: link, type: "file" }]);
      expect(isLink(local(link))).toBe(false);
    }
    expect(readFileSync(join(outside, "victim.txt"), "utf8")).toBe("host file");
    // Through a link out, nothing is deleted.
    symlinkSync(outside, local("out-dir-link"));
    const through = await call("DELETE", files("out-dir-link/victim.txt"), tokens.keeper!);
    expect([through.status, through.json().error.code]).toEqual([400, "path_outside_datastore"]);
    expect(existsSync(join(outside, "victim.txt"))).toBe(true);
    rmSync(local("out-dir-link"));
  });
});

describe("private files", () => {
  it("folders made through the API and by uploads are 0710 root:vmctl-qemu (0700 without it), uploads 0600, a VM's folder and new disk likewise", async () => {
    expect((await call("POST", files("private/nested?mkdir"), tokens.keeper!)).status).toBe(201);
    expect((await call("PUT", files("iso/fresh.iso"), tokens.keeper!, randomBytes(4096))).status).toBe(201);
    expect((await call("PUT", files("private/nested/up.bin"), tokens.keeper!, Buffer.from("secret bytes"))).status).toBe(201);
    for (const dir of ["private", "private/nested", "iso"]) {
      const info = statSync(local(dir));
      expect([dir, info.mode & 0o777, info.uid]).toEqual([dir, privateDirMode, process.getuid?.()]);
      if (privateDirMode === 0o710) expect([dir, info.gid]).toEqual([dir, qemuGid]);
    }
    for (const file of ["iso/fresh.iso", "private/nested/up.bin"]) {
      expect([file, mode(local(file)), statSync(local(file)).uid]).toEqual([file, 0o600, process.getuid?.()]);
    }
    await host.client.call("POST", "/api/v1/vms", guestDefinition("modes", { disks: { disk0: { file: "modes/disk0.qcow2", size: "16MiB" } } }));
    expect(mode(local("modes"))).toBe(privateDirMode);
    expect(mode(local("modes/disk0.qcow2"))).toBe(0o600);
  });
});

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
