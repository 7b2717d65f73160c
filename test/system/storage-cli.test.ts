// Storage from the command line, on stopped VMs (no guest boots but one start): vmctl disk, cdrom,
// snapshot, template and clone, with their output for people, their --json, and their exit codes.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { TestHost, guestDefinition, waitForState } from "./harness.js";

const run = promisify(execFile);
let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

const local = (...parts: string[]) => join(host.home, "datastores/local", ...parts);
/** The first column of a table's rows (the header left out), as printed. */
const firstColumn = (stdout: string) => stdout.trimEnd().split("\n").slice(1).map((line) => line.replace(/(\S) {2,}.*$/, "$1"));

describe("vmctl disk and cdrom", () => {
  it("adds, lists, grows and detaches the disks of a stopped VM, and changes its CD media", async () => {
    await host.client.createVm(guestDefinition("cli-disks"));

    const added = await host.cli(["disk", "add", "cli-disks", "--size", "32MiB"]);
    expect(added).toMatchObject({ code: 0, stdout: "added disk0 to cli-disks: 32MiB qcow2 on virtio, local:cli-disks/disk0.qcow2\n" });
    const raw = await host.cli(["disk", "add", "cli-disks", "--size", "16MiB", "--format", "raw", "--bus", "sata", "--id", "data", "--json"]);
    expect(raw.code).toBe(0);
    expect(JSON.parse(raw.stdout)).toMatchObject({ id: "data", bus: "sata", format: "raw", file: "cli-disks/data.img", virtualSizeBytes: 16 * 1024 ** 2 });

    const ls = await host.cli(["disk", "ls", "cli-disks"]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^ID\s+KIND\s+BUS\s+FORMAT\s+SIZE\s+USED\s+DATASTORE\s+FILE/);
    expect(ls.stdout).toMatch(/\ndisk0\s+disk\s+virtio\s+qcow2\s+32MiB\s+\S+\s+local\s+cli-disks\/disk0\.qcow2\n/);
    expect(ls.stdout).toMatch(/\ndata\s+disk\s+sata\s+raw\s+16MiB\s+\S+\s+local\s+cli-disks\/data\.img\n/);

    expect(await host.cli(["disk", "resize", "cli-disks", "disk0", "64MiB"])).toMatchObject({ code: 0, stdout: "disk0 of cli-disks is now 64MiB\n" });
    const shrink = await host.cli(["disk", "resize", "cli-disks", "disk0", "8MiB"]);
    expect(shrink).toMatchObject({ code: 1, stdout: "" });
    expect(shrink.stderr).toContain('disks only grow: "disk0"');
    expect(await host.cli(["disk", "resize", "cli-disks", "disk0", "big"])).toMatchObject({ code: 2, stderr: 'vmctl: size: "big" is not a size; write e.g. 10GiB or 512MiB\n' });
    expect((await host.cli(["disk", "add", "cli-disks"])).code).toBe(2);
    expect((await host.cli(["disk", "add", "cli-disks", "--size", "1GiB", "--bus", "usb"])).code).toBe(2);

    expect(await host.cli(["disk", "detach", "cli-disks", "data", "--delete"])).toMatchObject({ code: 0, stdout: `detached data from cli-disks; deleted ${local("cli-disks/data.img")}\n` });
    expect(existsSync(local("cli-disks/data.img"))).toBe(false);
    expect(await host.cli(["disk", "detach", "cli-disks", "disk0"])).toMatchObject({ code: 0, stdout: "detached disk0 from cli-disks; its image is kept\n" });
    expect(existsSync(local("cli-disks/disk0.qcow2"))).toBe(true);
    const gone = await host.cli(["disk", "detach", "cli-disks", "disk0", "--json"]);
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stderr).error).toMatchObject({ code: "disk_not_found" });

    // A CD drive added while stopped, an ISO put in and taken out; a missing ISO is refused.
    mkdirSync(local("iso"), { recursive: true });
    writeFileSync(local("iso/tools.iso"), Buffer.alloc(64 * 1024));
    expect(await host.cli(["cdrom", "add", "cli-disks", "--bus", "sata"])).toMatchObject({ code: 0, stdout: "added cdrom0 to cli-disks on sata: empty\n" });
    expect(await host.cli(["cdrom", "insert", "cli-disks", "cdrom0", "iso/tools.iso"])).toMatchObject({ code: 0, stdout: "cdrom0 of cli-disks: local:iso/tools.iso\n" });
    expect((await host.client.getDefinition("cli-disks")).text).toContain('iso = "iso/tools.iso"');
    expect((await host.cli(["disk", "ls", "cli-disks"])).stdout).toMatch(/\ncdrom0\s+cdrom\s+sata\s+-\s+-\s+-\s+local\s+iso\/tools\.iso/);
    expect(await host.cli(["cdrom", "eject", "cli-disks", "cdrom0"])).toMatchObject({ code: 0, stdout: "cdrom0 of cli-disks: ejected\n" });
    expect((await host.cli(["disk", "ls", "cli-disks"])).stdout).toMatch(/\ncdrom0\s+cdrom\s+sata\s+-\s+-\s+-\s+local\s+\(empty\)/);
    const missing = await host.cli(["cdrom", "insert", "cli-disks", "cdrom0", "iso/nope.iso"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('"iso/nope.iso" does not exist in datastore "local"');
  });
});

