import { describe, it, expect, vi, afterEach, beforeEach } from "vitest";
import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, lchownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateDefinition } from "@vmctl/definition";
import { isAlive } from "@vmctl/qemu";

const identity = vi.hoisted(() => ({ current: null as { user: string; uid: number; gid: number } | null }));
vi.mock("../security/qemu-user.js", async (original) => ({
  ...(await original<typeof import("../security/qemu-user.js")>()),
  qemuIdentity: () => identity.current,
}));
const { qemuRunAs, definitionFiles, lockRunDir, qemuSockets } = await import("./vm-sandbox.js");
const { ownForQemu } = await import("../security/qemu-user.js");

afterEach(() => { vi.restoreAllMocks(); identity.current = null; });

describe("qemuRunAs", () => {
  it("refuses, as root without the QEMU user, to run QEMU at all, and says to run the set-up", () => {
    vi.spyOn(process, "getuid").mockReturnValue(0);
    expect(() => qemuRunAs()).toThrow(/"vmctl-qemu" that runs QEMU does not exist; run the set-up as root .*then restart vmctld: it never runs QEMU as root/);
  });

  it("runs QEMU as the QEMU user when vmctld is root, as vmctld's own user otherwise", () => {
    vi.spyOn(process, "getuid").mockReturnValue(0);
    identity.current = { user: "vmctl-qemu", uid: 999, gid: 995 };
    expect(qemuRunAs()).toEqual({ user: "vmctl-qemu", uid: 999, gid: 995 });
    vi.spyOn(process, "getuid").mockReturnValue(1000);
    expect(qemuRunAs()).toBeNull();
  });
});

describe("definitionFiles", () => {
  it("lists what QEMU opens, writable only for disks not marked readonly", () => {
    const def = validateDefinition({
      name: "a", boot: { kernel: "k", initrd: "i" },
      disks: { d: { file: "a/d.qcow2" }, base: { file: "b.img", readonly: true, datastore: "other" } }, cdroms: { cd: { iso: "x.iso" }, empty: {} },
    });
    const files = definitionFiles(def, (ds, path) => `/${ds ?? "local"}/${path}`);
    expect(files).toEqual([
      { path: "/local/k", writable: false, field: "boot.kernel" },
      { path: "/local/i", writable: false, field: "boot.initrd" },
      { path: "/local/a/d.qcow2", writable: true, field: "disks.d.file", format: "qcow2" },
      { path: "/other/b.img", writable: false, field: "disks.base.file", format: "raw" },
      { path: "/local/x.iso", writable: false, field: "cdroms.cd.iso" },
    ]);
  });
});

