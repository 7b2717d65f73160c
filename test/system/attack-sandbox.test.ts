// Class 9, QEMU unprivileged and sandboxed: the QEMU of a VM runs as the vmctl-qemu user in
// QEMU's seccomp sandbox with a clean environment, and a guest that escaped into it (simulated by
// a process running as that user) reaches none of vmctld's secrets, no host file, and cannot turn
// vmctld's own writes into root writes of its choosing.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { connect } from "node:net";
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE, ADMIN_PASSWORD, waitForState } from "./harness.js";
import type { Task } from "../../packages/api-types/src/index.js";
import { https } from "./https-support.js";

const QEMU_USER = "vmctl-qemu";
const uid = Number(execFileSync("id", ["-u", QEMU_USER], { encoding: "utf8" }).trim());
const gid = Number(execFileSync("id", ["-g", QEMU_USER], { encoding: "utf8" }).trim());

let host: TestHost;
let token: string;
const scratch: string[] = [];

/** What an escaped guest can do: run a shell command as the QEMU user (with its groups). */
function asQemu(script: string): { code: number; stderr: string; stdout: string } {
  const result = spawnSync("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--init-groups", "--", "sh", "-c", script], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
  return { code: result.status ?? -1, stderr: result.stderr, stdout: result.stdout };
}

/** A request as the sandbox's Admin (its bearer token). */
const call = (method: string, path: string, body?: unknown) => https(host.port, method, path, { token, ...(body === undefined ? {} : { body }) });

async function power(name: string, action: "start" | "stop"): Promise<Task> {
  const answer = await call("POST", `/api/v1/vms/${name}/power`, action === "stop" ? { action, force: true } : { action });
  expect(answer.status).toBe(202);
  return host.client.waitTask((answer.json() as Task).id);
}

/**
 * The connections to vmctld.sock whose client end vmctld itself holds (a console or VNC proxy
 * steered into its own break-glass socket); a control connection of the test's proves the
 * listing sees connections to that socket at all.
 */
