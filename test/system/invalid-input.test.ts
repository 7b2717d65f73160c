// Bad input gets a clear message that names file, line and field, and changes nothing.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync, readFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { TestHost, guestDefinition } from "./harness.js";
import { definitionToToml } from "../../packages/definition/src/index.js";

let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

const local = () => join(host.home, "datastores/local");

async function refused(name: string, toml: string): Promise<string> {
  const file = join(host.home, `${name}.toml`);
  writeFileSync(file, toml);
  const before = readdirSync(local()).sort();
  const result = await host.cli(["create", "-f", file]);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe("");
  expect(readdirSync(local()).sort()).toEqual(before);
  expect((await host.client.listVms()).map((vm) => vm.name)).not.toContain(name);
  return result.stderr;
}

describe("invalid definitions are refused and create nothing", () => {
  it("bad TOML names the line", async () => {
    const stderr = await refused("bad", 'name = "bad"\nmemory = "256MiB\n');
    expect(stderr).toMatch(/^vmctl: <request body>:2: invalid TOML/);
  });

  it("an unknown key gets a suggestion", async () => {
    const stderr = await refused("typo", 'name = "typo"\nmemroy = "256MiB"\n');
    expect(stderr).toContain('<request body>:2: memroy: unknown key in the top level');
    expect(stderr).toContain('did you mean "memory"?');
  });

  it("negative memory says what to write", async () => {
    const stderr = await refused("neg", 'name = "neg"\nmemory = -256\n');
    expect(stderr).toContain('<request body>:2: memory: is -256; expected a size with a unit, e.g. "512MiB"');
  });

  it("a disk path with .. is refused", async () => {
    const stderr = await refused("escape", 'name = "escape"\n[disks.disk0]\nfile = "../../../etc/passwd"\n');
    expect(stderr).toContain('<request body>:3: disks.disk0.file: "../../../etc/passwd" contains ".."');
  });

  it("a path escaping through a symlink, or absolute outside every datastore, is refused", async () => {
    mkdirSync(join(host.home, "outside"));
    symlinkSync(join(host.home, "outside"), join(local(), "sneaky"));
    const viaLink = await refused("linked", definitionToToml({ name: "linked", disks: { d: { file: "sneaky/disk.qcow2", size: "10MiB" } } }));
    expect(viaLink).toMatch(/resolves through a symlink to ".*outside", outside its datastore/);
    expect(existsSync(join(host.home, "outside/disk.qcow2"))).toBe(false);
    const absolute = await refused("abs", definitionToToml({ name: "abs", disks: { d: { file: "/etc/hostname" } } }));
    expect(absolute).toContain('"/etc/hostname" is outside every datastore');
  });

  it("a missing kernel is refused, and the half-made disk is removed", async () => {
    const stderr = await refused("nokernel", definitionToToml({ name: "nokernel", boot: { kernel: "nope/vmlinuz" }, disks: { d: { file: "nokernel/d.qcow2", size: "10MiB" } } }));
    expect(stderr).toContain('boot.kernel: "nope/vmlinuz" does not exist in datastore "local"');
  });

  it("the API answers JSON bodies with the field in error, and a duplicate name with 409", async () => {
    const response = await host.client.raw("POST", "/api/v1/vms", { type: "application/json", text: JSON.stringify({ name: "x", cpus: "two" }) });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text).error).toMatchObject({ code: "invalid_definition", message: 'cpus: is "two"; expected a whole number from 1 to 256' });
    const malformed = await host.client.raw("POST", "/api/v1/vms", { type: "application/json", text: "{not json" });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text).error.code).toBe("bad_request");
    await host.client.createVm(guestDefinition("twice"));
    const again = await host.cli(["create", "twice", "--json"]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr).error).toMatchObject({ code: "vm_exists" });
  });

  it("an unknown key in a request body is refused by its name, never dropped, and nothing happens", async () => {
    await host.client.createVm(guestDefinition("typo"));
    const tasksBefore = (await host.client.listTasks()).length;
    const power = await host.client.raw("POST", "/api/v1/vms/typo/power", { type: "application/json", text: JSON.stringify({ action: "start", forse: true }) });
    expect(power.status).toBe(400);
    expect(JSON.parse(power.text).error).toMatchObject({ code: "bad_request", message: expect.stringMatching(/^forse: unknown field; check its spelling/) });
    const snapshot = await host.client.raw("POST", "/api/v1/vms/typo/snapshots", { type: "application/json", text: JSON.stringify({ name: "s1", memroy: false }) });
    expect(snapshot.status).toBe(400);
    expect(JSON.parse(snapshot.text).error.message).toMatch(/^memroy: unknown field/);
    expect((await host.client.getVm("typo")).state).toBe("stopped");
    expect((await host.client.listSnapshots("typo")).snapshots).toEqual([]);
    expect((await host.client.listTasks()).length).toBe(tasksBefore);
  });

  it("a definition broken by hand on disk is listed with its error, never dropped, and cannot start", async () => {
    await host.client.createVm(guestDefinition("handmade"));
    const file = join(local(), "handmade/handmade.toml");
    writeFileSync(file, `cpus = 0\n${readFileSync(file, "utf8")}`);
    // The listing re-reads changed files at most once a second.
    let vm = (await host.client.listVms()).find((v) => v.name === "handmade");
    for (let i = 0; i < 30 && !vm?.definitionError; i++) {
      await new Promise((r) => setTimeout(r, 100));
      vm = (await host.client.listVms()).find((v) => v.name === "handmade");
    }
    expect(vm?.definitionError).toMatch(/handmade\.toml:1: cpus: is 0; expected a whole number from 1 to 256/);
    const events = await host.client.listEvents({ vm: "handmade", type: "vm.definition_invalid" });
    expect(events).toHaveLength(1);
    const start = await host.cli(["start", "handmade"]);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain("cpus: is 0");
  });
});

