// A VM's life through the CLI, as a user lives it: create, start, console, graceful stop, destroy.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";
import { definitionToToml } from "../../packages/definition/src/index.js";

let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

describe("VM lifecycle", () => {
  it("create → start → ready line → echo through the console → graceful ACPI stop → destroy removes the files", async () => {
    const file = join(host.home, "life.toml");
    writeFileSync(file, definitionToToml(guestDefinition("life", { disks: { disk0: { file: "life/disk0.qcow2", size: "64MiB" } }, nics: { net0: {} } })));
    const created = await host.cli(["create", "-f", file]);
    expect(created.stderr).toBe("");
    expect(created.stdout).toContain("created life");
    const folder = join(host.home, "datastores/local/life");
    expect(existsSync(join(folder, "life.toml"))).toBe(true);
    expect(existsSync(join(folder, "disk0.qcow2"))).toBe(true);

    const started = await host.cli(["start", "life"]);
    expect(started).toMatchObject({ code: 0, stdout: "life: started\n" });
    const console = await ConsoleReader.open(host.client, "life");
    await console.waitFor(GUEST_READY_LINE);
    const output = await console.run("echo hello-from-$((40+2))");
    expect(output).toContain("hello-from-42");

    const listed = JSON.parse((await host.cli(["ls", "--json"])).stdout) as Array<{ name: string; state: string; pid: number }>;
    expect(listed).toEqual([expect.objectContaining({ name: "life", state: "running", pid: host.qemuPid("life") })]);

    const stopped = await host.cli(["stop", "life", "--timeout", "60"]);
    expect(stopped).toMatchObject({ code: 0, stdout: "life: stopped\n" });
    const vm = await host.client.getVm("life");
    expect(vm).toMatchObject({ state: "stopped", lastExitReason: "guest-shutdown" });
    const stateEvents = await host.client.listEvents({ vm: "life", type: "vm.state" });
    expect(stateEvents.map((e) => e.data.to)).toEqual(["starting", "running", "stopping", "stopped"]);
    expect(stateEvents.at(-1)!.data.reason).toBe("guest-shutdown");
    await console.waitFor(/reboot: Power down|Requesting system poweroff|Power down/i, 5_000).catch(() => {});
    console.close();

    const destroyed = await host.cli(["destroy", "life"]);
    expect(destroyed.code).toBe(0);
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(join(host.home, "run/life"))).toBe(false);
    expect(JSON.parse((await host.cli(["ls", "--json"])).stdout)).toEqual([]);
  });

  it("the CLI console types piped input into the guest and prints its answer", async () => {
    await host.client.createVm(guestDefinition("piped"));
    expect((await host.cli(["start", "piped"])).code).toBe(0);
    const viewer = await ConsoleReader.open(host.client, "piped");
    await viewer.waitFor(GUEST_READY_LINE);
    const { spawn } = await import("node:child_process");
    const cli = spawn(process.execPath, [join(import.meta.dirname, "../../packages/cli/dist/main.js"), "--home", host.home, "console", "piped"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    cli.stdout.on("data", (chunk: Buffer) => { out += chunk.toString(); });
    await new Promise((r) => setTimeout(r, 300));
    cli.stdin.end("echo piped-$((3*3))\n");
    const code = await new Promise((r) => cli.on("exit", r));
    expect(code).toBe(0);
    expect(out).toContain("piped-9");
    // The console is shared: the other viewer saw the same answer.
    await viewer.waitFor("piped-9", 5_000);
    viewer.close();
    expect((await host.cli(["stop", "--force", "piped"])).code).toBe(0);
  });

  it("pause, resume and reset act on the running guest, and wrong-state requests are refused with 409", async () => {
    await host.client.createVm(guestDefinition("states"));
    const again = await host.cli(["stop", "states"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cannot stop VM "states": it is stopped');
    expect((await host.cli(["start", "states"])).code).toBe(0);
    const twice = await host.cli(["start", "states", "--json"]);
    expect(twice.code).toBe(1);
    expect(JSON.parse(twice.stdout)[0].error.message).toMatch(/it is running; start needs it stopped or crashed/);
    expect((await host.cli(["destroy", "states"])).stderr).toContain("stop it first");

    expect((await host.cli(["pause", "states"])).stdout).toBe("states: paused\n");
    expect((await host.client.getVm("states")).state).toBe("paused");
    expect((await host.cli(["resume", "states"])).stdout).toBe("states: resumed\n");
    const console = await ConsoleReader.open(host.client, "states");
    await console.waitFor(GUEST_READY_LINE);
    const before = console.text.length;
    expect((await host.cli(["reset", "states"])).code).toBe(0);
    await console.waitFor(GUEST_READY_LINE, 60_000, before);
    console.close();
    expect((await host.cli(["stop", "--force", "states"])).code).toBe(0);
    expect((await host.client.getVm("states")).lastExitReason).toBe("host-stop");
  });

  it("suspend saves the guest to disk and resume continues it where it was, shell state included", async () => {
    await host.client.createVm(guestDefinition("sleeper"));
    expect((await host.cli(["start", "sleeper"])).code).toBe(0);
    let console = await ConsoleReader.open(host.client, "sleeper");
    await console.waitFor(GUEST_READY_LINE);
    await console.run("SECRET=kept-$((20+22)); cat /proc/uptime > /tmp/before");
    console.close();
    const pid = host.qemuPid("sleeper")!;
    expect((await host.cli(["suspend", "sleeper"])).stdout).toBe("sleeper: suspended\n");
    const vm = await host.client.getVm("sleeper");
    expect(vm).toMatchObject({ state: "suspended" });
    expect(vm.pid).toBeUndefined();
    expect(existsSync(join(host.home, "datastores/local/sleeper/sleeper.vmstate"))).toBe(true);
    expect((await host.cli(["edit", "sleeper"], { EDITOR: "sed -i s/256MiB/300MiB/" })).stderr).toContain("stop it to change hardware");

    expect((await host.cli(["resume", "sleeper"])).stdout).toBe("sleeper: resumed\n");
    expect(host.qemuPid("sleeper")).not.toBe(pid);
    expect(existsSync(join(host.home, "datastores/local/sleeper/sleeper.vmstate"))).toBe(false);
    console = await ConsoleReader.open(host.client, "sleeper");
    // The same shell, with its variable, and no boot in between: the ready line is not printed again.
    await console.waitFor(GUEST_READY_LINE, 5_000); // the scroll-back, from the console log
    const from = console.text.length;
    expect(await console.run("echo $SECRET")).toContain("kept-42");
    expect(console.text.slice(from)).not.toContain(GUEST_READY_LINE);
    console.close();

    expect((await host.cli(["suspend", "sleeper"])).code).toBe(0);
    expect((await host.cli(["stop", "sleeper"])).stdout).toBe("sleeper: stopped\n");
    expect(existsSync(join(host.home, "datastores/local/sleeper/sleeper.vmstate"))).toBe(false);
  });
});