describe("lockRunDir: the sockets QEMU made, checked once its run dir is root's again", () => {
  const realIdentity = (): { user: string; uid: number; gid: number } | null => {
    try {
      const id = (flag: string) => Number(execFileSync("id", [flag, "vmctl-qemu"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
      return { user: "vmctl-qemu", uid: id("-u"), gid: id("-g") };
    } catch {
      return null;
    }
  };
  const qemu = realIdentity();
  const asRoot = process.getuid?.() === 0 && qemu !== null;
  const cleanup: Array<() => void> = [];
  afterEach(() => { for (const undo of cleanup.splice(0)) undo(); });

  /** HOME/run/b as vmctld leaves it while QEMU starts (the QEMU user's), with HOME/vmctld.sock beside it. */
  async function startWindow(): Promise<{ home: string; runDir: string; vmctldSock: string }> {
    const home = mkdtempSync(join(tmpdir(), "vmctl-lock-"));
    cleanup.push(() => rmSync(home, { recursive: true, force: true }));
    const runDir = join(home, "run", "b");
    mkdirSync(runDir, { recursive: true });
    chownSync(runDir, qemu!.uid, qemu!.gid);
    const vmctldSock = join(home, "vmctld.sock");
    await listen(vmctldSock);
    return { home, runDir, vmctldSock };
  }
  /** A socket as QEMU makes it (the QEMU user's) or, with owner, as that owner's. */
  async function listen(path: string, owner?: number): Promise<void> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    cleanup.push(() => server.close());
    if (owner !== undefined) lchownSync(path, owner, qemu!.gid);
  }
  /** A stand-in for QEMU: a process to be killed. */
  function fakeQemu(): { pid: number; killed: Promise<NodeJS.Signals | null> } {
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    cleanup.push(() => { child.kill("SIGKILL"); });
    return { pid: child.pid!, killed: new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal))) };
  }

  beforeEach(() => {
    if (!asRoot) return;
    vi.spyOn(process, "getuid").mockReturnValue(0);
    identity.current = qemu;
  });

  it.skipIf(!asRoot)("passes the sockets QEMU made and takes the folder back (root:vmctl-qemu 0710)", async () => {
    const { runDir } = await startWindow();
    await listen(join(runDir, "qmp.sock"), qemu!.uid);
    await listen(join(runDir, "serial.sock"), qemu!.uid);
    const proc = fakeQemu();
    await lockRunDir(runDir, { pid: proc.pid, sockets: ["qmp", "serial"] });
    const info = statSync(runDir);
    expect([info.uid, info.gid, info.mode & 0o7777]).toEqual([0, qemu!.gid, 0o710]);
    expect(lstatSync(join(runDir, "serial.sock")).isSocket()).toBe(true);
    expect(isAlive(proc.pid)).toBe(true);
  });

  it.skipIf(!asRoot)("refuses a serial.sock swapped for a symlink to vmctld.sock (another escaped QEMU's rename): QEMU killed, the link removed, the error naming the file and the target", async () => {
    const { runDir, vmctldSock } = await startWindow();
    await listen(join(runDir, "qmp.sock"), qemu!.uid);
    symlinkSync(vmctldSock, join(runDir, "serial.sock"));
    const proc = fakeQemu();
    await expect(lockRunDir(runDir, { pid: proc.pid, sockets: ["qmp", "serial"] }))
      .rejects.toThrow(`run/b/serial.sock was replaced while QEMU started (a symlink to "${vmctldSock}")`);
    expect(await proc.killed).toBe("SIGKILL");
    expect(existsSync(join(runDir, "serial.sock"))).toBe(false);
    expect(lstatSync(vmctldSock).isSocket()).toBe(true);
    // Still taken back: the QEMU user can no longer plant anything there.
    expect(statSync(runDir).uid).toBe(0);
  });

  it.skipIf(!asRoot)("refuses a qmp.sock or vnc.sock that is not the QEMU user's own socket: root's socket, a plain file, a second name", async () => {
    for (const [name, plant, why] of [
      ["qmp.sock", (path: string) => listen(path, 0), `a socket owned by uid 0, not by the QEMU user "vmctl-qemu" (uid ${qemu!.uid})`],
      ["vnc.sock", async (path: string) => { writeFileSync(path, ""); chownSync(path, qemu!.uid, qemu!.gid); }, "a plain file"],
      ["vnc.sock", async (path: string) => { await listen(path, qemu!.uid); linkSync(path, `${path}.2`); }, "a socket with 2 links"],
    ] as const) {
      const { runDir } = await startWindow();
      for (const other of ["qmp.sock", "vnc.sock"].filter((n) => n !== name)) await listen(join(runDir, other), qemu!.uid);
      await plant(join(runDir, name));
      const proc = fakeQemu();
      await expect(lockRunDir(runDir, { pid: proc.pid, sockets: ["qmp", "vnc"] }), name).rejects.toThrow(`run/b/${name} was replaced while QEMU started (${why})`);
      expect(await proc.killed).toBe("SIGKILL");
    }
  });

  it.skipIf(!asRoot)("refuses a socket QEMU was not told to make (vnc.sock planted for a VM without VNC) and one it made that is gone", async () => {
    const planted = await startWindow();
    await listen(join(planted.runDir, "qmp.sock"), qemu!.uid);
    symlinkSync(planted.vmctldSock, join(planted.runDir, "vnc.sock"));
    await expect(lockRunDir(planted.runDir, { sockets: ["qmp"] })).rejects.toThrow(`run/b/vnc.sock was planted while QEMU started (a symlink to "${planted.vmctldSock}")`);
    expect(existsSync(join(planted.runDir, "vnc.sock"))).toBe(false);
    const gone = await startWindow();
    await listen(join(gone.runDir, "qmp.sock"), qemu!.uid);
    await expect(lockRunDir(gone.runDir, { sockets: ["qmp", "serial"] })).rejects.toThrow("run/b/serial.sock is missing");
  });

  it.skipIf(!asRoot)("on a re-attach (sockets unknown) checks each socket found", async () => {
    const { runDir, vmctldSock } = await startWindow();
    await listen(join(runDir, "qmp.sock"), qemu!.uid);
    await lockRunDir(runDir);
    chownSync(runDir, qemu!.uid, qemu!.gid);
    symlinkSync(vmctldSock, join(runDir, "serial.sock"));
    await expect(lockRunDir(runDir)).rejects.toThrow("run/b/serial.sock was replaced while QEMU started");
  });

  it("qemuSockets: QMP always, serial and VNC as the definition asks, the guest agent's but on microvm (no VNC or agent on microvm, as build-argv)", () => {
    const def = validateDefinition({ name: "a", boot: { kernel: "k" } });
    expect(qemuSockets({ ...def, console: { ...def.console, serial: true, vnc: true } })).toEqual(["qmp", "serial", "vnc", "qga"]);
    expect(qemuSockets({ ...def, console: { ...def.console, serial: false, vnc: false } })).toEqual(["qmp", "qga"]);
    expect(qemuSockets({ ...def, machine: "microvm", console: { ...def.console, serial: true, vnc: true } })).toEqual(["qmp", "serial"]);
  });

  it.skipIf(!asRoot)("ownForQemu gives a plain file with one name, refuses one with a second hard link and anything not a file or folder, changing nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmctl-own-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const disk = join(dir, "disk.img");
    writeFileSync(disk, "", { mode: 0o600 });
    await ownForQemu(disk, 0o600);
    expect([statSync(disk).uid, statSync(disk).mode & 0o777]).toEqual([qemu!.uid, 0o600]);
    const secret = join(dir, "shadow");
    writeFileSync(secret, "root only\n", { mode: 0o600 });
    const second = join(dir, "disk0.qcow2");
    linkSync(secret, second);
    await expect(ownForQemu(second, 0o600)).rejects.toThrow(`"${second}" has 2 hard links: only a file with one name is given to the QEMU user "vmctl-qemu"`);
    expect([statSync(secret).uid, statSync(secret).gid, statSync(secret).mode & 0o777]).toEqual([0, 0, 0o600]);
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", ["-m", "600", fifo]);
    await expect(ownForQemu(fifo, 0o600)).rejects.toThrow(`"${fifo}" is not a plain file or folder (a FIFO)`);
    expect(statSync(fifo).uid).toBe(0);
  });
});
