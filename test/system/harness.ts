// A real vmctld in a temporary home, the demo guest as a datastore, a console reader, and cleanup of
// every process started (by pid): what each system scenario stands on.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { inject } from "vitest";
import WebSocket from "ws";
import { VmctlClient } from "../../packages/client/src/index.js";
import type { VmDefinitionInput } from "../../packages/api-types/src/index.js";
import { GUEST_READY_LINE } from "../../packages/guest/src/index.js";
import { isAlive, isOurQemu } from "../../packages/qemu/src/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DAEMON = join(ROOT, "packages/daemon/dist/main.js");
const CLI = join(ROOT, "packages/cli/dist/main.js");
const run = promisify(execFile);

export { GUEST_READY_LINE };
export const ADMIN_PASSWORD = "test-admin-password";

export function guestDefinition(name: string, extra: Partial<VmDefinitionInput> = {}): VmDefinitionInput {
  const guest = inject("guest");
  return {
    name, memory: "256MiB",
    boot: { datastore: "images", kernel: "vmlinuz", initrd: "initrd.img", cmdline: guest.cmdline },
    ...extra,
  };
}

export class TestHost {
  daemon: ChildProcess | undefined;
  /** Everything every vmctld of this host wrote on stderr (its warnings and errors), across restarts. */
  log = "";
  readonly client: VmctlClient;
  private constructor(readonly home: string, readonly netns?: string) {
    this.client = new VmctlClient({ socketPath: join(home, "vmctld.sock") });
  }

  /**
   * `config` is added to the top of vmctld.toml (top-level keys such as `qemu = "..."`). `netns`: vmctld
   * runs in that network namespace (made by the test); outside one, the default network is user-mode,
   * as no test may make a bridge or send guest traffic in the machine's own namespace.
   */
  static async start(options: { config?: string; netns?: string } = {}): Promise<TestHost> {
    const home = mkdtempSync(join(tmpdir(), "vmctl-test-"));
    const config = options.config ?? "";
    const userDefault = options.netns || /^\[networks\.default\]/m.test(config) ? "" : `[networks.default]\nkind = "user"\n`;
    writeFileSync(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\nlog_level = "warn"\n${config}\n${userDefault}[datastores.images]\npath = ${JSON.stringify(inject("guest").dir)}\n`);
    const host = new TestHost(home, options.netns);
    await host.startDaemon();
    return host;
  }

  /** The HTTPS port vmctld listens on (loopback). */
  get port(): number {
    return Number(readFileSync(join(this.home, "vmctld.port"), "utf8").trim());
  }

  get pid(): number {
    return this.daemon!.pid!;
  }

  async startDaemon(): Promise<void> {
    const command = this.netns ? ["ip", ["netns", "exec", this.netns, process.execPath, DAEMON, "--home", this.home]] as const : [process.execPath, [DAEMON, "--home", this.home]] as const;
    const daemon = spawn(command[0], [...command[1]], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, VMCTL_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    let stderr = "";
    daemon.stderr!.on("data", (chunk: Buffer) => { stderr += chunk.toString(); this.log += chunk.toString(); });
    this.daemon = daemon;
    // A readiness bound, not a timing check: on two cores shared with other work a start took over 20 s.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await this.client.host();
        return;
      } catch (error) {
        if (daemon.exitCode !== null) throw new Error(`vmctld exited with ${daemon.exitCode}: ${stderr}`);
        if (Date.now() > deadline) {
          // Not left running: no close() will come for a host that never started.
          daemon.kill("SIGKILL");
          throw new Error(`vmctld did not answer: ${(error as Error).message}\n${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** kill -9 vmctld, as a crash would. */
  async killDaemon(): Promise<void> {
    const daemon = this.daemon!;
    const exited = new Promise((r) => daemon.once("exit", r));
    daemon.kill("SIGKILL");
    await exited;
  }

  /** Runs the vmctl CLI against this host. */
  async cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, "--home", this.home, ...args], { env: { ...process.env, ...env }, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
  }

  qemuPid(name: string): number | undefined {
    const file = join(this.home, "run", name, "qemu.pid");
    return existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : undefined;
  }

  /** Ends every QEMU this host started (by pid), then vmctld, then removes the home. */
  async close(): Promise<void> {
    const runDir = join(this.home, "run");
    // A vmctld ended by a signal has a null exitCode but its signalCode: no "exit" would come again.
    if (this.daemon && this.daemon.exitCode === null && this.daemon.signalCode === null) await this.killDaemon();
    for (const name of existsSync(runDir) ? readdirSync(runDir) : []) {
      const pid = this.qemuPid(name);
      if (pid && isAlive(pid) && isOurQemu(pid, join(runDir, name, "qmp.sock"))) process.kill(pid, "SIGKILL");
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Runs the built vmctl CLI with `stdin` piped in (a password prompt's answer, say). */
export async function runCliWithInput(args: string[], env: Record<string, string>, stdin = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => { stdout += c.toString(); });
  child.stderr!.on("data", (c: Buffer) => { stderr += c.toString(); });
  child.stdin!.end(stdin);
  const code = await new Promise<number>((r) => child.on("exit", (c) => r(c ?? 1)));
  return { code, stdout, stderr };
}

/**
 * Sends a request whose Content-Length announces `declaredBytes` but writes only a little of the
 * body, and reads the answer: how to see an oversized upload refused without racing the server's
 * close against the client's writes (a real client may get EPIPE instead of the 413).
 */
export function announceOversizedBody(socket: import("node:net").Socket, path: string, declaredBytes: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => { text += chunk.toString("latin1"); });
    socket.on("error", reject);
    socket.on("close", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf("\r\n\r\n") + 4) });
    });
    const head = Object.entries({ host: "localhost", "content-type": "application/json", "content-length": String(declaredBytes), connection: "close", ...headers })
      .map(([k, v]) => `${k}: ${v}`).join("\r\n");
    socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n\r\n{"name":"big","description":"`);
    setTimeout(() => socket.end(), 2000).unref();
  });
}

