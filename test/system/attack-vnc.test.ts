// Class 3 of the second security round: a read-only graphical console can never send input. A
// ReadOnly user opens the VNC WebSocket over real WSS, speaks RFB 3.3, 3.7 or 3.8 itself and types
// a command into the shell on the guest's screen (tty1); the serial console then shows that nothing
// ran, while an Operator doing the same through the same code sees it run (so the test can fail).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import WebSocket from "ws";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";
import { launchChromium, logIn } from "./browser.js";
import { https } from "./https-support.js";

const VM = "screen";
let host: TestHost;
let serial: ConsoleReader;
const tokens: Record<string, string> = {};

/** A minimal RFB client over vmctld's VNC WebSocket: reads what it needs, writes raw messages. */
class RfbClient {
  private data = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | undefined;
  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (raw: Buffer) => { this.data = Buffer.concat([this.data, raw]); this.wake(); });
    socket.on("close", (code, reason) => { this.closed = { code, reason: reason.toString() }; this.wake(); });
  }

  static async open(token: string): Promise<RfbClient> {
    const minted = await https(host.port, "POST", `/api/v1/vms/${VM}/console`, { token, body: { purpose: "vnc" } });
    expect(minted.status).toBe(200);
    const socket = new WebSocket(`wss://127.0.0.1:${host.port}/ws/vms/${VM}/vnc?ticket=${String(minted.json().ticket)}`, ["binary"], { rejectUnauthorized: false });
    const client = new RfbClient(socket);
    await new Promise<void>((resolve, reject) => { socket.once("open", () => resolve()); socket.once("error", reject); });
    return client;
  }

  private wake(): void {
    this.waiters.forEach((w) => w());
  }

  /** Resolves once `n` bytes have arrived (and takes them), or fails when the socket closes first. */
  read(n: number, timeoutMs = 20_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.data.length >= n) {
          done();
          const bytes = this.data.subarray(0, n);
          this.data = this.data.subarray(n);
          resolve(bytes);
        } else if (this.closed) {
          done();
          reject(new Error(`the VNC WebSocket closed (${this.closed.code} ${this.closed.reason}) while ${n} bytes were awaited`));
        }
      };
      const timer = setTimeout(() => { done(); reject(new Error(`${n} bytes never came from the VNC server within ${timeoutMs} ms`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); this.waiters = this.waiters.filter((w) => w !== check); };
      this.waiters.push(check);
      check();
    });
  }

  send(bytes: Buffer): void {
    this.socket.send(bytes);
  }

  /** The handshake as a client speaking `version` does it, with security None, up to ServerInit. */
  async handshake(version: "003.003" | "003.007" | "003.008"): Promise<void> {
    expect((await this.read(12)).toString("latin1")).toBe("RFB 003.008\n");
    this.send(Buffer.from(`RFB ${version}\n`, "latin1"));
    if (version === "003.003") {
      expect((await this.read(4)).readUInt32BE(0)).toBe(1); // the server chose None
    } else {
      const count = (await this.read(1))[0]!;
      expect([...(await this.read(count))]).toContain(1);
      this.send(Buffer.from([1]));
      if (version === "003.008") expect((await this.read(4)).readUInt32BE(0)).toBe(0);
    }
    this.send(Buffer.from([1])); // ClientInit, shared: other viewers stay connected
    const init = await this.read(24);
    await this.read(init.readUInt32BE(20)); // the desktop name
    this.data = Buffer.alloc(0);
  }

  /**
   * Asks for the extended clipboard as noVNC does and answers QEMU's capabilities with its own,
   * which noVNC sends even when view-only: a read-only view must let that session go on.
   */
  async extendedClipboard(): Promise<void> {
    this.send(Buffer.from([2, 0, 0, 2, 0, 0, 0, 0, 0xc0, 0xa1, 0xe5, 0xce])); // SetEncodings: raw, extended clipboard
    const head = await this.read(8);
    expect(head[0]).toBe(3); // ServerCutText…
    expect(head.readInt32BE(4)).toBeLessThan(0); // …of the extended kind: QEMU's capabilities
    await this.read(-head.readInt32BE(4));
    this.send(Buffer.from([6, 0, 0, 0, 0xff, 0xff, 0xff, 0xf8, 0x1f, 0, 0, 1, 0, 0, 0, 0]));
  }

  /**
   * Asks for one pixel and waits for the answer: QEMU reads a client's messages in order, so once
   * it answers, it has handled everything sent before.
   */
  async sync(): Promise<void> {
    this.data = Buffer.alloc(0);
    this.send(Buffer.from([3, 0, 0, 0, 0, 0, 0, 1, 0, 1]));
    await this.read(1);
  }

  /**
   * Sends the bytes in pieces with a pause between them: QEMU drops scan codes when the guest's
   * 16-byte PS/2 queue is full, which a guest starved of CPU (TCG on a busy host) lets happen.
   */
  async sendSlowly(pieces: Buffer[]): Promise<void> {
    for (const piece of pieces) {
      this.send(piece);
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  close(): void {
    this.socket.close();
  }
}

const RETURN = 0xff0d;
const keysyms = (text: string) => [...text].map((c) => (c === "\n" ? RETURN : c.charCodeAt(0)));

function keyEvent(down: number, keysym: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(4, 0);
  b.writeUInt8(down, 1);
  b.writeUInt32BE(keysym, 4);
  return b;
}

/** Each character pressed and released, as a VNC viewer types: one piece per key. */
const typing = (text: string) => keysyms(text).map((k) => Buffer.concat([keyEvent(1, k), keyEvent(0, k)]));

/** PC scan codes (set 1) of what the tests type, for QEMU's extended key events. */
const SCANCODES = new Map<string, number>([
  ...[..."1234567890-"].map((c, i) => [c, 0x02 + i] as const), ...[..."qwertyuiop"].map((c, i) => [c, 0x10 + i] as const),
  ...[..."asdfghjkl"].map((c, i) => [c, 0x1e + i] as const), ...[..."zxcvbnm"].map((c, i) => [c, 0x2c + i] as const),
  ["/", 0x35], [" ", 0x39], ["\n", 0x1c],
]);

/** QEMU's extended key events (type 255/0, with the scan code), as noVNC types on QEMU. */
function qemuTyping(text: string): Buffer[] {
  return [...text].map((c, i) => Buffer.concat([1, 0].map((down) => {
    const code = SCANCODES.get(c);
    if (code === undefined) throw new Error(`no scan code for ${JSON.stringify(c)}`);
    const b = Buffer.alloc(12);
    b.writeUInt8(255, 0);
    b.writeUInt16BE(down, 2);
    b.writeUInt32BE(keysyms(text)[i]!, 4);
    b.writeUInt32BE(code, 8);
    return b;
  })));
}

/**
 * The one-byte-off attack on RFB 3.3, where the client sends no security type: a filter that takes
 * 14 bytes as handshake (version, security type, ClientInit) takes the first byte after ClientInit
 * too. That byte is a KeyEvent's type (4); the filter then reads the KeyEvent's down flag (2) as a
 * SetEncodings whose count (its padding and the keysym's top byte: 256) swallows 1028 bytes, in
 * which QEMU reads the rest of the typing and a clipboard message that realigns both readings.
 */
function smuggledPast14ByteHandshake(text: string): Buffer {
  const events = keysyms(text).flatMap((k) => [[2, k], [0, k]] as const);
  const first = keyEvent(2, events[0]![1]);
  first.writeUInt8(1, 3); // padding to QEMU, the count's high byte to the old filter
  const rest = Buffer.concat(events.slice(1).map(([down, k]) => keyEvent(down, k)));
  const fill = 1 + 4 + 4 * 256 - first.length - rest.length - 8; // the old filter's SetEncodings ends at byte 1029
  expect(fill).toBeGreaterThan(0);
  const cut = Buffer.concat([Buffer.from([6, 0, 0, 0]), Buffer.alloc(4), Buffer.alloc(fill, 0x61)]);
  cut.writeUInt32BE(fill, 4);
  return Buffer.concat([first, rest, cut]);
}

/** Splits a stream into 16-byte pieces (a key's press and release) for pacing; QEMU sees the same bytes. */
const pieces = (bytes: Buffer) => Array.from({ length: Math.ceil(bytes.length / 16) }, (_, i) => bytes.subarray(16 * i, 16 * i + 16));

/** Waits until a command typed on the screen has run (the file exists), by the serial console. */
async function waitForFile(path: string): Promise<void> {
  const output = await serial.run(`n=0; until [ -e ${path} ] || [ $n -ge 150 ]; do sleep 0.2; n=$((n+1)); done; [ -e ${path} ] && echo present-$((6*7))`, 60_000);
  if (!output.includes("present-42")) expect.fail(`${path} never appeared; the screen shows:\n${await screen()}`);
}

async function fileExists(path: string): Promise<boolean> {
  const output = await serial.run(`[ -e ${path} ] && echo exists-$((6*7)) || echo absent-$((6*7))`);
  return output.includes("exists-42");
}

/** The text on tty1 (the VGA screen), read from /dev/vcs1 through the serial console, 80 columns a line. */
async function screen(): Promise<string> {
  const output = await serial.run("echo S$((1))B; cat /dev/vcs1; echo; echo S$((1))E");
  const text = output.slice(output.indexOf("S1B") + 3, output.lastIndexOf("S1E")).replace(/\r?\n/g, "");
  return (text.match(/.{1,80}/g) ?? []).map((line) => line.trimEnd()).filter(Boolean).join("\n");
}

/** Blanks tty1, so that afterwards it shows only what was typed since. */
async function clearScreen(): Promise<void> {
  await serial.run("printf '\\033[H\\033[2J' > /dev/tty1");
}

async function auditOf(user: string): Promise<Array<{ user: string; action: string; result: string; status: number }>> {
  const audit = await host.client.call<{ entries: Array<{ user: string; action: string; target: string | null; result: string; status: number }> }>("GET", `/api/v1/audit?target=${VM}&limit=100`);
  return audit.entries.filter((e) => e.user.startsWith(user));
}

/**
 * What the viewer types uses letters (z, k, x) found neither in the Operator's commands nor in the
 * prompt: after the Operator's command has run, none may be on the screen, even if the guest lost
 * some keys (its PS/2 queue drops them under load), so a partial leak counts too.
 */
const VIEWER_LETTERS = /[zkx]/;

beforeAll(async () => {
  host = await TestHost.start();
  for (const [user, role] of [["viewer", "ReadOnly"], ["operator", "Operator"]] as const) {
    await host.client.call("POST", "/api/v1/users", { username: user, password: `${user}-password`, role });
    tokens[role] = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: `${user}-token`, role, expires: null, user })).token;
  }
  await host.client.createVm(guestDefinition(VM, { console: { serial: true, vnc: true } }));
  expect((await host.cli(["start", VM])).code).toBe(0);
  serial = await ConsoleReader.open(host.client, VM);
  await serial.waitFor(GUEST_READY_LINE);
  // The screen's shell is up once a process has tty1 open.
  await serial.run("until ls -l /proc/[0-9]*/fd/0 2>/dev/null | grep -q tty1; do sleep 0.2; done", 60_000);
});
afterAll(async () => {
  serial?.close();
  await host?.close();
});

