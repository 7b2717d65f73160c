// Live migration between two real vmctld on one machine (homes of their own, one shared datastore
// directory declared `shared = true` in both): the guest keeps its memory (a file in its tmpfs) and
// its uptime, the source's QEMU ends and the VM leaves the source's inventory; a cancelled migration
// leaves the VM running on the source; what cannot work is refused with the reason; only Admin may
// migrate; a cold register of copied files keeps the uuid.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE, waitForState } from "./harness.js";
import { https } from "./https-support.js";
import { isAlive } from "../../packages/qemu/src/index.js";
import type { IncomingMigrationAnswer, MigrationResult, MigrationStatus, Task, VmDetail } from "../../packages/api-types/src/index.js";

const run = promisify(execFile);
let shared: string;
let one: TestHost;
let two: TestHost;
let ids: { one: string; two: string };

const config = () => `[datastores.shared]\npath = ${JSON.stringify(shared)}\nshared = true\n`;
const incoming = (host: TestHost, vm: VmDetail) => host.client.call<IncomingMigrationAnswer>("POST", "/api/v1/migrations/incoming", { name: vm.name, uuid: vm.uuid, datastore: "shared" });
const status = (host: TestHost, id: string) => host.client.call<MigrationStatus>("GET", `/api/v1/migrations/${id}`);
const migrateOut = (host: TestHost, name: string, body: Record<string, unknown>) => host.client.call<Task>("POST", `/api/v1/vms/${name}/migrate-out`, body);
const uptime = async (console: ConsoleReader) => Number(/(\d+\.\d+) \d+\.\d+/.exec(await console.run("cat /proc/uptime"))![1]);
const owner = (name: string) => readFileSync(join(shared, name, ".vmctl-owner"), "utf8").trim();
const refusal = async (work: Promise<unknown>) => {
  try { await work; } catch (error) { return error as { status: number; code: string; message: string }; }
  throw new Error("not refused");
};

async function startGuest(host: TestHost, name: string, memory = "256MiB"): Promise<{ vm: VmDetail; console: ConsoleReader }> {
  const vm = await host.client.createVm(guestDefinition(name, { memory }), "shared");
  const console = await ConsoleReader.open(host.client, name);
  const task = await host.client.power(name, { action: "start" });
  expect((await host.client.waitTask(task.id)).state).toBe("success");
  await console.waitFor(GUEST_READY_LINE);
  return { vm, console };
}

beforeAll(async () => {
  shared = mkdtempSync(join(tmpdir(), "vmctl-shared-"));
  chmodSync(shared, 0o755);
  [one, two] = await Promise.all([TestHost.start({ config: config() }), TestHost.start({ config: config() })]);
  ids = { one: (await one.client.host()).id, two: (await two.client.host()).id };
});

afterAll(async () => {
  await Promise.all([one?.close(), two?.close()]);
  rmSync(shared, { recursive: true, force: true });
});

