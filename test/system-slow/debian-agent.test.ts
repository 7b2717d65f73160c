// Slow tier: the QEMU guest agent of the Debian 12 guest, through vmctld. One boot, in a network
// namespace this file makes (vmctld, its nat network, dnsmasq and the guest's traffic never leave
// it): the agent connects and vmctld shows the OS and hostname; the agent's addresses reach the
// VM's addresses; a restarted vmctld connects to the running guest's agent again; the agent sets
// root's password (which then logs in on the serial console); a snapshot of the running guest
// freezes and thaws its filesystems (as the guest's own journal shows); a revert to a snapshot
// with memory thaws the guest (its memory was saved frozen) and sets its clock, as a resume from
// suspend does; and `vmctl stop` shuts the guest down through the agent, long before the stop
// timeout.
//
// The image cache lies under /root, which QEMU's unprivileged user cannot traverse: the base image,
// kernel and initrd are copied into a datastore folder of this file, and the VM's disk is a qcow2
// overlay on that copy with an absolute backing path (a datastore file no VM owns, as a base image is).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile, constants } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildDebianGuest, type DebianGuestImage } from "../../packages/guest/src/index.js";
import type { Task, VmDetail } from "../../packages/api-types/src/index.js";
import { TestHost, ConsoleReader, runCliWithInput } from "../system/harness.js";

const run = promisify(execFile);
const NS = `vmctl-ga-${randomBytes(4).toString("hex")}`;
const VM = `agent-${randomBytes(3).toString("hex")}`;
/** REAL-GUEST.md saw boot-to-ssh in about a minute on two shared cores; a loaded machine needs headroom. */
const BOOT_MS = 400_000;
const STOP_TIMEOUT_S = 240;

let image: DebianGuestImage;
let store: string;
let host: TestHost | undefined;
let console: ConsoleReader | undefined;

/** Polls `read` until `ok` holds (or fails with the last value seen after ms). */
async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, ms = BOOT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000} s; last: ${JSON.stringify(last)}\nconsole:\n${console?.text.slice(-2000) ?? ""}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

