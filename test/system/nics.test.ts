// NICs of a running busybox guest on an isolated network, all inside a network namespace this file
// makes (vmctld runs in it; no guest traffic leaves it): its address in GET /vms, per-NIC counters in
// the monitor's metrics (from the guest's point of view), hot-plug and unplug of a second NIC that
// the guest sees and gets a DHCP lease on, link down and up, and the refusals.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import WebSocket from "ws";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";
import { createNetns, waitForAddress, type Netns } from "./netns.js";

const run = promisify(execFile);
let netns: Netns;
let NS: string;
const SUBNET = "10.231.41.0/24";
const GATEWAY = "10.231.41.1";
const VM = "nic-a";
let host: TestHost;
let guest: ConsoleReader;

const links = async (): Promise<string[]> => (JSON.parse((await run("ip", ["-n", NS, "-j", "link", "show"])).stdout) as { ifname: string }[]).map((l) => l.ifname);
/** The guest's interfaces, sorted. */
const guestLinks = async (): Promise<string[]> => (/NETS:([a-z0-9 ]*)\r?\n/.exec(await guest.run("echo NETS:$(ls /sys/class/net)"))?.[1] ?? "").trim().split(/\s+/).sort();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The API over HTTPS inside the namespace (vmctld listens on its loopback), as an outside client with a token. */
async function httpsInNs(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: string }> {
  const args = ["netns", "exec", NS, "curl", "-sk", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-H", `authorization: Bearer ${token}`];
  if (body !== undefined) args.push("-H", "content-type: application/json", "--data", JSON.stringify(body));
  const { stdout } = await run("ip", [...args, `https://127.0.0.1:${host.port}${path}`]);
  const at = stdout.lastIndexOf("\n");
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
}

/** The guest's IPv4 address on `dev` once udhcpc has applied its lease. */
const leasedAddress = (dev: string): Promise<string> => waitForAddress(guest, SUBNET, { dev });

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
  netns = await createNetns("n");
  NS = netns.name;
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
  await netns?.close();
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
  it("sets a NIC's link down (the guest loses carrier and its pings fail) and up again, kept across a restart", async () => {
    expect(await guest.run(`ping -c 2 -W 2 ${GATEWAY}`, 30_000)).toMatch(/2 packets received/);
    const down = JSON.parse((await host.cli(["nic", "link", VM, "net0", "down", "--json"])).stdout) as { link: string };
    expect(down).toMatchObject({ id: "net0", link: "down" });
    expect(await guest.run("cat /sys/class/net/eth0/carrier")).toMatch(/^0\r?$/m);
    expect(await guest.run(`ping -c 2 -W 1 ${GATEWAY}`, 30_000)).toMatch(/ 0 packets received|unreachable/);
    expect((await host.client.getDefinition(VM)).text).toMatch(/link = "down"/);
    // The next start has it down from the first instruction on.
    guest.close();
    expect((await host.cli(["stop", VM, "--force"])).code).toBe(0);
    expect((await host.cli(["start", VM])).code).toBe(0);
    guest = await ConsoleReader.open(host.client, VM);
    await guest.waitFor(GUEST_READY_LINE);
    expect(await guest.run("cat /sys/class/net/eth0/carrier")).toMatch(/^0\r?$/m);
    expect((await host.cli(["nic", "link", VM, "net0", "up"])).stdout).toBe(`link of net0 on ${VM} is up\n`);
    expect(await guest.run("cat /sys/class/net/eth0/carrier")).toMatch(/^1\r?$/m);
    await leasedAddress("eth0");
    expect(await guest.run(`ping -c 3 -W 2 ${GATEWAY}`, 30_000)).toMatch(/[1-9] packets received/);
    expect((await host.client.getDefinition(VM)).text).not.toMatch(/link =/);
  });

  it("hot-plugs a second NIC: a tap on the bridge, a device the guest sees, a DHCP lease on it, its address in GET /vms", async () => {
    const before = await links();
    const added = await host.cli(["nic", "add", VM, "--network", "lab", "--json"]);
    expect(added).toMatchObject({ code: 0, stderr: "" });
    const nic = JSON.parse(added.stdout) as { id: string; mac: string; tap: string; network: string; link: string };
    expect(nic).toMatchObject({ id: "net1", network: "lab", model: "virtio", link: "up", mac: expect.stringMatching(/^52:54:00(:[0-9a-f]{2}){3}$/), tap: expect.any(String) });
    expect((await links()).filter((l) => !before.includes(l))).toEqual([nic.tap]);
    expect((await host.client.getVm(VM)).definition!.nics.net1).toEqual({ network: "lab", model: "virtio", mac: nic.mac, link: "up" });
    for (let i = 0; i < 60 && !(await guestLinks()).includes("eth1"); i++) await sleep(1000);
    expect(await guestLinks()).toEqual(["lo", "eth0", "eth1"].sort());
    expect(await guest.run("cat /sys/class/net/eth1/address")).toContain(nic.mac);
    await guest.run("ip link set eth1 up; udhcpc -i eth1 -n -q -t 10 -s /usr/share/udhcpc/default.script", 60_000);
    const ip = await leasedAddress("eth1");
    await expect.poll(async () => (await host.client.getVm(VM)).addresses.filter((a) => a.nic === "net1"), { timeout: 20_000 }).toEqual([{ nic: "net1", mac: nic.mac, ip, source: "dhcp" }]);
    const listed = JSON.parse((await host.cli(["nic", "ls", VM, "--json"])).stdout) as Array<{ id: string; addresses: string[] }>;
    expect(listed.map((n) => n.id)).toEqual(["net0", "net1"]);
    expect(listed[1]!.addresses).toEqual([ip]);
    const table = (await host.cli(["nic", "ls", VM])).stdout.split("\n");
    expect(table[0]).toMatch(/^ID\s+NETWORK\s+MODEL\s+MAC\s+LINK\s+TAP\s+IP/);
    expect(table.find((line) => line.startsWith("net1"))).toMatch(new RegExp(`lab\\s+virtio\\s+${nic.mac}\\s+up\\s+${nic.tap}\\s+${ip.replace(/\./g, "\\.")}`));
    // The metrics count the new NIC from its hot-plug on, beside the first.
    const ws = monitor(VM);
    try {
      const metrics = (await ws.next((m) => m.network?.nics?.net1 !== undefined)).network!;
      expect(Object.keys(metrics.nics!).sort()).toEqual(["net0", "net1"]);
      expect(metrics.rxBytes).toBe(metrics.nics!.net0!.rxBytes + metrics.nics!.net1!.rxBytes);
    } finally {
      ws.socket.close();
    }
  });

  it("unplugs it: the guest lets it go, its tap leaves the host, and the definition no longer has it", async () => {
    const { tap } = (await host.client.listNics(VM)).find((n) => n.id === "net1")!;
    const removed = await host.cli(["nic", "rm", VM, "net1"]);
    expect(removed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^removed net1 \(52:54:00:[0-9a-f:]+\) from nic-a\n$/) });
    expect(await guestLinks()).toEqual(["eth0", "lo"]);
    expect(await links()).not.toContain(tap);
    expect(Object.keys((await host.client.getVm(VM)).definition!.nics)).toEqual(["net0"]);
    expect((await host.client.getVm(VM)).addresses.map((a) => a.nic)).toEqual(["net0"]);
    expect((await host.cli(["nic", "rm", VM, "net1"])).stderr).toContain('"nic-a" has no NIC "net1"');
  });

  it("refuses a read-only user, an unknown network, a taken MAC, a bad or taken id, and changes nothing", async () => {
    await host.client.call("POST", "/api/v1/users", { username: "rita", password: "rita-password-1", role: "ReadOnly" });
    const { token } = await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "rita-nics", role: "ReadOnly", expires: null, user: "rita" });
    const { etag, definition } = await host.client.getVm(VM);
    const mac = definition!.nics.net0!.mac;
    const tapsBefore = await links();
    expect((await httpsInNs("GET", `/api/v1/vms/${VM}/nics`, token)).status).toBe(200);
    for (const [method, path, body] of [
      ["POST", `/api/v1/vms/${VM}/nics`, { network: "lab" }],
      ["DELETE", `/api/v1/vms/${VM}/nics/net0`, undefined],
      ["PUT", `/api/v1/vms/${VM}/nics/net0/link`, { link: "down" }],
    ] as const) {
      const answer = await httpsInNs(method, path, token, body);
      expect([method, answer.status], answer.body).toEqual([method, 403]);
      expect(answer.body).toContain("vm.edit");
    }
    await expect(host.client.addNic(VM, { network: "nowhere" })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/network: the host has no network "nowhere".*vmctl network ls/) });
    await expect(host.client.addNic(VM, { network: "lab", mac })).rejects.toMatchObject({ status: 409, code: "in_use", message: expect.stringContaining(`mac: ${mac} is nic-a's NIC net0`) });
    await expect(host.client.addNic(VM, { network: "lab", mac: mac.toUpperCase() })).rejects.toMatchObject({ status: 409 });
    await expect(host.client.addNic(VM, { network: "lab", mac: "01:00:5e:00:00:01" })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("mac") });
    await expect(host.client.addNic(VM, { network: "lab", id: "Bad Id!" })).rejects.toMatchObject({ status: 400, message: expect.stringContaining("id") });
    await expect(host.client.addNic(VM, { network: "lab", id: "net0" })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('already has a device "net0"') });
    // A QEMU device of vmctld's own: the NIC would fail every start of the VM.
    await expect(host.client.addNic(VM, { network: "lab", id: "rp0" })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('id: "rp0" is the id of a device vmctld gives every VM') });
    await expect(host.client.addNic(VM, { network: "lab", unknown: 1 } as never)).rejects.toMatchObject({ status: 400 });
    await expect(host.client.setNicLink(VM, "nope", "down")).rejects.toMatchObject({ status: 404, code: "nic_not_found" });
    await expect(host.client.addNic("no-such-vm", { network: "lab" })).rejects.toMatchObject({ status: 404, code: "vm_not_found" });
    expect((await host.client.getVm(VM)).etag).toBe(etag);
    expect(await links()).toEqual(tapsBefore);
    expect(await guestLinks()).toEqual(["eth0", "lo"]);
  });

  it("hot-plugs a user-mode NIC: no tap, no counters (left out, not zeroed)", async () => {
    await host.client.createNetwork({ name: "slirp", kind: "user" });
    const before = await links();
    const added = await host.client.addNic(VM, { network: "slirp", id: "out" });
    expect(added.tap).toBeUndefined();
    expect(await links()).toEqual(before);
    for (let i = 0; i < 60 && !(await guestLinks()).includes("eth1"); i++) await sleep(1000);
    expect(await guest.run("cat /sys/class/net/eth1/address")).toContain(added.mac);
    const ws = monitor(VM);
    try {
      const metrics = (await ws.next((m) => m.network !== undefined)).network!;
      expect(Object.keys(metrics.nics!)).toEqual(["net0"]);
    } finally {
      ws.socket.close();
    }
    await host.client.removeNic(VM, "out");
    expect(await guestLinks()).toEqual(["eth0", "lo"]);
    await host.client.removeNetwork("slirp");
  });

  it("a NIC hot-plugged before a kill -9 of vmctld is the running VM's after the restart: unplugged then, or its tap removed when QEMU ends", async () => {
    const kept = await host.client.addNic(VM, { network: "lab", id: "keep" });
    // An e1000 (a conventional PCI device) goes on a q35 root port too.
    const gone = await host.client.addNic(VM, { network: "lab", id: "gone", model: "e1000" });
    await host.killDaemon();
    await host.startDaemon();
    guest.close();
    guest = await ConsoleReader.open(host.client, VM);
    // The sweep after the restart left both taps to the running VM.
    expect(await links()).toEqual(expect.arrayContaining([kept.tap, gone.tap]));
    expect((await host.client.listNics(VM)).map((n) => [n.id, n.tap])).toEqual([["net0", expect.any(String)], ["keep", kept.tap], ["gone", gone.tap]]);
    await host.client.removeNic(VM, "gone");
    expect(await links()).not.toContain(gone.tap);
    expect(await links()).toContain(kept.tap);
    guest.close();
    expect((await host.cli(["stop", VM, "--force"])).code).toBe(0);
    await expect.poll(async () => (await links()).filter((l) => l === kept.tap)).toEqual([]);
    expect(Object.keys((await host.client.getVm(VM)).definition!.nics)).toEqual(["net0", "keep"]);
    await host.client.removeNic(VM, "keep");
  });

  it("on a stopped VM only edits the definition", async () => {
    const before = await links();
    const added = await host.client.addNic(VM, { network: "lab", model: "e1000", id: "spare" });
    expect(added).toMatchObject({ id: "spare", model: "e1000", link: "up", addresses: [] });
    expect(added.tap).toBeUndefined();
    expect(await links()).toEqual(before);
    expect((await host.client.getVm(VM)).definition!.nics.spare).toMatchObject({ network: "lab", model: "e1000", mac: added.mac });
    expect(await host.client.setNicLink(VM, "spare", "down")).toMatchObject({ link: "down" });
    expect(await host.client.removeNic(VM, "spare")).toMatchObject({ id: "spare" });
    expect(Object.keys((await host.client.getVm(VM)).definition!.nics)).toEqual(["net0"]);
  });
  it("hot-plugs and unplugs on a pc machine too (pci.0, through ACPI)", async () => {
    await host.client.createVm(guestDefinition("nic-pc", { machine: "pc" }));
    expect((await host.cli(["start", "nic-pc"])).code).toBe(0);
    const pc = await ConsoleReader.open(host.client, "nic-pc");
    try {
      await pc.waitFor(GUEST_READY_LINE);
      const added = await host.client.addNic("nic-pc", { network: "lab" });
      let seen = "";
      for (let i = 0; i < 60 && !seen.includes("eth0"); i++) {
        seen = await pc.run("ls /sys/class/net");
        if (!seen.includes("eth0")) await sleep(1000);
      }
      expect(seen).toContain("eth0");
      expect(await pc.run("cat /sys/class/net/eth0/address")).toContain(added.mac);
      await host.client.removeNic("nic-pc", added.id);
      expect(await pc.run("ls /sys/class/net")).not.toContain("eth0");
    } finally {
      pc.close();
      await host.cli(["stop", "nic-pc", "--force"]);
      await host.client.destroyVm("nic-pc");
    }
  });
});
