// A read-only view of an RFB (VNC) connection: reads both directions of the handshake as a state
// machine (RFC 6143 §7.1–7.3) to learn the version and security type the two sides agreed on, then
// passes only the client messages that viewing needs. Anything it does not understand fails the
// connection closed: no byte reaches the VNC server unless the filter knows what it is.
import { classifyClientMessage } from "./rfb-input-filter-messages.js";
import { ByteQueue } from "./rfb-input-filter-queue.js";

/** The versions a read-only view can follow, in order; 3.889 is Apple's, whose handshake is 3.8's. */
const VERSIONS = ["003.003", "003.007", "003.008", "003.889"] as const;
type Version = (typeof VERSIONS)[number];

/** Security types the view can follow: None, and VNC authentication (16-byte challenge and response). */
const NONE = 1;
const VNC_AUTH = 2;
/** What either side may send ahead of what the other has said yet (a pipelining client, say). */
export const MAX_HELD_BYTES = 64 * 1024;

type Step =
  | { at: "server-version" }
  | { at: "client-version"; server: Version }
  | { at: "server-security-type"; version: Version } // 3.3: the server chooses
  | { at: "server-security-list"; version: Version } // 3.7 and later: the server offers, the client chooses
  | { at: "client-security-choice"; version: Version; offered: readonly number[] }
  | { at: "server-challenge"; version: Version }
  | { at: "client-response"; version: Version }
  | { at: "server-security-result"; version: Version }
  | { at: "client-init" }
  | { at: "messages" }
  | { at: "failed" };

export class RfbInputFilter {
  private step: Step = { at: "server-version" };
  private readonly server = new ByteQueue();
  private readonly client = new ByteQueue();
  /** Bytes of a dropped message still to come. */
  private discarding = 0;
  private reason: string | undefined;
  /** Messages dropped so far (keys, pointer, clipboard, QEMU extensions). */
  dropped = 0;
  /** Of those, the ones a user typed, pointed or pasted. */
  droppedInput = 0;

  /** Why the connection must be closed, once the filter has failed it; nothing passes after that. */
  get failure(): string | undefined {
    return this.reason;
  }

  /**
   * Bytes from the VNC server (forwarded to the client unchanged by the caller). Returns client bytes
   * they release: what the client sent ahead and the filter held until it knew what they meant.
   */
  fromServer(chunk: Buffer): Buffer {
    if (this.step.at === "messages" || this.step.at === "failed") return Buffer.alloc(0);
    this.server.push(chunk);
    return this.advance();
  }

  /** Bytes from the client; returns those that may go on to the VNC server. */
  fromClient(chunk: Buffer): Buffer {
    if (this.step.at === "failed") return Buffer.alloc(0);
    this.client.push(chunk);
    return this.advance();
  }

  private advance(): Buffer {
    const out: Buffer[] = [];
    while (this.step.at !== "failed" && this.next(out));
    if (this.step.at === "messages") this.server.clear();
    if (this.step.at !== "failed") {
      for (const [queue, side] of [[this.server, "server"], [this.client, "client"]] as const) {
        if (queue.length > MAX_HELD_BYTES) this.fail(`the ${side} sent over ${MAX_HELD_BYTES} bytes ahead of the handshake`);
        queue.compact();
      }
    }
    // What was checked before a failure still goes: it is exactly what a well-behaved client sent.
    return Buffer.concat(out);
  }

