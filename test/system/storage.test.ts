// Storage as a user lives it with the demo guest: disks hot-plugged into a running guest, an ISO put
// in its CD drive at run time, a memory snapshot reverted, a disk-only snapshot of a stopped VM,
// and a linked clone of a template that boots.
import { describe, it, expect, beforeAll, afterAll, onTestFinished } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE, waitForState } from "./harness.js";
import type { Task } from "../../packages/api-types/src/index.js";

const run = promisify(execFile);
let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

/** A minimal ISO 9660 image: 16 empty system sectors, a primary volume descriptor, a terminator. */
function writeIso(path: string, label: string): void {
  const sector = 2048;
  const image = Buffer.alloc(sector * 20);
  const pvd = image.subarray(16 * sector, 17 * sector);
  pvd[0] = 1;
  pvd.write("CD001", 1, "latin1");
  pvd[6] = 1;
  pvd.write(label.padEnd(32, " "), 40, "latin1");
  const end = image.subarray(17 * sector, 18 * sector);
  end[0] = 255;
  end.write("CD001", 1, "latin1");
  end[6] = 1;
  writeFileSync(path, image);
}

async function finished(task: Task): Promise<Task> {
  const done = await host.client.waitTask(task.id);
  if (done.state !== "success") throw new Error(`task ${task.op} ended ${done.state}: ${JSON.stringify(done.error)}\n${done.log.join("\n")}`);
  return done;
}

const post = <T>(path: string, body?: unknown) => host.client.call<T>("POST", path, body);

async function uptime(console: ConsoleReader): Promise<number> {
  const out = await console.run("cat /proc/uptime");
  return Number(/\n(\d+\.\d+) /.exec(out)?.[1] ?? NaN);
}

