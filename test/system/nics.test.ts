// NICs of a running busybox guest on an isolated network, all inside a network namespace this file
// makes (vmctld runs in it; no guest traffic leaves it): its address in GET /vms, per-NIC counters in
// the monitor's metrics (from the guest's point of view), hot-plug and unplug of a second NIC that
// the guest sees and gets a DHCP lease on, link down and up, and the refusals.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import WebSocket from "ws";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";

const run = promisify(execFile);
const NS = `vmctl-n-${randomBytes(4).toString("hex")}`;
const SUBNET = "10.231.41.0/24";
const GATEWAY = "10.231.41.1";
const VM = "nic-a";
let host: TestHost;
let guest: ConsoleReader;

/** The guest's IPv4 address on `dev` once udhcpc has applied its lease. */
async function leasedAddress(dev: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const match = /inet (10\.231\.41\.\d+)\//.exec(await guest.run(`ip -4 addr show ${dev}`));
    if (match) return match[1]!;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`the guest got no lease on ${dev}; console:\n${guest.text.slice(-1500)}`);
}

interface Counters { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number }
interface NetworkMetrics extends Counters { nics?: Record<string, Counters> }

/** The monitor WebSocket's metrics messages, newest last. */
function monitor(name: string) {
  const socket = new WebSocket(`ws+unix://${host.home}/vmctld.sock:/ws/vms/${name}`);
  const metrics: Array<{ network?: NetworkMetrics }> = [];
  const waiters: Array<() => void> = [];
  socket.on("message", (raw) => {
    const message = JSON.parse(raw.toString()) as { type: string; data: { network?: NetworkMetrics } };
    if (message.type === "metrics") metrics.push(message.data);
    waiters.forEach((w) => w());
  });
  const next = (match: (m: { network?: NetworkMetrics }) => boolean, timeoutMs = 60_000) => new Promise<{ network?: NetworkMetrics }>((resolve, reject) => {
    const from = metrics.length;
    const check = () => {
      const found = metrics.slice(from).find(match);
      if (found) { clearTimeout(timer); resolve(found); }
    };
    const timer = setTimeout(() => reject(new Error(`no matching metrics; the last: ${JSON.stringify(metrics.slice(-2))}`)), timeoutMs);
    waiters.push(check);
  });
  return { socket, metrics, next };
}

beforeAll(async () => {
  await run("ip", ["netns", "add", NS]);
  await run("ip", ["-n", NS, "link", "set", "lo", "up"]);
  host = await TestHost.start({ netns: NS });
  await host.client.createNetwork({ name: "lab", kind: "isolated", subnet: SUBNET });
  await host.client.createVm(guestDefinition(VM, { nics: { net0: { network: "lab" } } }));
  expect((await host.cli(["start", VM])).code).toBe(0);
  guest = await ConsoleReader.open(host.client, VM);
  await guest.waitFor(GUEST_READY_LINE);
});

afterAll(async () => {
  guest?.close();
  await host?.close().catch(() => {});
  for (const pid of (await run("ip", ["netns", "pids", NS]).catch(() => ({ stdout: "" }))).stdout.split("\n").filter(Boolean)) {
    try { process.kill(Number(pid), "SIGKILL"); } catch { /* gone */ }
  }
  await run("ip", ["netns", "del", NS]).catch(() => {});
});

describe("NICs of a running VM", () => {
  it("shows the NIC's DHCP address in GET /vms, GET /vms/{name}, vmctl ls and vmctl show", async () => {
    const ip = await leasedAddress("eth0");
    const { mac } = (await host.client.getVm(VM)).definition!.nics.net0!;
    await expect.poll(async () => (await host.client.getVm(VM)).addresses, { timeout: 20_000 }).toEqual([{ nic: "net0", mac, ip, source: "dhcp" }]);
    expect((await host.client.listVms()).find((vm) => vm.name === VM)?.addresses).toEqual([{ nic: "net0", mac, ip, source: "dhcp" }]);
    const listed = JSON.parse((await host.cli(["ls", "--json"])).stdout) as Array<{ name: string; addresses: unknown[] }>;
    expect(listed.find((vm) => vm.name === VM)?.addresses).toEqual([{ nic: "net0", mac, ip, source: "dhcp" }]);
    const table = (await host.cli(["ls"])).stdout.split("\n");
    expect(table[0]).toMatch(/\bIP\b/);
    expect(table.find((line) => line.startsWith(VM))).toContain(ip);
    expect((await host.cli(["show", VM])).stdout).toContain(`address:     ${ip} (net0, ${mac}, dhcp)`);
  });

  it("counts each NIC's traffic in the metrics, as the guest sees it: what it sends is tx", async () => {
    const ip = await leasedAddress("eth0");
    const ws = monitor(VM);
    try {
      const first = (await ws.next((m) => m.network?.nics?.net0 !== undefined)).network!;
      expect(first).toMatchObject({ rxBytes: first.nics!.net0!.rxBytes, txBytes: first.nics!.net0!.txBytes });
      // The guest sends 10 pings of 1000 bytes to the bridge's address and gets the answers.
      expect(await guest.run(`ping -c 10 -i 0.2 -s 1000 -W 2 ${GATEWAY}`, 30_000)).toMatch(/10 packets received/);
      const after = (await ws.next((m) => (m.network?.nics?.net0?.txPackets ?? 0) >= first.txPackets + 10)).network!;
      expect(after.txBytes).toBeGreaterThanOrEqual(first.txBytes + 10 * 1000);
      expect(after.rxBytes).toBeGreaterThanOrEqual(first.rxBytes + 10 * 1000);
      // One way only: 50 UDP datagrams of 1400 bytes from the host side to a closed port of the guest
      // are its rx; the guest answers at most a few rate-limited, short port-unreachables.
      await run("ip", ["netns", "exec", NS, "bash", "-c", `for i in $(seq 50); do printf '%1400s' x > /dev/udp/${ip}/9; done`]);
      const flooded = (await ws.next((m) => (m.network?.rxBytes ?? 0) >= after.rxBytes + 50 * 1400)).network!;
      expect(flooded.txBytes - after.txBytes).toBeLessThan(50 * 1400 / 2);
    } finally {
      ws.socket.close();
    }
  });
});