describe("a read-only graphical console cannot type into the guest", () => {
  for (const version of ["003.003", "003.007", "003.008"] as const) {
    const tag = version.slice(-1);
    it(`a ReadOnly viewer speaking RFB ${version} types a command on the screen and nothing runs; an Operator's runs`, async () => {
      await clearScreen();
      const viewer = await RfbClient.open(tokens.ReadOnly!);
      await viewer.handshake(version);
      await viewer.extendedClipboard();
      viewer.send(Buffer.concat(typing(`touch /tmp/zz${tag}\n`)));
      viewer.send(Buffer.concat(qemuTyping(`touch /tmp/kk${tag}\n`)));
      viewer.send(Buffer.from([5, 1, 0, 10, 0, 10])); // a click
      viewer.send(Buffer.concat([Buffer.from([6, 0, 0, 0, 0, 0, 0, 3]), Buffer.from("zzz")])); // the clipboard
      await viewer.sync(); // QEMU has seen everything the viewer's filter let through
      expect(viewer.closed).toBeUndefined(); // input is dropped, the view goes on
      viewer.close();

      const operator = await RfbClient.open(tokens.Operator!);
      await operator.handshake(version);
      await operator.sendSlowly(typing(`touch /tmp/op-${tag}\n`));
      await operator.sendSlowly(qemuTyping(`touch /tmp/oq-${tag}\n`));
      await operator.sync();
      operator.close();
      // Keys reach tty1 in the order QEMU got them: once the Operator's commands ran, the viewer's would have.
      await waitForFile(`/tmp/op-${tag}`);
      await waitForFile(`/tmp/oq-${tag}`);
      expect(await fileExists(`/tmp/zz${tag}`)).toBe(false);
      expect(await fileExists(`/tmp/kk${tag}`)).toBe(false);
      const shown = await screen();
      expect(shown).toContain(`touch /tmp/op-${tag}`);
      expect(shown).not.toMatch(VIEWER_LETTERS);
      expect(await auditOf("viewer")).toContainEqual(expect.objectContaining({ action: expect.stringContaining("VNC input"), result: "refused", status: 403 }));
    });
  }

  it("RFB 3.3: the byte after ClientInit is a message, not handshake, so a KeyEvent smuggled there is dropped", async () => {
    await clearScreen();
    const viewer = await RfbClient.open(tokens.ReadOnly!);
    await viewer.handshake("003.003");
    viewer.send(smuggledPast14ByteHandshake("touch /tmp/xx\n"));
    await viewer.sync();
    viewer.close();
    // The same bytes from an Operator (no filter) do type: the attack is real, QEMU reads it as keys.
    const operator = await RfbClient.open(tokens.Operator!);
    await operator.handshake("003.003");
    await operator.sendSlowly(pieces(smuggledPast14ByteHandshake("touch /tmp/op-s\n")));
    await operator.sync();
    operator.close();
    await waitForFile("/tmp/op-s");
    expect(await fileExists("/tmp/xx")).toBe(false);
    expect(await screen()).not.toMatch(VIEWER_LETTERS);
  });

  it("an unknown client message closes the connection with the reason, and nothing after it reaches QEMU", async () => {
    await clearScreen();
    const viewer = await RfbClient.open(tokens.ReadOnly!);
    await viewer.handshake("003.008");
    viewer.send(Buffer.concat([Buffer.from([7, 0, 0, 0]), ...typing("touch /tmp/zzu\n")]));
    await expect(viewer.read(1)).rejects.toThrow(/closed/);
    expect(viewer.closed).toEqual({ code: 1008, reason: "read-only view: unknown client message type 7" });
    const operator = await RfbClient.open(tokens.Operator!);
    await operator.handshake("003.008");
    await operator.sendSlowly(typing("touch /tmp/op-u\n"));
    await operator.sync();
    operator.close();
    await waitForFile("/tmp/op-u");
    expect(await fileExists("/tmp/zzu")).toBe(false);
    expect(await screen()).not.toMatch(VIEWER_LETTERS);
    expect(await auditOf("viewer")).toContainEqual(expect.objectContaining({ action: "VNC connection closed: unknown client message type 7", result: "refused", status: 400 }));
  });

  it("a client that picks a security type the server did not offer is closed before ClientInit", async () => {
    const viewer = await RfbClient.open(tokens.ReadOnly!);
    expect((await viewer.read(12)).toString("latin1")).toBe("RFB 003.008\n");
    viewer.send(Buffer.from("RFB 003.008\n", "latin1"));
    const count = (await viewer.read(1))[0]!;
    expect([...(await viewer.read(count))]).not.toContain(30);
    viewer.send(Buffer.from([30, 1]));
    await expect(viewer.read(1)).rejects.toThrow(/closed/);
    expect(viewer.closed).toEqual({ code: 1008, reason: "read-only view: the client chose security type 30, which the server did not offer" });
  });

  it("the Host Client's view-only console stays connected for a ReadOnly user (noVNC's clipboard answer is no input), and typing on it does nothing", async () => {
    await clearScreen();
    const browser = await launchChromium();
    try {
      const page = await logIn(browser, host, "viewer", "viewer-password");
      await page.getByRole("link", { name: VM, exact: true }).click();
      await page.getByRole("tab", { name: "Graphical console" }).click();
      await expect.poll(async () => page.getByTestId("vnc-status").innerText(), { timeout: 30_000 }).toBe("connected");
      // A first frame drawn: noVNC has handled QEMU's clipboard capabilities (sent before it) and answered.
      await expect.poll(async () => page.evaluate(() => {
        const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="vnc-screen"] canvas');
        return canvas ? canvas.width : 0;
      }), { timeout: 30_000 }).toBeGreaterThan(0);
      await page.locator('[data-testid="vnc-screen"] canvas').click();
      await page.keyboard.type("touch /tmp/zzb\n");
      const operator = await RfbClient.open(tokens.Operator!);
      await operator.handshake("003.008");
      await operator.sendSlowly(typing("touch /tmp/op-b\n"));
      await operator.sync();
      operator.close();
      await waitForFile("/tmp/op-b");
      expect(await fileExists("/tmp/zzb")).toBe(false);
      expect(await screen()).not.toMatch(VIEWER_LETTERS);
      expect(await page.getByTestId("vnc-status").innerText()).toBe("connected");
      // The browser session (user "viewer", not its token) sent no input and broke no rule: nothing refused.
      expect((await auditOf("viewer")).filter((e) => e.user === "viewer" && e.action.startsWith("VNC"))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