  /** Takes one step if the bytes for it are there; false when waiting for more (or failed). */
  private next(out: Buffer[]): boolean {
    const step = this.step;
    switch (step.at) {
      case "server-version": {
        if (this.server.length < 12) return false;
        const version = parseVersion(this.server.take(12));
        if (!version.known) return this.fail(`the VNC server speaks ${version.text}, which a read-only view cannot follow`);
        this.step = { at: "client-version", server: version.known };
        return true;
      }
      case "client-version": {
        if (this.client.length < 12) return false;
        const bytes = this.client.take(12);
        const version = parseVersion(bytes);
        if (!version.known) return this.fail(`the client asked for ${version.text}, which a read-only view cannot follow`);
        if (VERSIONS.indexOf(version.known) > VERSIONS.indexOf(step.server)) {
          return this.fail(`the client asked for ${version.text}, above the server's RFB ${step.server}`);
        }
        out.push(bytes);
        this.step = version.known === "003.003" ? { at: "server-security-type", version: version.known } : { at: "server-security-list", version: version.known };
        return true;
      }
      case "server-security-type": {
        if (this.server.length < 4) return false;
        const type = this.server.take(4).readUInt32BE(0);
        if (type === 0) return this.fail("the VNC server refused the connection");
        return this.securityAgreed(step.version, type);
      }
      case "server-security-list": {
        const count = this.server.peek(1)[0];
        if (count === undefined || this.server.length < 1 + count) return false;
        if (count === 0) return this.fail("the VNC server refused the connection");
        const offered = [...this.server.take(1 + count).subarray(1)];
        this.step = { at: "client-security-choice", version: step.version, offered };
        return true;
      }
      case "client-security-choice": {
        if (this.client.length < 1) return false;
        const bytes = this.client.take(1);
        const type = bytes[0]!;
        if (!step.offered.includes(type)) return this.fail(`the client chose security type ${type}, which the server did not offer`);
        out.push(bytes);
        return this.securityAgreed(step.version, type);
      }
      case "server-challenge":
        if (this.server.length < 16) return false;
        this.server.skip(16);
        this.step = { at: "client-response", version: step.version };
        return true;
      case "client-response":
        if (this.client.length < 16) return false;
        out.push(this.client.take(16));
        this.step = { at: "server-security-result", version: step.version };
        return true;
      case "server-security-result": {
        if (this.server.length < 4) return false;
        // On failure 3.8 follows with a reason; the connection ends either way, so it is not read.
        if (this.server.take(4).readUInt32BE(0) !== 0) return this.fail("the VNC server refused the security handshake");
        this.step = { at: "client-init" };
        return true;
      }
      case "client-init":
        if (this.client.length < 1) return false;
        out.push(this.client.take(1)); // the shared flag: any value
        this.step = { at: "messages" };
        return true;
      case "messages":
        return this.nextMessage(out);
      case "failed":
        return false;
    }
  }

  /** After the agreed security type: what comes next, by type and version. */
  private securityAgreed(version: Version, type: number): boolean {
    if (type === VNC_AUTH) this.step = { at: "server-challenge", version };
    else if (type !== NONE) return this.fail(`security type ${type} is not one a read-only view can follow (only None and VNC authentication)`);
    // With None, only 3.8 (and Apple's 3.889) send a SecurityResult.
    else this.step = version === "003.003" || version === "003.007" ? { at: "client-init" } : { at: "server-security-result", version };
    return true;
  }

  private nextMessage(out: Buffer[]): boolean {
    if (this.discarding > 0) {
      this.discarding -= this.client.skip(this.discarding);
      return this.discarding === 0;
    }
    const verdict = classifyClientMessage(this.client.peek(8));
    switch (verdict.kind) {
      case "wait":
        return false;
      case "fail":
        return this.fail(verdict.reason);
      case "drop":
        this.dropped++;
        if (verdict.input) this.droppedInput++;
        this.discarding = verdict.length;
        return true;
      case "pass":
        if (this.client.length < verdict.length) return false;
        out.push(this.client.take(verdict.length));
        return true;
    }
  }

  private fail(reason: string): false {
    this.reason = reason;
    this.step = { at: "failed" };
    this.server.clear();
    this.client.clear();
    return false;
  }
}

/** "RFB xxx.yyy\n" → the version if the view knows it, and a printable form for messages. */
function parseVersion(bytes: Buffer): { known: Version | undefined; text: string } {
  const text = bytes.toString("latin1");
  const match = /^RFB (\d{3}\.\d{3})\n$/.exec(text);
  const known = VERSIONS.find((v) => v === match?.[1]);
  return { known, text: match ? `RFB ${match[1]}` : `a malformed version ${JSON.stringify(text)}` };
}
