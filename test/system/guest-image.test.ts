// System test: builds the demo guest, boots it under TCG, talks to its serial shell and powers it off via QMP;
// and boots its disk.img through vmctld, as a VM with no kernel.
import { describe, it, expect, afterEach } from "vitest";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { statSync } from "node:fs";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { buildGuest, defaultGuestDir, GUEST_READY_LINE, type GuestImage } from "../../packages/guest/src/index.js";
import { ConsoleReader, TestHost } from "./harness.js";

const execFileP = promisify(execFile);

interface Vm {
  proc: ChildProcess;
  dir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

const vms: Vm[] = [];

afterEach(async () => {
  for (const vm of vms.splice(0)) {
    if (vm.proc.exitCode === null && vm.proc.signalCode === null && vm.proc.pid !== undefined) {
      try { process.kill(vm.proc.pid, "SIGKILL"); } catch { /* already gone */ }
      await vm.exited;
    }
    await rm(vm.dir, { recursive: true, force: true });
  }
});

async function bootGuest(image: GuestImage): Promise<Vm> {
  const dir = await mkdtemp(join(tmpdir(), "vmctl-guest-test-"));
  const disk = join(dir, "disk.qcow2");
  await execFileP("qemu-img", ["create", "-q", "-f", "qcow2", disk, "64M"]);
  const proc = spawn("qemu-system-x86_64", [
    "-machine", "q35", "-accel", "tcg", "-m", "256", "-nodefaults", "-no-user-config", "-display", "none",
    "-kernel", image.kernel, "-initrd", image.initrd, "-append", image.cmdline,
    "-chardev", `socket,id=s0,path=${join(dir, "serial.sock")},server=on,wait=off`, "-serial", "chardev:s0",
    "-chardev", `socket,id=qmp,path=${join(dir, "qmp.sock")},server=on,wait=off`, "-mon", "chardev=qmp,mode=control",
    "-drive", `file=${disk},if=virtio`,
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr?.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on("exit", (code, signal) => resolve({ code, signal }));
    proc.on("error", () => resolve({ code: null, signal: null }));
  });
  const vm = { proc, dir, exited, stderr: () => stderr };
  vms.push(vm);
  return vm;
}

/** QEMU creates its sockets during startup; retry until they accept (or QEMU died). */
async function connectSocket(vm: Vm, path: string, timeoutMs = 10_000): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const sock = connect(path);
        sock.once("connect", () => { sock.off("error", reject); resolve(sock); });
        sock.once("error", reject);
      });
    } catch (error) {
      if (vm.proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(`cannot connect to ${path}: ${String(error)}; qemu stderr: ${vm.stderr()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Collects everything a socket says and lets the test wait for a pattern in it. */
function transcript(sock: Socket) {
  let text = "";
  const waiters = new Set<() => void>();
  sock.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk;
    for (const w of [...waiters]) w();
  });
  return {
    text: () => text,
    waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(text.slice(from));
          if (!m) return;
          cleanup();
          resolve(m);
        };
        const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${pattern}; got:\n${text}`)); }, timeoutMs);
        const cleanup = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function bootToShell(image: GuestImage) {
  const started = Date.now();
  const vm = await bootGuest(image);
  const serialSock = await connectSocket(vm, join(vm.dir, "serial.sock"));
  const serial = transcript(serialSock);
  const died = vm.exited.then((r) => { throw new Error(`QEMU exited early (${JSON.stringify(r)}): ${vm.stderr()}\n${serial.text()}`); });
  await Promise.race([serial.waitFor(new RegExp(`^${escapeRe(GUEST_READY_LINE)}\\r?$`, "m"), 60_000), died]);
  const bootMs = Date.now() - started;
  console.log(`guest boot to ready line: ${bootMs} ms`);
  // Typed right after the ready line, with no wait for the prompt: the line promises input is safe.
  const marker = `marker-${randomBytes(6).toString("hex")}`;
  const sentAt = serial.text().length;
  serialSock.write(`echo ${marker}\n`);
  // Only the command's output puts the marker alone on a line; the tty echo shows "echo marker-...".
  await serial.waitFor(new RegExp(`^${marker}\\r?$`, "m"), 20_000, sentAt);
  return { vm, serialSock, serial, bootMs };
}

