// Races and crashes against the lifecycle with real QEMU: a QEMU held still (SIGSTOP) keeps vmctld
// inside a start, a snapshot or a pause for as long as the test wants, so a stop, a destroy, QEMU's
// death or a kill -9 of vmctld lands at exactly that point. A start is held by the QEMU binary
// vmctld is given here: a wrapper that, while a hold file exists, stops itself before it becomes QEMU
// (same pid, a command line like QEMU's), so the hold never loses a race with QMP's first answer. Whatever happens, no
// move outside the table (IllegalTransitionError) is ever logged, reconcile takes every stored
// state, and no QEMU is left running that vmctld does not know.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { VM_STATES, type VmState } from "@vmctl/api-types";
import { isAlive } from "../../packages/qemu/src/index.js";
import { TestHost, ConsoleReader, GUEST_READY_LINE, guestDefinition, waitForState } from "./harness.js";

let host: TestHost;
/** Every QEMU a test froze: killed at the end if a failed test left it (one vmctld lost sight of has no pidfile to be found by). */
const frozen = new Set<number>();
/** Where the wrapper looks for its hold file: readable by the QEMU user, who runs the wrapper. */
const wrapperDir = mkdtempSync(join(tmpdir(), "vmctl-hold-"));
const holdFile = join(wrapperDir, "hold");
beforeAll(async () => {
  chmodSync(wrapperDir, 0o755);
  const qemu = execFileSync("sh", ["-c", "command -v qemu-system-x86_64"], { encoding: "utf8" }).trim();
  // exec -a gives the held process QEMU's name as argv[0]; after SIGCONT it execs QEMU itself.
  writeFileSync(join(wrapperDir, "qemu-held"), [
    "#!/bin/bash",
    `if [ -e ${JSON.stringify(holdFile)} ]; then`,
    `  exec -a qemu-system-x86_64 /bin/bash -c 'kill -STOP $$; exec ${qemu} "$@"' qemu-system-x86_64 "$@"`,
    "fi",
    `exec ${qemu} "$@"`,
    "",
  ].join("\n"), { mode: 0o755 });
  host = await TestHost.start({ config: `qemu = ${JSON.stringify(join(wrapperDir, "qemu-held"))}\n` });
});
afterAll(async () => {
  for (const pid of frozen) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  await host?.close();
  rmSync(wrapperDir, { recursive: true, force: true });
});
// A bug in vmctld shows as an error in its log: none of these may appear, whatever the test did.
afterEach(() => {
  expect(host.log).not.toMatch(/IllegalTransitionError|may not move VM|could not reconcile VM|no action holds VM/);
});

/** The pid of the QEMU of VM `name` (its command line names the VM's QMP socket), if one runs. */
function findQemu(name: string): number | undefined {
  const qmp = join(host.home, "run", name, "qmp.sock");
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (/qemu-system/.test(argv[0] ?? "") && argv.some((a) => a.includes(qmp))) return Number(entry);
    } catch { /* gone meanwhile */ }
  }
  return undefined;
}

/** The pid of a qemu-img whose command line names `path`, if one runs. */
function findQemuImg(path: string): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (/qemu-img$/.test(argv[0] ?? "") && argv.some((a) => a.includes(path))) return Number(entry);
    } catch { /* gone meanwhile */ }
  }
  return undefined;
}

/** Waits for a process `find` names and freezes it (SIGSTOP). */
async function freeze(what: string, find: () => number | undefined): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pid = find();
    if (pid !== undefined) {
      process.kill(pid, "SIGSTOP");
      frozen.add(pid);
      return pid;
    }
    if (Date.now() > deadline) throw new Error(`no ${what} appeared`);
    await new Promise((r) => setImmediate(r));
  }
}

/** The next QEMU launched stops itself before it is QEMU, until the test sends it SIGCONT. */
function holdNextLaunch(): void {
  writeFileSync(holdFile, "");
}

const stoppedProcess = (pid: number) => {
  try {
    // The state follows the command name in parentheses, which may itself hold spaces or parentheses.
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").startsWith("T");
  } catch {
    return false;
  }
};