describe("vmctl snapshot", () => {
  it("takes, lists as a tree with the current one marked, reverts and deletes snapshots of a stopped VM", async () => {
    await host.client.createVm(guestDefinition("cli-snap", { disks: { disk0: { file: "cli-snap/disk0.qcow2", size: "16MiB" } } }));
    const image = local("cli-snap/disk0.qcow2");
    await run("qemu-io", ["-f", "qcow2", "-c", "write -P 0x11 0 64k", image]);
    const base = await host.cli(["snapshot", "create", "cli-snap", "base", "-d", "clean install"]);
    expect(base).toMatchObject({ code: 0, stdout: 'cli-snap: snapshot "base" taken of the disks\n' });
    expect(base.stderr).toMatch(/^cli-snap: snapshot "base" taken in \d+ ms \(1 disk\)$/m);
    await run("qemu-io", ["-f", "qcow2", "-c", "write -P 0x22 0 64k", image]);
    expect((await host.cli(["snapshot", "create", "cli-snap", "upgrade"])).code).toBe(0);
    expect(await host.cli(["snapshot", "revert", "cli-snap", "base"])).toMatchObject({ code: 0, stdout: 'cli-snap: reverted to "base"; it is stopped\n' });
    const read = await run("qemu-io", ["-f", "qcow2", "-c", "read -P 0x11 0 64k", image]);
    expect(read.stdout).not.toContain("Pattern verification failed");
    expect((await host.cli(["snapshot", "create", "cli-snap", "experiment", "--no-memory"])).code).toBe(0);

    const tree = await host.cli(["snapshot", "ls", "cli-snap"]);
    expect(tree.code).toBe(0);
    expect(tree.stdout).toMatch(/^SNAPSHOT\s+TAKEN\s+VM WAS\s+MEMORY\s+DESCRIPTION\n/);
    expect(firstColumn(tree.stdout)).toEqual(["base", "├─ upgrade", "└─ experiment", "   └─ you are here"]);
    expect(tree.stdout).toMatch(/\nbase\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+stopped\s+no\s+clean install\n/);
    const json = await host.cli(["snapshot", "ls", "cli-snap", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({
      current: "experiment",
      snapshots: [
        expect.objectContaining({ name: "base", parent: null, children: ["upgrade", "experiment"], description: "clean install", current: false }),
        expect.objectContaining({ name: "upgrade", parent: "base", children: [], current: false }),
        expect.objectContaining({ name: "experiment", parent: "base", children: [], current: true, memory: false }),
      ],
    });

    // Deleting the root: its children hang from nothing, the current one stays current.
    const rm = await host.cli(["snapshot", "rm", "cli-snap", "base", "--json"]);
    expect(rm.code).toBe(0);
    expect(JSON.parse(rm.stdout)).toMatchObject({ op: "vm.snapshot_delete", state: "success", target: "vm/cli-snap" });
    expect(firstColumn((await host.cli(["snapshot", "ls", "cli-snap"])).stdout)).toEqual(["upgrade", "experiment", "└─ you are here"]);

    const unknown = await host.cli(["snapshot", "revert", "cli-snap", "base", "--json"]);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stderr).error).toEqual({ code: "snapshot_not_found", message: 'VM "cli-snap" has no snapshot "base"; it has "upgrade", "experiment"' });
    const twice = await host.cli(["snapshot", "create", "cli-snap", "upgrade"]);
    expect(twice).toMatchObject({ code: 1, stderr: 'vmctl: VM "cli-snap" already has a snapshot "upgrade"; choose another name or delete that one first\n' });
    expect(await host.cli(["snapshot", "ls", "cli-disks-none"])).toMatchObject({ code: 1, stderr: 'vmctl: no VM named "cli-disks-none"; `vmctl ls` lists them\n' });
  });

  it("refuses what cannot be: a raw disk, memory of a stopped VM, an unknown VM", async () => {
    await host.client.createVm(guestDefinition("cli-raw", { disks: { disk0: { file: "cli-raw/disk0.img", size: "16MiB", format: "raw" } } }));
    const raw = await host.cli(["snapshot", "create", "cli-raw", "s1", "--json"]);
    expect(raw).toMatchObject({ code: 1, stdout: "" });
    expect(JSON.parse(raw.stderr).error).toMatchObject({ code: "unsupported_format", message: expect.stringContaining('disk "disk0" is raw, and only qcow2 keeps snapshots') });
    const memory = await host.cli(["snapshot", "create", "cli-raw", "s1", "--memory"]);
    expect(memory.code).toBe(1);
    expect(memory.stderr).toContain('vmctl: a snapshot with memory needs "cli-raw" running; it is stopped');
    const unknown = await host.cli(["disk", "ls", "ghost", "--json"]);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stderr).error).toEqual({ code: "vm_not_found", message: 'no VM named "ghost"; `vmctl ls` lists them' });
    expect((await host.cli(["snapshot", "create", "ghost", "s1"])).stderr).toBe('vmctl: no VM named "ghost"; `vmctl ls` lists them\n');
    expect((await host.cli(["snapshot", "create", "cli-raw"])).code).toBe(2);
  });
});