async function qmpSession(vm: Vm) {
  const sock = await connectSocket(vm, join(vm.dir, "qmp.sock"));
  const messages: Array<Record<string, unknown>> = [];
  const out = transcript(sock);
  const parsed = () => {
    messages.length = 0;
    for (const line of out.text().split("\n")) if (line.trim() !== "") messages.push(JSON.parse(line) as Record<string, unknown>);
    return messages;
  };
  await out.waitFor(/"QMP"/, 10_000);
  const execute = async (command: string) => {
    const before = out.text().length;
    sock.write(`${JSON.stringify({ execute: command })}\n`);
    await out.waitFor(/"return"|"error"/, 10_000, before);
    const reply = parsed().filter((m) => "return" in m || "error" in m).at(-1);
    if (reply && "error" in reply) throw new Error(`${command}: ${JSON.stringify(reply.error)}`);
  };
  await execute("qmp_capabilities");
  const shutdownEvent = async () => {
    // QEMU writes the event before exiting, but its exit can be noticed before the socket is read.
    await out.waitFor(/"SHUTDOWN"/, 5_000);
    return parsed().find((m) => m.event === "SHUTDOWN");
  };
  return { sock, execute, shutdownEvent };
}

async function expectExitWithin(vm: Vm, ms: number) {
  const result = await Promise.race([
    vm.exited,
    new Promise<"timeout">((r) => setTimeout(() => r("timeout"), ms)),
  ]);
  expect(result, `QEMU did not exit by itself within ${ms} ms`).not.toBe("timeout");
  expect(result).toEqual({ code: 0, signal: null });
}

describe("demo guest image", () => {
  let image: GuestImage | undefined;

  it("builds into the shared cache and then reuses it", async () => {
    image = await buildGuest({ outDir: defaultGuestDir() });
    expect(image.kernelVersion).toMatch(/cloud-amd64$/);
    const started = performance.now();
    const again = await buildGuest({ outDir: defaultGuestDir() });
    const ms = performance.now() - started;
    expect(again).toEqual({ ...image, cached: true });
    expect(statSync(image.disk).size).toBe(64 << 20);
    // Generous bound: the point is "no rebuild", not a benchmark on a loaded machine.
    expect(ms).toBeLessThan(500);
  }, 300_000);

  it("boots to a serial shell and powers off on the ACPI power button", async () => {
    image ??= await buildGuest();
    const { vm, serialSock } = await bootToShell(image);
    const qmp = await qmpSession(vm);
    await qmp.execute("system_powerdown");
    await expectExitWithin(vm, 30_000);
    expect((await qmp.shutdownEvent())?.data).toMatchObject({ guest: true, reason: "guest-shutdown" });
    serialSock.destroy();
    qmp.sock.destroy();
  }, 120_000);

  it("powers off when poweroff is typed in the shell", async () => {
    image ??= await buildGuest();
    const { vm, serialSock } = await bootToShell(image);
    const qmp = await qmpSession(vm);
    serialSock.write("poweroff\n");
    await expectExitWithin(vm, 30_000);
    expect((await qmp.shutdownEvent())?.data).toMatchObject({ guest: true, reason: "guest-shutdown" });
    serialSock.destroy();
    qmp.sock.destroy();
  }, 120_000);

  it("boots disk.img through vmctld as a VM with no kernel, to the ready line on the serial console", async () => {
    image ??= await buildGuest();
    const host = await TestHost.start();
    try {
      // A copy: the VM may write to its disk, and the cached image is shared by every test.
      await copyFile(image.disk, join(host.home, "datastores/local/diskboot.img"));
      await host.client.createVm({ name: "diskboot", memory: "256MiB", disks: { disk0: { file: "diskboot.img", format: "raw", bus: "virtio" } } });
      const started = Date.now();
      expect(await host.cli(["start", "diskboot"])).toMatchObject({ code: 0 });
      const serial = await ConsoleReader.open(host.client, "diskboot");
      await serial.waitFor(GUEST_READY_LINE, 90_000);
      console.log(`disk.img boot to ready line (vmctl start included): ${Date.now() - started} ms`);
      // SYSLINUX, not QEMU's -kernel, passed the command line: it adds BOOT_IMAGE and initrd=.
      expect(await serial.run("cat /proc/cmdline")).toMatch(/BOOT_IMAGE=\/vmlinuz .*initrd=\/initrd\.img/);
      serial.close();
    } finally {
      await host.close();
    }
  }, 180_000);
});
