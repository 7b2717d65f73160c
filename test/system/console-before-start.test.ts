// A serial console opened before Start: it waits, attaches when the VM starts and shows the whole
// boot; it ends cleanly when the VM stops or is destroyed; `vmctl console` waits the same way.
import { describe, it, expect, beforeAll, afterAll, inject } from "vitest";
import { spawn } from "node:child_process";
import { join } from "node:path";
import type WebSocket from "ws";
import { TestHost, guestDefinition, GUEST_READY_LINE } from "./harness.js";
import { GUEST_PROMPT } from "../../packages/guest/src/index.js";

let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

interface Status { status: string; state: string; console: string; message: string }

/** A JSON viewer that keeps everything it is told: output, status and error messages, eof, the close. */
class Viewer {
  text = "";
  readonly statuses: Status[] = [];
  readonly errors: Array<{ code: string; message: string }> = [];
  eof = false;
  closed: { code: number; reason: string } | undefined;
  readonly opened: Promise<void>;
  constructor(readonly socket: WebSocket) {
    socket.on("message", (raw) => {
      const message = JSON.parse(raw.toString()) as { type: string; data: Record<string, unknown> };
      if (message.type === "console") {
        if (typeof message.data.content === "string") this.text += Buffer.from(message.data.content, "base64").toString("latin1");
        if (message.data.eof === true) this.eof = true;
      }
      if (message.type === "status") this.statuses.push(message.data as unknown as Status);
      if (message.type === "error") this.errors.push(message.data as { code: string; message: string });
    });
    socket.on("close", (code, reason) => { this.closed = { code, reason: reason.toString() }; });
    this.opened = new Promise((resolve, reject) => { socket.once("open", () => resolve()); socket.once("error", reject); });
  }

  type(text: string): void {
    this.socket.send(JSON.stringify({ type: "console_input", data: { content: Buffer.from(text).toString("base64") } }));
  }
}

const open = async (name: string) => {
  const viewer = new Viewer(host.client.openConsole(name));
  await viewer.opened;
  return viewer;
};

describe("a serial console opened while the VM is stopped", () => {
  it("waits, attaches at Start and shows the boot from the kernel's first line to the shell prompt; it ends cleanly at stop and at destroy", async () => {
    // Without `quiet` the kernel prints its whole log on the serial line, from "Linux version" on.
    const { boot } = guestDefinition("early");
    await host.client.createVm(guestDefinition("early", { boot: { ...boot, cmdline: inject("guest").cmdline.replace(/\bquiet\b/, "").trim() } }));
    const viewer = await open("early");
    await expect.poll(() => viewer.statuses.length).toBeGreaterThan(0);
    expect(viewer.statuses[0]).toMatchObject({ status: "stopped", state: "stopped", console: "waiting", message: "waiting for early to start (it is stopped)" });
    expect(viewer.closed).toBeUndefined();
    expect(viewer.text).toBe("");
    // Typing before the VM runs is refused, and the console stays open.
    viewer.type("too early\n");
    await expect.poll(() => viewer.errors.map((e) => e.code)).toEqual(["vm_wrong_state"]);
    expect(viewer.closed).toBeUndefined();

    expect((await host.cli(["start", "early"])).code).toBe(0);
    await expect.poll(() => viewer.text.includes(GUEST_READY_LINE) && viewer.text.includes(GUEST_PROMPT), { timeout: 90_000 }).toBe(true);
    expect(viewer.statuses.at(-1)).toMatchObject({ console: "attached", status: "running" });
    // Nothing is missing: the first bytes QEMU wrote are the kernel's first line (no firmware
    // prints on the serial line with a direct kernel boot), and they open what the viewer got.
    expect(viewer.text).toMatch(/^\[\s*0\.000000\] Linux version \d/);
    // The waiting viewer is a viewer like any other: what it types reaches the guest.
    const from = viewer.text.length;
    viewer.type("echo typed-$((2+3))\n");
    await expect.poll(() => viewer.text.slice(from)).toContain("typed-5");

    // A stop ends it as it ends every console: eof, then a clean close.
    expect((await host.cli(["stop", "--force", "early"])).code).toBe(0);
    await expect.poll(() => viewer.closed).toEqual({ code: 1000, reason: "console ended" });
    expect(viewer.eof).toBe(true);

    // A viewer waiting on the stopped VM is ended cleanly when the VM is destroyed.
    const waiting = await open("early");
    await expect.poll(() => waiting.statuses.map((s) => s.console)).toEqual(["waiting"]);
    expect((await host.cli(["destroy", "early"])).code).toBe(0);
    await expect.poll(() => waiting.closed).toEqual({ code: 1000, reason: "vm destroyed" });
    expect(waiting.eof).toBe(true);
    expect(waiting.text).toBe("");
  });

  it("a viewer of a VM that does not exist gets vm_not_found and close code 4404", async () => {
    const viewer = new Viewer(host.client.openConsole("no-such-vm"));
    await expect.poll(() => viewer.closed).toEqual({ code: 4404, reason: "vm not found" });
    expect(viewer.errors).toEqual([{ code: "vm_not_found", message: 'no VM named "no-such-vm"' }]);
    expect(viewer.statuses).toEqual([]);
  });

  it("vmctl console says it waits for the VM, then shows its boot and types what it is given", async () => {
    await host.client.createVm(guestDefinition("early-cli"));
    const cli = spawn(process.execPath, [join(import.meta.dirname, "../../packages/cli/dist/main.js"), "--home", host.home, "console", "early-cli"], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    cli.stdout!.on("data", (c: Buffer) => { stdout += c.toString("latin1"); });
    cli.stderr!.on("data", (c: Buffer) => { stderr += c.toString(); });
    const exited = new Promise<number>((resolve) => cli.on("exit", (code) => resolve(code ?? 1)));
    try {
      await expect.poll(() => stderr).toContain("waiting for early-cli to start");
      expect((await host.cli(["start", "early-cli"])).code).toBe(0);
      await expect.poll(() => stdout, { timeout: 90_000 }).toContain(GUEST_PROMPT);
      expect(stdout).toContain(GUEST_READY_LINE);
      cli.stdin!.end("echo from-cli-$((6*7))\n");
      expect(await exited).toBe(0);
      expect(stdout).toContain("from-cli-42");
      expect(stderr).toBe("waiting for early-cli to start\n");
    } finally {
      if (cli.exitCode === null) cli.kill("SIGKILL");
    }
    expect((await host.cli(["stop", "--force", "early-cli"])).code).toBe(0);
  });
});