beforeAll(async () => {
  image = await buildDebianGuest({ log: (line) => process.stderr.write(`debian guest: ${line}\n`) });
  store = await mkdtemp(join(tmpdir(), "vmctl-agent-store-"));
  await chmod(store, 0o755);
  for (const file of [image.kernel, image.initrd, image.image]) {
    const target = join(store, file === image.image ? "debian-12.qcow2" : file === image.kernel ? "vmlinuz" : "initrd.img");
    await copyFile(file, target, constants.COPYFILE_FICLONE);
    await chmod(target, 0o644);
  }
  await mkdir(join(store, "disks"), { mode: 0o755 });
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", join(store, "debian-12.qcow2"), join(store, "disks", `${VM}.qcow2`)]);
  await run("ip", ["netns", "add", NS]);
  await run("ip", ["-n", NS, "link", "set", "lo", "up"]);
  // TestHost.start names the fast tier's busybox datastore; this one has its own.
  const home = await mkdtemp(join(tmpdir(), "vmctl-test-"));
  await writeFile(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\nlog_level = "warn"\n[datastores.debian]\npath = ${JSON.stringify(store)}\n`);
  host = new (TestHost as unknown as new (home: string, netns?: string) => TestHost)(home, NS);
  await host.startDaemon();
});

afterAll(async () => {
  console?.close();
  await host?.close().catch(() => {});
  for (const pid of (await run("ip", ["netns", "pids", NS]).catch(() => ({ stdout: "" }))).stdout.split("\n").filter(Boolean)) {
    try { process.kill(Number(pid), "SIGKILL"); } catch { /* gone */ }
  }
  await run("ip", ["netns", "del", NS]).catch(() => {});
  if (store) await rm(store, { recursive: true, force: true });
});

const cli = (args: string[]) => host!.cli(args);
const taskOf = async (task: Task) => host!.client.waitTask(task.id);
/** A task's log lines without their timestamps. */
const logOf = (task: Task) => task.log.map((line) => line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ""));

describe("the Debian guest's QEMU guest agent through vmctld", () => {
  it("connects, reports OS, hostname and addresses, sets a password, freezes for a snapshot and shuts the guest down", async () => {
    const client = host!.client;
    await client.createVm({
      name: VM, cpus: 2, memory: "768MiB",
      boot: { datastore: "debian", kernel: "vmlinuz", initrd: "initrd.img", cmdline: image.cmdline },
      disks: { root: { datastore: "debian", file: `disks/${VM}.qcow2`, format: "qcow2" } },
      nics: { net0: { network: "default" } },
      policy: { stop_timeout: STOP_TIMEOUT_S },
    });
    // Not connected before it runs, and in the listing too.
    expect((await client.getVm(VM)).agent).toEqual({ connected: false });
    console = await ConsoleReader.open(client, VM);
    const started = Date.now();
    expect((await taskOf(await client.power(VM, { action: "start" }))).state).toBe("success");

    const vm = await until("the agent's connection", () => client.getVm(VM), (v: VmDetail) => v.agent?.connected === true && v.agent.os !== undefined && v.agent.hostname !== undefined);
    process.stdout.write(`debian agent: connected ${((Date.now() - started) / 1000).toFixed(1)} s after the start (TCG)\n`);
    expect(vm.agent).toMatchObject({ connected: true, os: { name: expect.stringMatching(/^Debian/), version: expect.stringMatching(/^12/) }, hostname: "vmctl-debian" });
    expect((await cli(["show", VM])).stdout).toMatch(/^agent: +connected \(Debian GNU\/Linux 12\)/m);
    const listed = (await client.listVms()).find((v) => v.name === VM);
    expect(listed?.agent).toEqual({ connected: true });

    // The agent's addresses: the guest's lease on the default nat network, reported per NIC.
    const { subnet } = await client.network("default");
    const prefix = subnet!.split(".").slice(0, 3).join(".");
    const withAddress = await until("an agent address", () => client.getVm(VM), (v) => v.addresses.some((a) => a.source === "agent" && a.ip.startsWith(`${prefix}.`)));
    const mac = (withAddress.definition!.nics as Record<string, { mac: string }>).net0!.mac;
    expect(withAddress.addresses).toContainEqual({ nic: "net0", mac, ip: expect.stringMatching(new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.\\d+$`)), source: "agent" });
    const ls = JSON.parse((await cli(["ls", "--json"])).stdout) as Array<{ name: string; addresses: Array<{ source: string }> }>;
    expect(ls.find((v) => v.name === VM)?.addresses.some((a) => a.source === "agent")).toBe(true);

    // vmctld killed and started again: the new one connects afresh to the running guest's agent
    // (whatever the old connection left in the channel is stale and dropped).
    console.close();
    await host!.killDaemon();
    await host!.startDaemon();
    await until("the agent after a vmctld restart", () => client.getVm(VM), (v) => v.agent?.connected === true && v.agent.hostname === "vmctl-debian", 120_000);
    console = await ConsoleReader.open(client, VM);

    // The agent sets root's password (read from stdin, never echoed back); it logs in on the serial console.
    const password = `pw-${randomBytes(6).toString("hex")}`;
    const set = await runCliWithInput(["--home", host!.home, "guest", "password", VM, "root", "--password-stdin"], {}, `${password}\n`);
    expect(set).toMatchObject({ code: 0, stdout: `password of root set in ${VM} (guest agent)\n` });
    expect(set.stdout + set.stderr).not.toContain(password);
    const loginFrom = console.text.length;
    console.type("\n");
    await console.waitFor(/login: $/m, 60_000, loginFrom);
    console.type("root\n");
    await console.waitFor("Password:", 30_000, loginFrom);
    console.type(`${password}\n`);
    await console.waitFor(/root@vmctl-debian:~# $/m, 60_000, loginFrom);
    expect(await console.run("id -u")).toMatch(/^0\r?$/m);
    // The daemon's log never holds the password (the body is not logged, audited or in an event).
    expect(host!.log).not.toContain(password);
    expect(JSON.stringify(await client.listEvents({ vm: VM }))).not.toContain(password);

    // A snapshot of the running guest freezes its filesystems through the agent, then thaws them.
    const snapshot = await taskOf(await client.createSnapshot(VM, { name: "frozen", memory: false }));
    expect(snapshot.state).toBe("success");
    expect(logOf(snapshot)).toEqual(expect.arrayContaining([expect.stringMatching(/^filesystems frozen: [1-9]\d*$/), expect.stringMatching(/^filesystems thawed: [1-9]\d*$/)]));
    // The guest's own journal: qemu-ga logged the freeze and, logging back on, the thaw.
    const journal = await console.run("journalctl -u qemu-guest-agent --no-pager -o cat | grep -iE 'fsfreeze|unfreeze|thaw'", 60_000);
    expect(journal).toMatch(/guest-fsfreeze called/);
    expect(journal).toMatch(/filesystem unfreeze|thaw/i);
    // Thawed: the guest writes again.
    expect(await console.run("echo written > /root/after-thaw && cat /root/after-thaw")).toMatch(/^written\r?$/m);

    // A snapshot with memory holds the guest frozen (it was saved between freeze and thaw): the
    // revert thaws it through the agent and sets its clock, and the guest writes again.
    const withMemory = await taskOf(await client.createSnapshot(VM, { name: "with-memory" }));
    expect(withMemory.state).toBe("success");
    expect(logOf(withMemory)).toEqual(expect.arrayContaining([expect.stringMatching(/^filesystems frozen: [1-9]\d*$/), expect.stringMatching(/^filesystems thawed: [1-9]\d*$/)]));
    console.close();
    const revert = await taskOf(await client.revertSnapshot(VM, "with-memory"));
    expect(revert.state).toBe("success");
    expect(logOf(revert)).toEqual(expect.arrayContaining([expect.stringMatching(/^filesystems thawed: [1-9]\d* \(frozen when the snapshot was taken\)$/), "set the guest's clock to the host's time (guest agent)"]));

    // Suspended for a while, the guest's clock stood still; the resume sets it to the host's.
    expect((await taskOf(await client.power(VM, { action: "suspend" }))).state).toBe("success");
    await new Promise((r) => setTimeout(r, 20_000));
    const resume = await taskOf(await client.power(VM, { action: "resume" }));
    expect(resume.state).toBe("success");
    expect(logOf(resume)).toContain("set the guest's clock to the host's time (guest agent)");
    console = await ConsoleReader.open(client, VM);
    const [guestClock] = (await console.run("echo clock=$(date +%s)")).match(/clock=(\d+)/g)!.slice(-1).map((m) => Number(m.slice(6)));
    // Behind by the 20 s it was suspended without the agent; within a few seconds of the host with it.
    expect(Math.abs(guestClock! - Date.now() / 1000)).toBeLessThan(10);
    expect(await console.run("echo again > /root/after-revert && cat /root/after-revert")).toMatch(/^again\r?$/m);

    // vmctl stop asks the agent first; the guest powers off through it, no ACPI, no forcing.
    const stopStarted = Date.now();
    const stop = await cli(["stop", VM]);
    expect(stop.code).toBe(0);
    const [task] = await client.listTasks({ target: `vm/${VM}`, limit: 1 });
    expect(task).toMatchObject({ op: "vm.stop", state: "success" });
    expect(logOf(task!)).toContain("asked the guest agent to shut down");
    expect(logOf(task!).some((line) => /^the guest powered off through its agent in [\d.]+ s$/.test(line))).toBe(true);
    expect(logOf(task!).join("\n")).not.toMatch(/ACPI|quitting QEMU|SIGKILL/);
    process.stdout.write(`debian agent: vmctl stop through the agent took ${((Date.now() - stopStarted) / 1000).toFixed(1)} s (stop timeout ${STOP_TIMEOUT_S} s)\n`);
    const stopped = await client.getVm(VM);
    expect(stopped).toMatchObject({ state: "stopped", lastExitReason: "guest-shutdown", agent: { connected: false }, addresses: [] });
  });
});