/** A viewer of a VM's shared serial console through vmctld's WebSocket. */
export class ConsoleReader {
  text = "";
  ended = false;
  readonly errors: string[] = [];
  private waiters: Array<() => void> = [];
  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (raw) => {
      const message = JSON.parse(raw.toString()) as { type: string; data: { content?: string; eof?: boolean; message?: string } };
      if (message.type === "error") this.errors.push(message.data.message ?? "error");
      if (message.type === "console" && message.data.content) this.text += Buffer.from(message.data.content, "base64").toString("latin1");
      if (message.type === "console" && message.data.eof) this.ended = true;
      this.waiters.forEach((w) => w());
    });
    socket.on("close", () => { this.ended = true; this.waiters.forEach((w) => w()); });
  }

  static async open(client: VmctlClient, name: string): Promise<ConsoleReader> {
    const socket = client.openConsole(name);
    // Listen before "open": the scroll-back can arrive in the same read as the upgrade answer.
    const reader = new ConsoleReader(socket);
    await new Promise<void>((resolve, reject) => { socket.once("open", () => resolve()); socket.once("error", reject); });
    return reader;
  }

  /** Resolves once the console output (after `from`) matches; fails with what was seen after timeoutMs. */
  waitFor(pattern: string | RegExp, timeoutMs = 60_000, from = 0): Promise<void> {
    const matches = () => (typeof pattern === "string" ? this.text.indexOf(pattern, from) >= 0 : pattern.test(this.text.slice(from)));
    return new Promise((resolve, reject) => {
      const check = () => {
        if (matches()) { clearTimeout(timer); this.waiters = this.waiters.filter((w) => w !== check); resolve(); }
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`console never showed ${String(pattern)} within ${timeoutMs} ms; it showed:\n${this.text.slice(-2000)}${this.errors.length ? `\nerrors: ${this.errors.join("; ")}` : ""}`));
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  type(text: string): void {
    this.socket.send(JSON.stringify({ type: "console_input", data: { content: Buffer.from(text).toString("base64") } }));
  }

  /** Types a command and waits for a marker it prints, so the echo of the typed line does not count. */
  async run(command: string, timeoutMs = 20_000): Promise<string> {
    const marker = `m${Math.random().toString(36).slice(2, 10)}`;
    const from = this.text.length;
    this.type(`${command}; echo ${marker}-$((1+1))\n`);
    await this.waitFor(`${marker}-2`, timeoutMs, from);
    return this.text.slice(from);
  }

  close(): void {
    this.socket.close();
  }
}

export async function waitForState(client: VmctlClient, name: string, state: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = (await client.getVm(name)).state;
    if (last === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`VM "${name}" did not become ${state} within ${timeoutMs} ms; it is ${last}`);
}