describe("vmctl template and clone", () => {
  it("marks a template, deploys linked clones of it under several names at once, and copies a snapshot", async () => {
    await host.client.createVm(guestDefinition("cli-tmpl", { disks: { disk0: { file: "cli-tmpl/disk0.qcow2", size: "32MiB" } }, nics: { net0: {} } }));
    expect((await host.cli(["snapshot", "create", "cli-tmpl", "golden"])).code).toBe(0);

    const notTemplate = await host.cli(["clone", "cli-tmpl", "cli-web-1", "--linked", "--json"]);
    expect(notTemplate.code).toBe(1);
    expect(JSON.parse(notTemplate.stderr).error).toMatchObject({ code: "vm_wrong_state", message: expect.stringContaining("linked clones need a template") });
    expect(JSON.parse(notTemplate.stdout)).toEqual([{ name: "cli-web-1", error: expect.objectContaining({ code: "vm_wrong_state" }) }]);

    expect(await host.cli(["template", "cli-tmpl"])).toMatchObject({ code: 0, stdout: "cli-tmpl is a template; deploy VMs from it with `vmctl clone cli-tmpl NAME… --linked`\n" });
    expect((await host.cli(["ls"])).stdout).toMatch(/\ncli-tmpl\s+stopped\s.*\stemplate\n/);
    expect(JSON.parse((await host.cli(["ls", "--json"])).stdout)).toContainEqual(expect.objectContaining({ name: "cli-tmpl", template: true }));

    const linked = await host.cli(["clone", "cli-tmpl", "cli-web-1", "cli-web-2", "--linked"]);
    expect(linked).toMatchObject({ code: 0, stdout: "cli-web-1: linked clone of cli-tmpl\ncli-web-2: linked clone of cli-tmpl\n" });
    expect(linked.stderr).toContain("cli-web-2: disk disk0: overlay on ../cli-tmpl/disk0.qcow2");
    for (const name of ["cli-web-1", "cli-web-2"]) {
      const [disk] = JSON.parse((await host.cli(["disk", "ls", name, "--json"])).stdout) as Array<{ file: string; backingFile: string }>;
      expect(disk).toMatchObject({ file: `${name}/disk0.qcow2`, backingFile: "../cli-tmpl/disk0.qcow2" });
    }
    expect((await host.cli(["disk", "ls", "cli-web-1"])).stdout).toContain("linked to ../cli-tmpl/disk0.qcow2");

    // One name taken, one free: the free one is made, the other reported, exit 1.
    const partly = await host.cli(["clone", "cli-tmpl", "cli-web-1", "cli-web-3", "--linked"]);
    expect(partly).toMatchObject({ code: 1, stdout: "cli-web-3: linked clone of cli-tmpl\n" });
    expect(partly.stderr).toContain('vmctl: cli-web-1: a VM named "cli-web-1" already exists; choose another name\n');
    expect(partly.stderr).toContain("vmctl: 1 of 2 clones failed\n");
    expect((await host.cli(["clone", "cli-tmpl", "cli-x", "cli-x"])).code).toBe(2);

    // A full copy of the disks as they were at a snapshot, started once made.
    const golden = await host.cli(["clone", "cli-tmpl", "cli-golden", "--snapshot", "golden", "--start", "--json"]);
    expect(golden.code).toBe(0);
    expect(JSON.parse(golden.stdout)).toEqual([{
      name: "cli-golden",
      task: expect.objectContaining({ op: "vm.clone", state: "success" }),
      startTask: expect.objectContaining({ op: "vm.start", state: "success", target: "vm/cli-golden" }),
    }]);
    expect((await host.client.getDefinition("cli-golden")).text).toContain('file = "cli-golden/disk0.qcow2"');
    expect((await host.cli(["stop", "--force", "cli-golden"])).code).toBe(0);
    await waitForState(host.client, "cli-golden", "stopped");

    // A template does not change, and stays one while linked clones read its disks.
    const change = await host.cli(["disk", "add", "cli-tmpl", "--size", "1GiB"]);
    expect(change).toMatchObject({ code: 1, stderr: 'vmctl: "cli-tmpl" is a template and does not change; make it a VM again with `vmctl template cli-tmpl --undo`\n' });
    const undo = await host.cli(["template", "cli-tmpl", "--undo", "--json"]);
    expect(undo.code).toBe(1);
    expect(JSON.parse(undo.stderr).error).toMatchObject({ code: "in_use", message: expect.stringContaining("cli-web-1, cli-web-2, cli-web-3") });
    for (const name of ["cli-web-1", "cli-web-2", "cli-web-3"]) expect((await host.cli(["destroy", name])).code).toBe(0);
    expect(await host.cli(["template", "cli-tmpl", "--undo"])).toMatchObject({ code: 0, stdout: "cli-tmpl is a VM again\n" });
    expect((await host.cli(["ls"])).stdout).not.toMatch(/\ncli-tmpl\s.*template/);
  });
});
