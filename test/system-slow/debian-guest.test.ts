// Slow tier: the Debian 12 guest (built or cached by `vmctl guest build --debian`) boots under TCG
// on a qcow2 overlay, takes its user, ssh key and hostname from a NoCloud seed ISO, and lets that
// user in over ssh with the key generated for this run.
//
// QEMU is started here directly, not through vmctld: vmctld's NICs are user-mode NAT without a host
// port forward (so the host cannot reach the guest's sshd) and without restrict=on (so the guest
// could reach addresses off the machine), and its disks may not have a backing file outside their
// datastore. Here the only way in is a forward on 127.0.0.1 and the guest reaches nothing at all.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildDebianGuest, makeSeedIso, type DebianGuestImage } from "../../packages/guest/src/index.js";

const execFileP = promisify(execFile);
/** REAL-GUEST.md saw 32-59 s on two shared cores; a loaded CI machine needs far more headroom. */
const SSH_READY_MS = 300_000;

let image: DebianGuestImage;
let dir: string;
let qemu: ChildProcess | undefined;
let qemuExited: Promise<void> | undefined;

beforeAll(async () => {
  // A no-op when cached; as root with debootstrap installed, a cold build takes minutes.
  image = await buildDebianGuest({ log: (line) => process.stderr.write(`debian guest: ${line}\n`) });
  dir = await mkdtemp(join(tmpdir(), "vmctl-debian-test-"));
});

afterAll(async () => {
  if (qemu?.pid !== undefined && qemu.exitCode === null && qemu.signalCode === null) {
    process.kill(qemu.pid, "SIGKILL");
    await qemuExited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A loopback port nobody holds right now; QEMU fails at once (and says so) should it be taken meanwhile. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function sshArgs(key: string, port: number, user: string, command: string): string[] {
  return [
    "-F", "/dev/null", "-i", key, "-p", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
    `${user}@127.0.0.1`, command,
  ];
}

describe("the Debian guest", () => {
  it("boots on an overlay and lets the cloud-init user in over ssh with its key", async () => {
    const suffix = randomBytes(3).toString("hex");
    const hostname = `vmctl-slow-${suffix}`;
    const user = `tester${suffix}`;
    const key = join(dir, "id_ed25519");
    await execFileP("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `vmctl-slow-${suffix}`, "-f", key]);
    const publicKey = (await readFile(`${key}.pub`, "utf8")).trim();
    const seed = join(dir, "seed.iso");
    await makeSeedIso({ instanceId: `i-${suffix}`, hostname, users: [{ name: user, sshAuthorizedKeys: [publicKey], sudo: true }] }, seed);

    // Absolute backing path: a relative one would resolve from the overlay's folder.
    const overlay = join(dir, "root.qcow2");
    await execFileP("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", image.image, overlay]);
    const before = statSync(image.image);
    const port = await freePort();
    const consoleLog = join(dir, "console.log");
    const started = Date.now();
    const proc = spawn("qemu-system-x86_64", [
      "-machine", "q35", "-accel", "tcg", "-smp", "2", "-m", "1024", "-nodefaults", "-no-user-config", "-display", "none",
      "-kernel", image.kernel, "-initrd", image.initrd, "-append", image.cmdline,
      "-blockdev", `driver=file,filename=${overlay},node-name=root-file`, "-blockdev", "driver=qcow2,file=root-file,node-name=root",
      "-device", "virtio-blk-pci,drive=root",
      // The cloud kernel has no AHCI: the seed is a SCSI CD-ROM on virtio-scsi.
      "-device", "virtio-scsi-pci,id=scsi0",
      "-blockdev", `driver=file,filename=${seed},node-name=seed-file,read-only=on`, "-blockdev", "driver=raw,file=seed-file,node-name=seed,read-only=on",
      "-device", "scsi-cd,bus=scsi0.0,drive=seed",
      // restrict=on: the guest reaches no address at all, only the forward below reaches it (on loopback).
      "-netdev", `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:22`, "-device", "virtio-net-pci,netdev=net0",
      "-serial", `file:${consoleLog}`,
    ], { stdio: ["ignore", "ignore", "pipe"] });
    qemu = proc;
    let stderr = "";
    proc.stderr?.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
    qemuExited = new Promise<void>((resolve) => { proc.once("exit", () => resolve()); proc.once("error", () => resolve()); });
    const consoleTail = () => { try { return readFileSync(consoleLog, "latin1").slice(-3000); } catch { return "(no console output)"; } };

    // The forward accepts at once and closes while sshd is not up yet: retry until a login works.
    let out = "";
    let lastError = "";
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`QEMU exited (${proc.exitCode ?? proc.signalCode}): ${stderr}`);
      if (Date.now() - started > SSH_READY_MS) {
        throw new Error(`no ssh login within ${SSH_READY_MS / 1000} s; last ssh error: ${lastError}\nconsole:\n${consoleTail()}`);
      }
      try {
        ({ stdout: out } = await execFileP("ssh", sshArgs(key, port, user, "hostname; id -un; sudo -n id -u"), { timeout: 30_000 }));
        break;
      } catch (error) {
        lastError = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim();
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`debian guest: boot to ssh login ${seconds.toFixed(1)} s (TCG, 2 vCPUs, 1 GiB)\n`);

    // The image's own hostname is vmctl-debian and it has no such user: both came from the seed.
    expect(out.trim().split("\n")).toEqual([hostname, user, "0"]);
    // The cached image stays as built: every write went to the overlay.
    const after = statSync(image.image);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
  });
});