describe("vmctl edit", () => {
  it("validates before saving, guards hardware changes of a running VM, and keeps comments", async () => {
    await host.client.createVm(guestDefinition("edited"));
    const editor = join(host.home, "editor.sh");
    writeFileSync(editor, '#!/bin/sh\nsed -i "$SED_SCRIPT" "$1"\n');
    chmodSync(editor, 0o755);
    const bad = await host.cli(["edit", "edited"], { EDITOR: editor, SED_SCRIPT: 's/^memory = .*/memory = "lots"/' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('memory: is "lots"; expected a size with a unit');
    expect((await host.client.getVm("edited")).memoryBytes).toBe(256 * 1024 ** 2);

    const good = await host.cli(["edit", "edited"], { EDITOR: editor, SED_SCRIPT: 's/^memory = .*/memory = "384MiB" # more room/' });
    expect(good).toMatchObject({ code: 0 });
    expect((await host.client.getVm("edited")).memoryBytes).toBe(384 * 1024 ** 2);
    expect((await host.client.getDefinition("edited")).text).toContain('memory = "384MiB" # more room');

    expect((await host.cli(["start", "edited"])).code).toBe(0);
    // memory waits for the next start (pendingChanges); the machine type cannot change while QEMU runs.
    const running = await host.cli(["edit", "edited"], { EDITOR: editor, SED_SCRIPT: "s/^memory = .*/&\\nmachine = \"pc\"/" });
    expect(running.code).toBe(1);
    expect(running.stderr).toContain("stop it to change the rest");
    const policy = await host.cli(["edit", "edited"], { EDITOR: editor, SED_SCRIPT: '$a [policy]\\nautostart = true' });
    expect(policy.code).toBe(0);
    expect((await host.client.getVm("edited")).autostart).toBe(true);
    expect((await host.cli(["stop", "--force", "edited"])).code).toBe(0);
  });

  it("refuses a stale ETag with 412", async () => {
    await host.client.createVm(guestDefinition("etag"));
    const { text, etag } = await host.client.getDefinition("etag");
    await host.client.putDefinition("etag", text.replace('memory = "256MiB"', 'memory = "300MiB"'), etag);
    const stale = await host.client.putDefinition("etag", text, etag).catch((e: unknown) => e);
    expect(stale).toMatchObject({ status: 412, code: "precondition_failed" });
  });
});