describe("storage on a running guest", () => {
  it("hot-plugs a virtio disk (/dev/vdb appears), puts an ISO in the CD drive at run time, and reverts a memory snapshot", async () => {
    const local = join(host.home, "datastores/local");
    mkdirSync(join(local, "iso"), { recursive: true });
    writeIso(join(local, "iso/tools.iso"), "VMCTL_TOOLS");
    await host.client.createVm(guestDefinition("st-live", {
      disks: { disk0: { file: "st-live/disk0.qcow2", size: "64MiB" } },
      cdroms: { cdrom0: { bus: "scsi" } },
    }));
    await finished(await post<Task>("/api/v1/vms/st-live/power", { action: "start" }));
    const console = await ConsoleReader.open(host.client, "st-live");
    await console.waitFor(GUEST_READY_LINE);

    // Hot-plug: a new 32 MiB disk shows up in the guest as /dev/vdb, and the definition says so.
    const disk = await post<{ id: string; virtualSizeBytes: number }>("/api/v1/vms/st-live/disks", { size: "32MiB" });
    expect(disk).toMatchObject({ id: "disk1", virtualSizeBytes: 32 * 1024 ** 2 });
    let seen = "";
    for (let i = 0; i < 50 && !seen.includes("vdb-size=65536"); i++) seen = await console.run("echo vdb-size=$(cat /sys/block/vdb/size 2>/dev/null)");
    expect(seen).toContain("vdb-size=65536");
    expect((await host.client.getDefinition("st-live")).text).toMatch(/\[disks\.disk1\][^[]*file = "st-live\/disk1\.qcow2"/);

    // Live resize: the guest sees the bigger disk.
    await post("/api/v1/vms/st-live/disks/disk1/resize", { size: "48MiB" });
    seen = "";
    for (let i = 0; i < 50 && !seen.includes("vdb-size=98304"); i++) seen = await console.run("echo vdb-size=$(cat /sys/block/vdb/size)");
    expect(seen).toContain("vdb-size=98304");

    // Hot-unplug: gone from the guest and from the definition.
    await host.client.call("DELETE", "/api/v1/vms/st-live/disks/disk1?delete=true");
    seen = "";
    for (let i = 0; i < 50 && !seen.includes("vdb=gone"); i++) seen = await console.run("test -e /sys/block/vdb && echo vdb=there || echo vdb=gone");
    expect(seen).toContain("vdb=gone");
    expect((await host.client.getDefinition("st-live")).text).not.toContain("disk1");
    expect(existsSync(join(local, "st-live/disk1.qcow2"))).toBe(false);

    // ISO at run time: the empty drive gets media; the guest reads the ISO's volume descriptor.
    const empty = await console.run("dd if=/dev/sr0 bs=2048 skip=16 count=1 2>&1 | head -c 72 | tail -c 32");
    expect(empty).not.toContain("VMCTL_TOOLS");
    await host.client.call("PUT", "/api/v1/vms/st-live/cdroms/cdrom0/media", { iso: "iso/tools.iso" });
    seen = "";
    for (let i = 0; i < 50 && !seen.includes("VMCTL_TOOLS"); i++) seen = await console.run("dd if=/dev/sr0 bs=2048 skip=16 count=1 2>/dev/null | head -c 72 | tail -c 32");
    expect(seen).toContain("VMCTL_TOOLS");
    expect((await host.client.getDefinition("st-live")).text).toContain('iso = "iso/tools.iso"');

    // Memory snapshot, a file written after it, revert: the file is gone and the guest's uptime
    // carries on from the moment of the snapshot.
    await console.run("echo before > /root/marker");
    const atSnapshot = await uptime(console);
    const snap = await finished(await post<Task>("/api/v1/vms/st-live/snapshots", { name: "before-upgrade", description: "clean" }));
    expect(snap.log.join("\n")).toMatch(/with memory/);
    await new Promise((r) => setTimeout(r, 3000));
    await console.run("echo after > /root/after-snapshot");
    const beforeRevert = await uptime(console);
    expect(beforeRevert).toBeGreaterThan(atSnapshot + 2.5);
    await finished(await post<Task>("/api/v1/vms/st-live/snapshots/before-upgrade/revert"));
    expect((await host.client.getVm("st-live")).state).toBe("running");
    const after = await ConsoleReader.open(host.client, "st-live");
    const files = await after.run("ls /root");
    expect(files).toContain("marker");
    expect(files).not.toContain("after-snapshot");
    const resumed = await uptime(after);
    expect(resumed).toBeGreaterThanOrEqual(atSnapshot);
    expect(resumed).toBeLessThan(beforeRevert);
    console.close();
    after.close();

    const list = await host.client.call<{ current: string; snapshots: Array<{ name: string; memory: boolean; current: boolean }> }>("GET", "/api/v1/vms/st-live/snapshots");
    expect(list.current).toBe("before-upgrade");
    expect(list.snapshots).toEqual([expect.objectContaining({ name: "before-upgrade", memory: true, current: true })]);

    // A full clone of the snapshot while the VM runs: the snapshot's data never changes.
    await finished(await post<Task>("/api/v1/vms/st-live/clone", { name: "st-from-snap", snapshot: "before-upgrade" }));
    expect((await host.client.getVm("st-from-snap")).definition).toMatchObject({ disks: { disk0: { file: "st-from-snap/disk0.qcow2" } } });
    await finished(await post<Task>("/api/v1/vms/st-live/power", { action: "stop", force: true }));
  });
});

describe("snapshots, clones and templates of stopped VMs", () => {
  it("reverts a disk-only snapshot of a stopped VM, refuses raw disks, and builds a tree", async () => {
    await host.client.createVm(guestDefinition("st-cold", { disks: { disk0: { file: "st-cold/disk0.qcow2", size: "16MiB" } } }));
    const image = join(host.home, "datastores/local/st-cold/disk0.qcow2");
    await run("qemu-io", ["-f", "qcow2", "-c", "write -P 0x11 0 64k", image]);
    await finished(await post<Task>("/api/v1/vms/st-cold/snapshots", { name: "one" }));
    await run("qemu-io", ["-f", "qcow2", "-c", "write -P 0x22 0 64k", image]);
    await finished(await post<Task>("/api/v1/vms/st-cold/snapshots", { name: "two" }));
    await finished(await post<Task>("/api/v1/vms/st-cold/snapshots/one/revert"));
    const read = await run("qemu-io", ["-f", "qcow2", "-c", "read -P 0x11 0 64k", image]);
    expect(read.stdout).not.toContain("Pattern verification failed");
    const tree = await host.client.call<{ current: string; snapshots: Array<{ name: string; parent: string | null; children: string[] }> }>("GET", "/api/v1/vms/st-cold/snapshots");
    expect(tree.current).toBe("one");
    expect(tree.snapshots).toEqual([
      expect.objectContaining({ name: "one", parent: null, children: ["two"] }),
      expect.objectContaining({ name: "two", parent: "one", children: [] }),
    ]);
    const withMemory = await host.client.raw("POST", "/api/v1/vms/st-cold/snapshots", { type: "application/json", text: JSON.stringify({ name: "m", memory: true }) });
    expect(withMemory.status).toBe(409);
    expect(withMemory.text).toContain("needs");
    await finished(await host.client.call<Task>("DELETE", "/api/v1/vms/st-cold/snapshots/one"));
    const pruned = await host.client.call<{ current: string | null; snapshots: Array<{ name: string; parent: string | null }> }>("GET", "/api/v1/vms/st-cold/snapshots");
    expect(pruned).toEqual({ current: null, snapshots: [expect.objectContaining({ name: "two", parent: null })] });

    await host.client.createVm(guestDefinition("st-raw", { disks: { disk0: { file: "st-raw/disk0.img", size: "16MiB", format: "raw" } } }));
    const refused = await host.client.raw("POST", "/api/v1/vms/st-raw/snapshots", { type: "application/json", text: JSON.stringify({ name: "x" }) });
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.text).error).toMatchObject({ code: "unsupported_format", message: expect.stringContaining('"disk0" is raw') });
  });

  it("a template refuses to start; its linked clone is made in constant size and boots", async () => {
    await host.client.createVm(guestDefinition("st-tmpl", { disks: { disk0: { file: "st-tmpl/disk0.qcow2", size: "64MiB" } }, nics: { net0: {} } }));
    await post("/api/v1/vms/st-tmpl/template");
    const start = await host.client.raw("POST", "/api/v1/vms/st-tmpl/power", { type: "application/json", text: '{"action":"start"}' });
    expect(start.status).toBe(409);
    expect(JSON.parse(start.text).error.code).toBe("vm_is_template");
    const notLinked = await host.client.raw("POST", "/api/v1/vms/st-cold/clone", { type: "application/json", text: '{"name":"x","linked":true}' });
    expect(JSON.parse(notLinked.text).error.message).toContain("linked clones need a template");

    await finished(await post<Task>("/api/v1/vms/st-tmpl/clone", { name: "st-linked", linked: true }));
    const overlay = join(host.home, "datastores/local/st-linked/disk0.qcow2");
    expect(statSync(overlay).size).toBeLessThan(1024 * 1024);
    const info = JSON.parse((await run("qemu-img", ["info", "--output=json", overlay])).stdout) as { "backing-filename": string };
    expect(info["backing-filename"]).toBe("../st-tmpl/disk0.qcow2");
    const [tmplDef, cloneDef] = await Promise.all([host.client.getVm("st-tmpl"), host.client.getVm("st-linked")]);
    const mac = (d: unknown) => (d as { nics: Record<string, { mac: string }> }).nics.net0!.mac;
    expect(mac(cloneDef.definition)).not.toBe(mac(tmplDef.definition));

    await finished(await post<Task>("/api/v1/vms/st-linked/power", { action: "start" }));
    const console = await ConsoleReader.open(host.client, "st-linked");
    await console.waitFor(GUEST_READY_LINE);
    expect(await console.run("echo vda-size=$(cat /sys/block/vda/size)")).toContain("vda-size=131072");
    console.close();

    const undo = await host.client.raw("DELETE", "/api/v1/vms/st-tmpl/template");
    expect(undo.status).toBe(409);
    expect(JSON.parse(undo.text).error.message).toContain("st-linked");
    const destroy = await host.client.raw("DELETE", "/api/v1/vms/st-tmpl");
    expect(destroy.status).toBe(409);
    await finished(await post<Task>("/api/v1/vms/st-linked/power", { action: "stop", force: true }));
    await waitForState(host.client, "st-linked", "stopped");
  });

  it("a full clone copies the disks as a task with progress, with a new name and MAC", async () => {
    await host.client.createVm(guestDefinition("st-src", { disks: { disk0: { file: "st-src/disk0.qcow2", size: "32MiB" } }, nics: { net0: {} } }));
    const image = join(host.home, "datastores/local/st-src/disk0.qcow2");
    await run("qemu-io", ["-f", "qcow2", "-c", "write -P 0x5a 1M 1M", image]);
    // The copy reports its progress live on /ws/events, between task.created and task.finished.
    const events: Array<{ type: string; data: { task?: string; progress?: number } }> = [];
    const socket = host.client.openEvents();
    socket.on("message", (raw) => events.push(JSON.parse(raw.toString()).data));
    await new Promise((resolve) => socket.once("open", resolve));
    const task = await finished(await post<Task>("/api/v1/vms/st-src/clone", { name: "st-copy" }));
    await expect.poll(() => events.filter((e) => e.data.task === task.id).map((e) => e.type).at(-1)).toBe("task.finished");
    socket.close();
    const mine = events.filter((e) => e.data.task === task.id);
    expect(mine[0]!.type).toBe("task.created");
    const progress = mine.filter((e) => e.type === "task.progress").map((e) => e.data.progress!);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p >= 0 && p <= 100)).toBe(true);
    expect(task.log.join("\n")).toMatch(/disk disk0: copying .*st-src\/disk0\.qcow2/);
    const copy = join(host.home, "datastores/local/st-copy/disk0.qcow2");
    const read = await run("qemu-io", ["-f", "qcow2", "-c", "read -P 0x5a 1M 1M", copy]);
    expect(read.stdout).not.toContain("Pattern verification failed");
    expect((await host.client.getVm("st-src")).state).toBe("stopped");
    // Several full clones of one VM at once: each gets its copy, and the source is stopped again after the last.
    const [a, b] = await Promise.all([post<Task>("/api/v1/vms/st-src/clone", { name: "st-copy-a" }), post<Task>("/api/v1/vms/st-src/clone", { name: "st-copy-b" })]);
    expect((await host.client.getVm("st-src")).state).toBe("cloning");
    const start = await host.client.raw("POST", "/api/v1/vms/st-src/power", { type: "application/json", text: '{"action":"start"}' });
    expect(start.status).toBe(409);
    await Promise.all([finished(a), finished(b)]);
    expect((await host.client.getVm("st-src")).state).toBe("stopped");
    const copyDef = (await host.client.getDefinition("st-copy")).text;
    expect(copyDef).toContain('name = "st-copy"');
    expect(copyDef).toContain('file = "st-copy/disk0.qcow2"');
  });

  it("a clone into another datastore copies its disks there and keeps shared files pointing at the source's", async () => {
    // A datastore may not lie inside vmctld's home: a folder of its own, removed at the end.
    const fast = realpathSync(mkdtempSync(join(tmpdir(), "vmctl-fast-ds-")));
    onTestFinished(() => rmSync(fast, { recursive: true, force: true }));
    await host.client.addDatastore("fast", fast);
    const local = join(host.home, "datastores/local");
    mkdirSync(join(local, "iso"), { recursive: true });
    writeIso(join(local, "iso/shared.iso"), "SHARED");
    await host.client.createVm(guestDefinition("st-multi", {
      disks: { disk0: { file: "st-multi/disk0.qcow2", size: "16MiB" }, base: { file: "st-multi/base.qcow2", size: "16MiB", readonly: true } },
      cdroms: { cdrom0: { iso: "iso/shared.iso" } },
    }));
    await finished(await post<Task>("/api/v1/vms/st-multi/clone", { name: "st-far", datastore: "fast" }));
    const far = await host.client.getVm("st-far");
    expect(far.datastore).toBe("fast");
    expect(far.definitionError).toBeUndefined();
    expect(existsSync(join(fast, "st-far/disk0.qcow2"))).toBe(true);
    const disks = await host.client.listDisks("st-far");
    expect(disks.find((d) => d.id === "disk0")?.path).toBe(join(fast, "st-far/disk0.qcow2"));
    expect(disks.find((d) => d.id === "base")?.path).toBe(join(local, "st-multi/base.qcow2"));
    expect(disks.find((d) => d.id === "cdrom0")?.path).toBe(join(local, "iso/shared.iso"));
  });
});