describe("live migration between two hosts on a shared datastore", () => {
  it("moves a running guest: its memory and uptime survive, the source's QEMU ends and the VM is the target's", async () => {
    const { vm, console: before } = await startGuest(one, "mover");
    expect(owner("mover")).toBe(ids.one);
    await before.run("echo kept-in-ram-$((6*7)) > /tmp/m");
    const upBefore = await uptime(before);
    const sourcePid = one.qemuPid("mover")!;
    expect(isAlive(sourcePid)).toBe(true);

    const target = await incoming(two, vm);
    expect(target.uri).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
    expect(await status(two, target.id)).toEqual({ id: target.id, name: "mover", state: "waiting" });
    expect((await two.client.listVms()).map((v) => v.name)).not.toContain("mover");

    const task = await migrateOut(one, "mover", { uri: target.uri, targetHost: ids.two });
    expect(task).toMatchObject({ op: "vm.migrate_out", target: "vm/mover" });
    const done = await one.client.waitTask(task.id);
    expect(done.state, JSON.stringify(done)).toBe("success");
    const result = done.result as MigrationResult;
    process.stderr.write(`vm-migration: 256 MiB guest: downtime ${result.downtimeMs} ms, total ${result.totalMs} ms, ${result.bytes} bytes\n`);
    // QEMU counts whole milliseconds: an idle guest's switch-over may take less than one.
    expect(result.downtimeMs).toBeGreaterThanOrEqual(0);
    expect(result.downtimeMs).toBeLessThan(2000);
    expect(result.bytes).toBeGreaterThan(1024 * 1024);
    expect(result.totalMs).toBeGreaterThan(0);
    expect(done.log.join("\n")).toMatch(/migration completed: .* MiB sent/);

    await expect.poll(async () => (await status(two, target.id)).state).toBe("completed");
    await waitForState(two.client, "mover", "running");
    expect(owner("mover")).toBe(ids.two);
    const after = await ConsoleReader.open(two.client, "mover");
    expect(await after.run("cat /tmp/m")).toContain("kept-in-ram-42");
    expect(await uptime(after)).toBeGreaterThanOrEqual(upBefore);
    after.close();
    before.close();

    await expect.poll(() => isAlive(sourcePid)).toBe(false);
    expect((await one.client.listVms()).map((v) => v.name)).not.toContain("mover");
    expect((await refusal(one.client.getVm("mover"))).status).toBe(404);
    const out = await one.client.listEvents({ type: "vm.migrated" });
    expect(out.map((e) => e.data)).toEqual([expect.objectContaining({ direction: "out", peerHost: ids.two, bytes: result.bytes })]);
    const inn = await two.client.listEvents({ type: "vm.migrated" });
    expect(inn.map((e) => e.data)).toEqual([expect.objectContaining({ direction: "in", peerHost: ids.one })]);
    // The source's QEMU ended as the migration's stop, never a crash.
    expect(await one.client.listEvents({ type: "vm.crashed" })).toEqual([]);
    const moves = (await one.client.listEvents({ type: "vm.state", vm: "mover" })).map((e) => e.data.to);
    expect(moves.slice(-2)).toEqual(["migrating", "stopped"]);
    // Stopped on the target as any VM of its own.
    const stop = await two.client.power("mover", { action: "stop", force: true });
    expect((await two.client.waitTask(stop.id)).state).toBe("success");
  });

  it("a cancelled migration (slowed to 1 MiB/s) leaves the VM running on the source and kills the target's QEMU", async () => {
    const { vm, console } = await startGuest(one, "stayer");
    const target = await incoming(two, vm);
    const task = await migrateOut(one, "stayer", { uri: target.uri, targetHost: ids.two, maxBandwidth: 1024 * 1024 });
    await waitForState(one.client, "stayer", "migrating");
    await expect.poll(async () => (await one.client.getTask(task.id)).progress).toBeGreaterThan(0);
    const targetPid = two.qemuPid("stayer")!;
    expect(isAlive(targetPid)).toBe(true);
    await one.client.cancelTask(task.id);
    expect((await one.client.waitTask(task.id)).state).toBe("cancelled");
    await waitForState(one.client, "stayer", "running");
    expect(await console.run("echo still-$((2+3))")).toContain("still-5");
    expect(owner("stayer")).toBe(ids.one);
    await expect.poll(async () => (await status(two, target.id)).state).toMatch(/^(failed|cancelled)$/);
    await expect.poll(() => isAlive(targetPid)).toBe(false);
    expect((await two.client.listVms()).map((v) => v.name)).not.toContain("stayer");
    console.close();

    // A second incoming one, never used, ends with DELETE (its QEMU killed).
    const unused = await incoming(two, vm);
    const unusedPid = two.qemuPid("stayer")!;
    expect(await two.client.call("DELETE", `/api/v1/migrations/${unused.id}`)).toMatchObject({ state: "cancelled" });
    await expect.poll(() => isAlive(unusedPid)).toBe(false);
    expect((await one.client.getVm("stayer")).state).toBe("running");

    // A paused guest arrives paused (QEMU's own switch-over keeps the source's run state).
    const pause = await one.client.power("stayer", { action: "pause" });
    expect((await one.client.waitTask(pause.id)).state).toBe("success");
    const again = await incoming(two, vm);
    const moved = await one.client.waitTask((await migrateOut(one, "stayer", { uri: again.uri, targetHost: ids.two })).id);
    expect(moved.state, JSON.stringify(moved)).toBe("success");
    await expect.poll(async () => (await status(two, again.id)).state).toBe("completed");
    await waitForState(two.client, "stayer", "paused");
    const resume = await two.client.power("stayer", { action: "resume" });
    expect((await two.client.waitTask(resume.id)).state).toBe("success");
    const there = await ConsoleReader.open(two.client, "stayer");
    expect(await there.run("echo moved-$((3+4))")).toContain("moved-7");
    there.close();

    // And back to the host it left (its run dir there is the old QEMU's): the owner file follows.
    const back = await incoming(one, vm);
    const returned = await two.client.waitTask((await migrateOut(two, "stayer", { uri: back.uri, targetHost: ids.one })).id);
    expect(returned.state, JSON.stringify(returned)).toBe("success");
    await waitForState(one.client, "stayer", "running");
    expect(owner("stayer")).toBe(ids.one);
    expect((await two.client.listVms()).map((v) => v.name)).not.toContain("stayer");
    const home = await ConsoleReader.open(one.client, "stayer");
    expect(await home.run("echo home-$((4+4))")).toContain("home-8");
    home.close();
  });

  it("refuses what cannot work: a stopped VM (vm_wrong_state), a VM on the host's own datastore, a non-shared datastore, a wrong uuid", async () => {
    const stopped = await one.client.createVm(guestDefinition("idle", { memory: "64MiB" }), "shared");
    const wrongState = await refusal(migrateOut(one, "idle", { uri: "tcp:127.0.0.1:1", targetHost: ids.two }));
    expect(wrongState).toMatchObject({ status: 409, code: "vm_wrong_state" });
    expect(wrongState.message).toContain("cold");

    await one.client.createVm(guestDefinition("homebody", { memory: "64MiB" }));
    const started = await one.client.power("homebody", { action: "start" });
    expect((await one.client.waitTask(started.id)).state).toBe("success");
    const local = await refusal(migrateOut(one, "homebody", { uri: "tcp:127.0.0.1:1", targetHost: ids.two }));
    expect(local).toMatchObject({ status: 409, code: "migration_incompatible" });
    expect(local.message).toContain("shared = true");
    const self = await refusal(migrateOut(one, "homebody", { uri: "tcp:127.0.0.1:1", targetHost: ids.one }));
    expect(self).toMatchObject({ status: 400 });
    const badUri = await refusal(migrateOut(one, "homebody", { uri: "exec:rm -rf /", targetHost: ids.two }));
    expect(badUri.status).toBe(400);
    const stop = await one.client.power("homebody", { action: "stop", force: true });
    await one.client.waitTask(stop.id);

    const notShared = await refusal(two.client.call("POST", "/api/v1/migrations/incoming", { name: "idle", uuid: stopped.uuid, datastore: "local" }));
    expect(notShared).toMatchObject({ status: 409, code: "migration_incompatible" });
    const wrongUuid = await refusal(two.client.call("POST", "/api/v1/migrations/incoming", { name: "idle", uuid: "00000000-0000-4000-8000-000000000000", datastore: "shared" }));
    expect(wrongUuid).toMatchObject({ status: 409, code: "migration_incompatible" });
    const hostile = await refusal(two.client.call("POST", "/api/v1/migrations/incoming", { name: "../etc", uuid: stopped.uuid, datastore: "shared" }));
    expect(hostile.status).toBe(400);
    expect(two.qemuPid("idle")).toBeUndefined();

    // A folder on the shared datastore whose disk reads /etc/passwd through its backing file: refused before any QEMU starts.
    const evil = join(shared, "evil");
    mkdirSync(evil);
    await run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", "/etc/passwd", "-F", "raw", join(evil, "disk0.qcow2"), "16M"]);
    writeFileSync(join(evil, "evil.toml"), `name = "evil"\nuuid = "11111111-1111-4111-8111-111111111111"\nmemory = "64MiB"\n[disks.disk0]\nfile = "evil/disk0.qcow2"\nformat = "qcow2"\n`);
    writeFileSync(join(evil, ".vmctl-owner"), `${ids.one}\n`);
    const unsafe = await refusal(two.client.call("POST", "/api/v1/migrations/incoming", { name: "evil", uuid: "11111111-1111-4111-8111-111111111111", datastore: "shared" }));
    expect(unsafe).toMatchObject({ status: 400, code: "image_unsafe" });
    expect(two.qemuPid("evil")).toBeUndefined();
  });

  it("an incoming QEMU that a vmctld restart cut off from its migration is ended at the next start", async () => {
    const idle = await one.client.getVm("idle");
    await incoming(two, idle);
    const pid = two.qemuPid("idle")!;
    expect(isAlive(pid)).toBe(true);
    await two.killDaemon();
    await two.startDaemon();
    await expect.poll(() => isAlive(pid)).toBe(false);
    expect((await two.client.listVms()).map((v) => v.name)).not.toContain("idle");
    expect(owner("idle")).toBe(ids.one);
  });

  it("a ReadOnly user and an Operator get 403 naming vm.migrate on every migration route", async () => {
    for (const [user, role] of [["rosa", "ReadOnly"], ["otto", "Operator"]] as const) {
      await one.client.call("POST", "/api/v1/users", { username: user, password: `${user}-password`, role });
      const { token } = await one.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: `${user}-t`, role, expires: null, user });
      for (const [method, path, body] of [
        ["POST", "/api/v1/migrations/incoming", { name: "idle", uuid: "00000000-0000-4000-8000-000000000000", datastore: "shared" }],
        ["GET", "/api/v1/migrations/x", undefined],
        ["DELETE", "/api/v1/migrations/x", undefined],
        ["POST", "/api/v1/migrations/register", { definition: "name = \"x\"", datastore: "local" }],
        ["POST", "/api/v1/vms/idle/migrate-out", { uri: "tcp:127.0.0.1:1", targetHost: ids.two }],
      ] as const) {
        const answer = await https(one.port, method, path, { token, ...(body ? { body } : {}) });
        expect([user, method, path, answer.status], answer.body).toEqual([user, method, path, 403]);
        expect(answer.json().error.message).toContain("vm.migrate");
      }
    }
  });

  it("cold, on copied storage: the definition registered beside its copied disk keeps the uuid; a missing disk is refused", async () => {
    const source = await one.client.createVm(guestDefinition("copied", { memory: "64MiB", disks: { disk0: { file: "copied/disk0.qcow2", size: "16MiB" } } }));
    const { text: definition } = await one.client.getDefinition("copied");
    const missing = await refusal(two.client.call("POST", "/api/v1/migrations/register", { definition, datastore: "local" }));
    expect(missing).toMatchObject({ status: 400 });
    expect(missing.message).toContain("disks.disk0.file");
    mkdirSync(join(two.home, "datastores/local/copied"), { recursive: true });
    copyFileSync(join(one.home, "datastores/local/copied/disk0.qcow2"), join(two.home, "datastores/local/copied/disk0.qcow2"));
    const registered = await two.client.call<VmDetail>("POST", "/api/v1/migrations/register", { definition, datastore: "local", sourceHost: ids.one });
    expect(registered).toMatchObject({ name: "copied", uuid: source.uuid, state: "stopped" });
    expect((await refusal(two.client.call("POST", "/api/v1/migrations/register", { definition, datastore: "local" }))).status).toBe(409);
    const noUuid = definition.replace(/^uuid = .*$/m, "").replace(/^name = .*$/m, 'name = "other"');
    expect((await refusal(two.client.call("POST", "/api/v1/migrations/register", { definition: noUuid, datastore: "local" }))).status).toBe(400);
  });
});