function vmctldSelfConnections(sock: string): string[] {
  const own = new Set(readdirSync(`/proc/${host.pid}/fd`).map((fd) => {
    try { return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${host.pid}/fd/${fd}`))?.[1]; } catch { return undefined; }
  }).filter((inode): inode is string => inode !== undefined));
  const accepted = execFileSync("ss", ["-xn"], { encoding: "utf8" }).split("\n").map((line) => line.trim().split(/\s+/)).filter((f) => f[4] === sock);
  if (accepted.length === 0) throw new Error(`ss lists no connection to ${sock}: the control connection should be there`);
  return accepted.filter((f) => own.has(f[7]!)).map((f) => f.join(" "));
}

const statusField = (pid: number, field: string) => new RegExp(`^${field}:\\s*(.*)$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]?.trim().split(/\s+/);
const vmDir = () => join(host.home, "datastores/local/sbx");
const runDir = () => join(host.home, "run/sbx");

beforeAll(async () => {
  host = await TestHost.start();
  token = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "sandbox-admin", role: "Admin", expires: null })).token;
  await host.client.createVm(guestDefinition("sbx", { disks: { disk0: { file: "sbx/disk0.qcow2", size: "32MiB" } } }));
  expect((await power("sbx", "start")).state).toBe("success");
  const console = await ConsoleReader.open(host.client, "sbx");
  await console.waitFor(GUEST_READY_LINE);
  console.close();
});
afterAll(async () => {
  await host?.close();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe("QEMU runs unprivileged and sandboxed", () => {
  it("the QEMU of a started VM runs as vmctl-qemu (all four ids), in seccomp filter mode with no_new_privs, -sandbox on its command line and no VMCTL_ variable in its environment", () => {
    const pid = host.qemuPid("sbx")!;
    expect(pid).toBeGreaterThan(0);
    expect(statusField(pid, "Uid")).toEqual([uid, uid, uid, uid].map(String));
    expect(statusField(pid, "Gid")).toEqual([gid, gid, gid, gid].map(String));
    expect(statusField(pid, "Seccomp")).toEqual(["2"]);
    expect(statusField(pid, "NoNewPrivs")).toEqual(["1"]);
    expect(statusField(pid, "CapEff")).toEqual(["0000000000000000"]);
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    expect(argv[0]).toMatch(/qemu-system-x86_64$/);
    expect(argv[argv.indexOf("-sandbox") + 1]).toBe("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
    expect(argv).not.toContain("-daemonize");
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
    // The harness starts vmctld with VMCTL_ADMIN_PASSWORD (and vitest's whole environment).
    expect(environ.filter((v) => v.startsWith("VMCTL_"))).toEqual([]);
    expect(environ.join("\n")).not.toContain(ADMIN_PASSWORD);
    expect(environ.map((v) => v.split("=")[0]).sort()).toEqual(["LC_ALL", "PATH"]);
    // Nothing vmctld holds (its database, a pipe it inherited) passes on to QEMU.
    const held = readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
    const unexpected = held.filter((link) => !(link === "/dev/null" || link === "/dev/kvm" || link.startsWith(`${runDir()}/`) || link.startsWith(`${vmDir()}/`) || /^(socket|anon_inode):/.test(link)));
    expect(unexpected).toEqual([]);
  });

  it("gives the VM's files to the QEMU user and nothing else: disk 0600 its own, VM folder, home and (once QEMU runs) its run dir 0710 root:vmctl-qemu, io/ 0700 its own, database and TLS key root's 0600", () => {
    const mode = (path: string) => statSync(path).mode & 0o7777;
    const owner = (path: string) => [statSync(path).uid, statSync(path).gid];
    expect([mode(join(vmDir(), "disk0.qcow2")), ...owner(join(vmDir(), "disk0.qcow2"))]).toEqual([0o600, uid, gid]);
    expect([mode(vmDir()), ...owner(vmDir())]).toEqual([0o710, 0, gid]);
    expect([mode(runDir()), ...owner(runDir())]).toEqual([0o710, 0, gid]);
    expect([mode(join(runDir(), "io")), ...owner(join(runDir(), "io"))]).toEqual([0o700, uid, gid]);
    // What QEMU made at start is its own, in a folder it can no longer change.
    expect(owner(join(runDir(), "qmp.sock"))).toEqual([uid, gid]);
    expect([mode(host.home), ...owner(host.home)]).toEqual([0o710, 0, gid]);
    expect([mode(join(host.home, "run")), ...owner(join(host.home, "run"))]).toEqual([0o710, 0, gid]);
    expect([mode(join(host.home, "vmctld.db")), statSync(join(host.home, "vmctld.db")).uid]).toEqual([0o600, 0]);
    expect([mode(join(host.home, "tls/key.pem")), statSync(join(host.home, "tls/key.pem")).uid]).toEqual([0o600, 0]);
  });

  it("an escaped guest cannot read vmctld's database or TLS key, another VM's disk, /etc/shadow, nor create anything in its VM folder or the datastore", async () => {
    // Another VM's disk, made by vmctld but never given to QEMU (that VM never started).
    await host.client.createVm(guestDefinition("other", { disks: { disk0: { file: "other/disk0.qcow2", size: "16MiB" } } }));
    const otherDisk = join(host.home, "datastores/local/other/disk0.qcow2");
    expect(existsSync(otherDisk)).toBe(true);
    // Positive control: the same user does read its own disk, so a refusal below is the permission's.
    expect(asQemu(`head -c 3 ${join(vmDir(), "disk0.qcow2")}`)).toMatchObject({ code: 0, stdout: "QFI" });
    for (const secret of [join(host.home, "vmctld.db"), join(host.home, "tls/key.pem"), otherDisk, "/etc/shadow"]) {
      const attempt = asQemu(`cat '${secret}'`);
      expect(attempt.code, secret).not.toBe(0);
      expect(attempt.stderr, secret).toContain("Permission denied");
    }
    expect(asQemu(`ls '${join(host.home, "tls")}'`).stderr).toContain("Permission denied");
    for (const dir of [vmDir(), join(host.home, "datastores/local"), host.home]) {
      const planted = asQemu(`touch '${dir}/planted' || ln -s /etc/shadow '${dir}/planted'`);
      expect(planted.code, dir).not.toBe(0);
      expect(planted.stderr, dir).toContain("Permission denied");
      expect(existsSync(join(dir, "planted")), dir).toBe(false);
    }
    expect(asQemu(`mv '${join(vmDir(), "disk0.qcow2")}' '${join(vmDir(), "moved")}'`).code).not.toBe(0);
  });

  it("once the guest runs, the QEMU user cannot swap its sockets or logs for links to what vmctld would connect to, read or append to", () => {
    for (const name of ["qmp.sock", "serial.sock", "vnc.sock", "qga.sock", "qemu.log", "serial.log", "qemu.pid"]) {
      const path = join(runDir(), name);
      const swap = asQemu(`ln -sf '${join(host.home, "vmctld.sock")}' '${path}' || mv '${path}' '${path}.old'`);
      expect(swap.code, name).not.toBe(0);
      expect(swap.stderr, name).toContain("Permission denied");
      expect(lstatSync(path).isSymbolicLink(), name).toBe(false);
    }
    // Positive control: io/ stays its own, where QEMU writes screenshots and a state to load.
    expect(asQemu(`touch '${join(runDir(), "io/mine")}' && rm '${join(runDir(), "io/mine")}'`).code).toBe(0);
  });

  it("a qemu.log found swapped for a symlink (in the moment QEMU starts and owns its run dir) gains no root write: the next start writes a fresh log and the target is unchanged", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmctl-sbx-target-"));
    scratch.push(dir);
    const target = join(dir, "passwd");
    writeFileSync(target, "root:x:0:0:root:/root:/bin/bash\n");
    chmodSync(dir, 0o755);
    const log = join(runDir(), "qemu.log");
    rmSync(log);
    symlinkSync(target, log);
    expect((await power("sbx", "stop")).state).toBe("success");
    // A stopped VM's disk is root's again (as libvirt restores owners): out of an escaped guest's reach.
    const disk = join(vmDir(), "disk0.qcow2");
    expect([statSync(disk).mode & 0o777, statSync(disk).uid]).toEqual([0o600, 0]);
    expect(asQemu(`head -c 3 '${disk}'`).stderr).toContain("Permission denied");
    expect((await power("sbx", "start")).state).toBe("success");
    expect(statSync(disk).uid).toBe(uid);
    expect(readFileSync(target, "utf8")).toBe("root:x:0:0:root:/root:/bin/bash\n");
    expect(lstatSync(log).isSymbolicLink()).toBe(false);
    expect(readFileSync(log, "utf8")).toContain(`as ${QEMU_USER}: qemu-system-x86_64`);
  });

  it("a console log found swapped for a link to a root-only file does not reach console viewers after a vmctld restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmctl-sbx-secret-"));
    scratch.push(dir);
    const secret = join(dir, "secret");
    writeFileSync(secret, "SECRET-ROOT-ONLY-42\n", { mode: 0o600 });
    chmodSync(dir, 0o755);
    expect(asQemu(`cat '${secret}'`).code).not.toBe(0);
    const serialLog = join(runDir(), "serial.log");
    rmSync(serialLog);
    symlinkSync(secret, serialLog);
    await host.killDaemon();
    await host.startDaemon();
    await waitForState(host.client, "sbx", "running");
    const console = await ConsoleReader.open(host.client, "sbx");
    // The guest was started by the test before and may still be booting: its tty drops what is
    // typed before the shell runs (and the ready line went to the swapped log), so ask again.
    let answer = "";
    for (let attempt = 0; attempt < 5 && !answer.includes("still-42"); attempt++) answer = await console.run("echo still-$((40+2))");
    expect(answer).toContain("still-42");
    expect(console.text).not.toContain("SECRET-ROOT-ONLY");
    console.close();
  });

  it("a hot-plugged disk is given to the QEMU user before QEMU opens it, the guest sees it, and unplugged it is root's again", async () => {
    const disk = await host.client.addDisk("sbx", { size: "8MiB" });
    const file = join(vmDir(), `${disk.id}.qcow2`);
    expect([statSync(file).mode & 0o777, statSync(file).uid]).toEqual([0o600, uid]);
    const console = await ConsoleReader.open(host.client, "sbx");
    expect(await console.run("ls /sys/block")).toContain("vdb");
    console.close();
    // Unplugged, it is root's again: out of reach of the QEMU that had it.
    await host.client.detachDisk("sbx", disk.id);
    expect([statSync(file).mode & 0o777, statSync(file).uid]).toEqual([0o600, 0]);
  });

  it("a qcow2 header rewritten by an escaped guest to name a host file as backing file: the next start is refused and that file is never given to the QEMU user", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmctl-sbx-host-"));
    scratch.push(dir);
    const hostFile = join(dir, "shadow");
    writeFileSync(hostFile, "root:$6$secret:19000:0:99999:7:::\n", { mode: 0o600 });
    chmodSync(dir, 0o755);
    await host.client.createVm(guestDefinition("evil", { disks: { disk0: { file: "evil/disk0.qcow2", size: "16MiB" } } }));
    expect((await power("evil", "start")).state).toBe("success");
    const disk = join(host.home, "datastores/local/evil/disk0.qcow2");
    // As the QEMU user, which owns the running VM's disk: backing_file_offset = 1024, size, and the name there.
    const rewrite = asQemu(`python3 -c '
import struct, sys
name = sys.argv[2].encode()
with open(sys.argv[1], "r+b") as f:
    f.seek(8); f.write(struct.pack(">QI", 1024, len(name)))
    f.seek(1024); f.write(name)
' '${disk}' '${hostFile}'`);
    expect(rewrite).toMatchObject({ code: 0 });
    expect((await power("evil", "stop")).state).toBe("success");
    const task = await power("evil", "start");
    expect(task.state).toBe("error");
    expect(task.error?.message).toContain(hostFile);
    expect((await host.client.getVm("evil")).state).toBe("stopped");
    // Not given away: still root's alone, and the QEMU user still cannot read it.
    expect([statSync(hostFile).mode & 0o777, statSync(hostFile).uid, statSync(hostFile).gid]).toEqual([0o600, 0, 0]);
    expect(asQemu(`cat '${hostFile}'`).stderr).toContain("Permission denied");
  });

  it("another escaped QEMU racing a link to vmctld.sock over serial.sock while a VM starts: the start fails naming serial.sock, or serial.sock stays QEMU's socket; vmctld never connects to its own socket and console input never reaches the API", async () => {
    const vmctldSock = join(host.home, "vmctld.sock");
    const race = join(host.home, "run/race");
    await host.client.createVm(guestDefinition("race"));
    // The other escaped QEMU (same uid): spins until serial.sock is a socket, then renames a link over it.
    const attacker = spawn("setpriv", [`--reuid=${uid}`, `--regid=${gid}`, "--init-groups", "--", "sh", "-c",
      `while :; do [ -S '${race}/serial.sock' ] && ln -sfn '${vmctldSock}' '${race}/.x' 2>/dev/null && mv -Tf '${race}/.x' '${race}/serial.sock' 2>/dev/null && exit 0; done`],
    { stdio: "ignore", env: { PATH: "/usr/bin:/bin" } });
    const attackerDone = new Promise<number | null>((resolve) => attacker.once("exit", (code) => resolve(code)));
    try {
      const task = await power("race", "start");
      // The attack either won (it renamed its link in place before the run dir was taken back) or lost.
      const won = await Promise.race([attackerDone.then((code) => code === 0), new Promise<false>((resolve) => setTimeout(() => resolve(false), 200))]);
      console.info(`serial.sock race: the attack ${won ? "won the race" : "lost the race"}; the start ${task.state}`);
      if (task.state === "error") {
        expect(won).toBe(true);
        expect(task.error?.message).toContain(`run/race/serial.sock was replaced while QEMU started (a symlink to "${vmctldSock}")`);
        expect((await host.client.getVm("race")).state).toBe("stopped");
        expect(existsSync(join(race, "serial.sock"))).toBe(false);
      } else {
        expect(task.state).toBe("success");
        expect(lstatSync(join(race, "serial.sock")).isSocket()).toBe(true);
        expect(statSync(race).uid).toBe(0);
        const console = await ConsoleReader.open(host.client, "race");
        await console.waitFor(GUEST_READY_LINE);
        const from = console.text.length;
        console.type("GET /api/v1/vms HTTP/1.1\r\nHost: localhost\r\n\r\n");
        expect(await console.run("echo reached-$((6*7))")).toContain("reached-42");
        expect(console.text.slice(from)).not.toMatch(/HTTP\/1\.1 [1-5]\d\d/);
        console.close();
      }
      const control = connect(vmctldSock);
      await new Promise((resolve, reject) => { control.once("connect", resolve); control.once("error", reject); });
      try {
        expect(vmctldSelfConnections(vmctldSock)).toEqual([]);
      } finally {
        control.destroy();
      }
      expect(lstatSync(vmctldSock).isSocket()).toBe(true);
      expect((await host.client.getVm("sbx")).state).toBe("running");
    } finally {
      if (attacker.exitCode === null && attacker.pid) process.kill(attacker.pid, "SIGKILL");
      await attackerDone;
    }
    if ((await host.client.getVm("race")).state === "running") expect((await power("race", "stop")).state).toBe("success");
  });

  it("destroying a VM removes its run dir; what the QEMU user left in io/ (a folder, a link out) is removed as that user, never followed by root", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmctl-sbx-keep-"));
    scratch.push(dir);
    writeFileSync(join(dir, "precious"), "keep me\n");
    chmodSync(dir, 0o777); // writable even by the QEMU user: only a followed link would empty it
    expect(asQemu(`mkdir '${runDir()}/io/nest' && ln -s '${dir}' '${runDir()}/io/nest/out' && ln -s '${dir}' '${runDir()}/io/out'`).code).toBe(0);
    expect((await power("sbx", "stop")).state).toBe("success");
    await host.client.destroyVm("sbx");
    expect(existsSync(runDir())).toBe(false);
    expect(readFileSync(join(dir, "precious"), "utf8")).toBe("keep me\n");
  });

  it("a datastore behind a folder the QEMU user cannot traverse: the start is refused naming that folder and the fix, and nothing is changed", async () => {
    const hidden = mkdtempSync(join(tmpdir(), "vmctl-sbx-private-"));
    scratch.push(hidden);
    chmodSync(hidden, 0o700);
    const root = join(hidden, "ds");
    mkdirSync(root, { mode: 0o755 });
    const guest = inject("guest");
    copyFileSync(guest.kernel, join(root, "vmlinuz"));
    copyFileSync(guest.initrd, join(root, "initrd.img"));
    chmodSync(join(root, "vmlinuz"), 0o600);
    const added = await call("POST", "/api/v1/datastores", { name: "hidden", path: root });
    expect(added.status).toBe(201);
    const definition = guestDefinition("blocked");
    await host.client.createVm({ ...definition, boot: { ...definition.boot, datastore: "hidden" } });
    const task = await power("blocked", "start");
    expect(task.state).toBe("error");
    expect(task.error?.message).toContain(`"${hidden}"`);
    expect(task.error?.message).toContain(QEMU_USER);
    expect(task.error?.message).toMatch(/chmod g\+x|\/srv\/vmstore/);
    expect((await host.client.getVm("blocked")).state).toBe("stopped");
    // Nothing given away: the kernel is still root's 0600, the folder still 0700.
    expect([statSync(join(root, "vmlinuz")).mode & 0o777, statSync(join(root, "vmlinuz")).uid]).toEqual([0o600, 0]);
    expect(statSync(hidden).mode & 0o777).toBe(0o700);
    // The attempt is in the audit (accepted as a task; the task's error is the refusal).
    const audit = (await call("GET", "/api/v1/audit?limit=50")).json() as { entries: Array<{ action: string; target: string | null }> };
    expect(audit.entries.filter((e) => e.action === "POST /api/v1/vms/:name/power" && e.target === "blocked")).toHaveLength(1);
  });
});