/** Waits for VM `name`'s held launch to stop itself, before it can answer QMP, and ends the hold. */
async function freezeQemuOnLaunch(name: string): Promise<number> {
  const pid = await freeze(`held QEMU of "${name}"`, () => {
    const found = findQemu(name);
    return found !== undefined && stoppedProcess(found) ? found : undefined;
  });
  rmSync(holdFile, { force: true });
  return pid;
}

const stored = (name: string): VmState | undefined => {
  const db = new Database(join(host.home, "vmctld.db"), { readonly: true });
  try {
    return (db.prepare("SELECT state FROM vm_runtime WHERE name = ?").get(name) as { state: VmState } | undefined)?.state;
  } finally {
    db.close();
  }
};

const status = (promise: Promise<unknown>) => promise.then(() => 200, (error: { status?: number }) => error.status);

describe("races in the lifecycle, with real QEMU", () => {
  it("a stop asked while the VM is starting waits for the start, then stops it; destroy is refused meanwhile", async () => {
    await host.client.createVm(guestDefinition("held"));
    holdNextLaunch();
    const start = await host.client.power("held", { action: "start" });
    const pid = await freezeQemuOnLaunch("held");
    await waitForState(host.client, "held", "starting");
    const stop = await host.client.power("held", { action: "stop", force: true });
    expect(await status(host.client.call("DELETE", "/api/v1/vms/held"))).toBe(409);
    // Desired state "stopped" while starting: a task (202) that stops the VM once the start is done.
    const desired = await host.client.call<{ id: string; op: string }>("PUT", "/api/v1/vms/held/state", { state: "stopped" });
    expect(desired.op).toBe("vm.set_state");
    process.kill(pid, "SIGCONT");
    expect((await host.client.waitTask(start.id)).state).toBe("success");
    expect((await host.client.waitTask(stop.id)).state).toBe("success");
    expect((await host.client.waitTask(desired.id)).state).toBe("success");
    await waitForState(host.client, "held", "stopped");
    const moves = (await host.client.listEvents({ vm: "held", type: "vm.state" })).map((e) => `${e.data.from}>${e.data.to}`);
    expect(moves).toEqual(["stopped>starting", "starting>running", "running>stopping", "stopping>stopped"]);
    expect(isAlive(pid)).toBe(false);
  });

  it("QEMU killed while the start waits for it: the start fails, the VM is stopped and starts again", async () => {
    await host.client.createVm(guestDefinition("shot"));
    holdNextLaunch();
    const start = await host.client.power("shot", { action: "start" });
    const pid = await freezeQemuOnLaunch("shot");
    await waitForState(host.client, "shot", "starting");
    process.kill(pid, "SIGKILL");
    const failed = await host.client.waitTask(start.id);
    expect(failed.state, JSON.stringify(failed)).toBe("error");
    // Killed before it answered QMP, the launch fails: the VM is stopped, and starts again.
    expect((await host.client.getVm("shot")).state).toBe("stopped");
    expect((await host.client.waitTask((await host.client.power("shot", { action: "start" })).id)).state).toBe("success");
    expect((await host.client.waitTask((await host.client.power("shot", { action: "stop", force: true })).id)).state).toBe("success");
  });

  it("QEMU dying during a live snapshot or a pause: the task fails, the VM is crashed, and the snapshot is not listed", async () => {
    await host.client.createVm(guestDefinition("snapper", { disks: { disk0: { file: "snapper/disk0.qcow2", size: "64MiB" } } }));
    for (const step of ["snapshot", "pause"] as const) {
      await host.client.waitTask((await host.client.power("snapper", { action: "start" })).id);
      const pid = host.qemuPid("snapper")!;
      process.kill(pid, "SIGSTOP");
      const task = step === "snapshot"
        ? await host.client.call<{ id: string }>("POST", "/api/v1/vms/snapper/snapshots", { name: "doomed", memory: true })
        : await host.client.power("snapper", { action: "pause" });
      if (step === "snapshot") await waitForState(host.client, "snapper", "snapshotting");
      else await expect.poll(async () => (await host.client.getTask(task.id)).state).toBe("running");
      process.kill(pid, "SIGKILL");
      expect((await host.client.waitTask(task.id)).state).toBe("error");
      await waitForState(host.client, "snapper", "crashed");
    }
    expect((await host.client.call<{ snapshots: unknown[] }>("GET", "/api/v1/vms/snapper/snapshots")).snapshots).toEqual([]);
    expect((await host.client.waitTask((await host.client.power("snapper", { action: "start" })).id)).state).toBe("success");
    expect((await host.client.waitTask((await host.client.power("snapper", { action: "stop", force: true })).id)).state).toBe("success");
  });

  it("kill -9 of vmctld in the middle of a start, its QEMU not answering yet: after the restart no QEMU is left behind and the VM starts", async () => {
    await host.client.createVm(guestDefinition("midstart"));
    holdNextLaunch();
    await host.client.power("midstart", { action: "start" });
    const pid = await freezeQemuOnLaunch("midstart");
    await waitForState(host.client, "midstart", "starting");
    await host.killDaemon();
    expect(stored("midstart")).toBe("starting");
    // The QEMU vmctld launched is alive but has not answered QMP: the new vmctld must not lose it.
    await host.startDaemon();
    const vm = await host.client.getVm("midstart");
    if (isAlive(pid)) {
      expect(vm).toMatchObject({ pid });
      expect(["running", "paused"]).toContain(vm.state);
    } else {
      expect(["crashed", "stopped"]).toContain(vm.state);
    }
    if (isAlive(pid)) process.kill(pid, "SIGCONT");
    if (vm.state === "running" || vm.state === "paused") await host.client.waitTask((await host.client.power("midstart", { action: "stop", force: true })).id);
    expect((await host.client.waitTask((await host.client.power("midstart", { action: "start" })).id)).state).toBe("success");
    expect(findQemu("midstart")).toBe(host.qemuPid("midstart"));
    expect((await host.client.waitTask((await host.client.power("midstart", { action: "stop", force: true })).id)).state).toBe("success");
  });

  it("kill -9 of vmctld while a suspended VM resumes: it is suspended again with its saved state, and the next resume continues the guest", async () => {
    await host.client.createVm(guestDefinition("dreamer"));
    await host.client.waitTask((await host.client.power("dreamer", { action: "start" })).id);
    let console = await ConsoleReader.open(host.client, "dreamer");
    await console.waitFor(GUEST_READY_LINE);
    await console.run("DREAM=kept-$((40+2))");
    console.close();
    expect((await host.client.waitTask((await host.client.power("dreamer", { action: "suspend" })).id)).state).toBe("success");
    const saved = join(host.home, "datastores/local/dreamer/dreamer.vmstate");
    expect(existsSync(saved)).toBe(true);

    holdNextLaunch();
    await host.client.power("dreamer", { action: "resume" });
    const pid = await freezeQemuOnLaunch("dreamer");
    await waitForState(host.client, "dreamer", "starting");
    await host.killDaemon();
    // QEMU comes up waiting for the saved state that the killed vmctld never sent it.
    process.kill(pid, "SIGCONT");
    await host.startDaemon();
    expect(await host.client.getVm("dreamer")).toMatchObject({ state: "suspended", lastExitReason: expect.any(String) });
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(saved)).toBe(true);

    expect((await host.client.waitTask((await host.client.power("dreamer", { action: "resume" })).id)).state).toBe("success");
    console = await ConsoleReader.open(host.client, "dreamer");
    expect(await console.run("echo $DREAM")).toContain("kept-42");
    console.close();
    expect((await host.client.waitTask((await host.client.power("dreamer", { action: "stop", force: true })).id)).state).toBe("success");
  });

  it("kill -9 of vmctld during a full clone: the source is stopped again, the half-made copy is removed and the name is free", async () => {
    await host.client.createVm(guestDefinition("original", { disks: { disk0: { file: "original/disk0.img", format: "raw", size: "256MiB" } } }));
    // Data to copy (a sparse image copies in no time): the copy takes long enough to be caught.
    const source = join(host.home, "datastores/local/original/disk0.img");
    writeFileSync(source, randomBytes(256 * 1024 * 1024));
    const copy = join(host.home, "datastores/local/copy");
    const clone = host.client.call<{ id: string }>("POST", "/api/v1/vms/original/clone", { name: "copy" });
    // The copy's folder is made first; its definition is written once qemu-img has read the source: frozen, it never has.
    while (!existsSync(copy)) await new Promise((r) => setImmediate(r));
    const copying = await freeze("qemu-img reading the clone's source", () => findQemuImg(source));
    await clone;
    await host.killDaemon();
    // Nothing but a VM's QEMU outlives vmctld: its qemu-img dies with it (setpriv --pdeathsig), frozen or not.
    for (let i = 0; i < 100 && isAlive(copying); i++) await new Promise((r) => setTimeout(r, 50));
    expect(isAlive(copying)).toBe(false);
    expect(existsSync(join(copy, "copy.toml"))).toBe(false);
    expect(stored("original")).toBe("cloning");
    // A definition write cut off in the source's folder leaves its temp file: it is no VM and goes too.
    const temp = join(host.home, "datastores/local/original/.original.toml.12345.1796220000000.tmp");
    writeFileSync(temp, "name = \"orig");
    await host.startDaemon();
    expect((await host.client.getVm("original")).state).toBe("stopped");
    expect(existsSync(copy)).toBe(false);
    expect(existsSync(temp)).toBe(false);
    expect((await host.client.listVms()).map((vm) => vm.name)).not.toContain("copy");
    const again = await host.client.call<{ id: string }>("POST", "/api/v1/vms/original/clone", { name: "copy" });
    expect((await host.client.waitTask(again.id)).state).toBe("success");
    expect(readdirSync(copy).sort()).toEqual(["copy.toml", "disk0.img"]);
  });

  it("reconcile takes every stored state: a VM without QEMU ends where it can act again, one with QEMU is re-attached", async () => {
    const names = VM_STATES.map((state) => `at-${state}`);
    for (const name of [...names, "at-unknown", "at-resuming", "alive"]) await host.client.createVm(guestDefinition(name));
    await host.client.waitTask((await host.client.power("alive", { action: "start" })).id);
    const alivePid = host.qemuPid("alive")!;
    await host.killDaemon();
    const db = new Database(join(host.home, "vmctld.db"));
    VM_STATES.forEach((state, i) => db.prepare("UPDATE vm_runtime SET state = ? WHERE name = ?").run(state, names[i]));
    // Killed during a live snapshot (its QEMU lives on), and a row from a release with a state this one does not know.
    db.prepare("UPDATE vm_runtime SET state = 'snapshotting' WHERE name = 'alive'").run();
    db.prepare("UPDATE vm_runtime SET state = 'hibernating' WHERE name = 'at-unknown'").run();
    // Cut off in a resume from its saved state (that QEMU gone too, a host reboot say): the state file is still there.
    db.prepare("UPDATE vm_runtime SET state = 'starting' WHERE name = 'at-resuming'").run();
    writeFileSync(join(host.home, "datastores/local/at-resuming/at-resuming.vmstate"), "a saved state\n");
    db.close();
    await host.startDaemon();

    const after = Object.fromEntries((await host.client.listVms()).map((vm) => [vm.name, vm.state]));
    const expected: Record<VmState, VmState> = {
      stopped: "stopped", crashed: "crashed", suspended: "suspended", cloning: "stopped", exporting: "stopped",
      // vmctld was stopping it and QEMU is gone: the stop it was asked for happened, no crash.
      stopping: "stopped",
      starting: "crashed", running: "crashed", paused: "crashed", snapshotting: "crashed", migrating: "crashed",
    };
    expect(Object.fromEntries(VM_STATES.map((state) => [state, after[`at-${state}`]]))).toEqual(expected);
    expect(after["at-unknown"]).toBe("stopped");
    expect(after["at-resuming"]).toBe("suspended");
    expect(await host.client.getVm("alive")).toMatchObject({ state: "running", pid: alivePid });
    expect((await host.client.waitTask((await host.client.power("alive", { action: "stop", force: true })).id)).state).toBe("success");
    expect((await host.client.waitTask((await host.client.power("at-stopping", { action: "start" })).id)).state).toBe("success");
    expect((await host.client.waitTask((await host.client.power("at-stopping", { action: "stop", force: true })).id)).state).toBe("success");
    // A crash policy is for crashes: the VM stopped while vmctld was down is not restarted.
    expect(await host.client.listEvents({ vm: "at-stopping", type: "vm.crashed" })).toEqual([]);
  });
});
