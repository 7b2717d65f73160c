// The network namespace a system test makes for vmctld and its guests (no bridge, tap or guest
// traffic reaches the machine's own namespace), and the wait for a guest's DHCP address.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type { ConsoleReader } from "./harness.js";

const run = promisify(execFile);

export interface Netns {
  /** `vmctl-<label>-<8 hex>`: unique per run, so files and parallel runs never share one. */
  readonly name: string;
  /** Runs a command inside the namespace (`ip netns exec`) and gives its stdout. */
  exec(args: string[]): Promise<string>;
  /**
   * SIGKILLs, by pid, whatever still runs in the namespace (close the TestHost first: it stops
   * vmctld and its QEMUs in order), then deletes the namespace. Idempotent; never throws.
   */
  close(): Promise<void>;
}

/** Makes a fresh namespace with its loopback up. */
export async function createNetns(label: string): Promise<Netns> {
  const name = `vmctl-${label}-${randomBytes(4).toString("hex")}`;
  await run("ip", ["netns", "add", name]);
  const netns: Netns = {
    name,
    exec: async (args) => (await run("ip", ["netns", "exec", name, ...args])).stdout,
    close: async () => {
      const { stdout } = await run("ip", ["netns", "pids", name]).catch(() => ({ stdout: "" }));
      for (const pid of stdout.split("\n").filter(Boolean)) {
        try { process.kill(Number(pid), "SIGKILL"); } catch { /* gone */ }
      }
      await run("ip", ["netns", "del", name]).catch(() => {});
    },
  };
  try {
    await run("ip", ["-n", name, "link", "set", "lo", "up"]);
  } catch (error) {
    await netns.close();
    throw error;
  }
  return netns;
}

/**
 * The guest's IPv4 address on `dev` (eth0 unless told) once its DHCP client has applied a lease in
 * `subnet`, a /24 given as a CIDR ("10.231.7.0/24") or its first three octets ("10.231.7"). Asks
 * over the serial console once a second, `tries` times (60 unless told); then throws with the
 * console's tail.
 */
export async function waitForAddress(console: ConsoleReader, subnet: string, options: { tries?: number; dev?: string } = {}): Promise<string> {
  const { tries = 60, dev = "eth0" } = options;
  const prefix = subnet.split("/")[0]!.split(".").slice(0, 3).join("\\.");
  const inet = new RegExp(`inet (${prefix}\\.\\d+)/`);
  for (let i = 0; i < tries; i++) {
    const match = inet.exec(await console.run(`ip -4 addr show ${dev}`));
    if (match) return match[1]!;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`the guest got no lease on ${subnet} (${dev}); console:\n${console.text.slice(-1500)}`);
}
