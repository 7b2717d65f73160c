// Port forwards with real nftables DNAT, all inside a network namespace this file makes: a busybox
// guest on a nat network listens with nc, and a TCP forward reaches it from the host itself (by
// 127.0.0.1 and by another host address) and from a second namespace behind a veth (the "outside");
// a forward on one address answers only there; the forward survives a vmctld restart; a UDP forward
// delivers datagrams to the guest; deleting a forward
// makes the port refuse; destroying the VM takes its forwards and rules along.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { TestHost, ConsoleReader, guestDefinition, GUEST_READY_LINE } from "./harness.js";
import { createNetns, type Netns } from "./netns.js";

const run = promisify(execFile);
let netns: Netns;
let outside: Netns;
let NS: string;
let OUTSIDE: string;
const SUBNET = "10.232.7.0/24";
/** The namespace's own address toward the outside, and the outside's. */
const HOST_ADDRESS = "172.31.252.1";
const OUTSIDE_ADDRESS = "172.31.252.2";
let host: TestHost;

/** Connects from inside `ns` to address:port over TCP and says what came back: the text, or "refused"/"timeout". */
async function tcpFrom(ns: string, address: string, port: number): Promise<string> {
  const script = `const s=require("net").connect(${port},${JSON.stringify(address)});let d="";s.setTimeout(8000,()=>{process.stdout.write("timeout");process.exit(0)});s.on("data",c=>d+=c);s.on("end",()=>{process.stdout.write(d.trim()||"empty");process.exit(0)});s.on("error",e=>{process.stdout.write(e.code==="ECONNREFUSED"?"refused":e.code);process.exit(0)});`;
  return (await run("ip", ["netns", "exec", ns, process.execPath, "-e", script], { timeout: 20_000 })).stdout;
}

/** A forward just added answers once the guest's nc serves again (nc -ll re-listens after each connection). */
async function answers(ns: string, address: string, port: number): Promise<string> {
  let last = "";
  for (let i = 0; i < 20; i++) {
    last = await tcpFrom(ns, address, port);
    if (last !== "refused" && last !== "timeout" && last !== "empty") return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}

const nftRuleset = async () => (await run("ip", ["netns", "exec", NS, "nft", "list", "ruleset"])).stdout;

beforeAll(async () => {
  netns = await createNetns("pf");
  NS = netns.name;
  outside = await createNetns("pf-o");
  OUTSIDE = outside.name;
  await run("ip", ["-n", NS, "link", "add", "vmtpf0", "type", "veth", "peer", "name", "vmtpf1", "netns", OUTSIDE]);
  await run("ip", ["-n", NS, "addr", "add", `${HOST_ADDRESS}/24`, "dev", "vmtpf0"]);
  await run("ip", ["-n", NS, "link", "set", "vmtpf0", "up"]);
  await run("ip", ["-n", OUTSIDE, "addr", "add", `${OUTSIDE_ADDRESS}/24`, "dev", "vmtpf1"]);
  await run("ip", ["-n", OUTSIDE, "link", "set", "vmtpf1", "up"]);
  host = await TestHost.start({ netns: NS });
});

afterAll(async () => {
  await host?.close().catch(() => {});
  await netns?.close();
  await outside?.close();
});

describe("port forwards to a guest on a nat network", () => {
  it("a TCP forward reaches the guest's nc from the host (127.0.0.1 and its own address) and from outside; deleting it makes the port refuse", async () => {
    await host.client.createNetwork({ name: "pfnet", kind: "nat", subnet: SUBNET });
    await host.client.createVm(guestDefinition("pf-a", { nics: { net0: { network: "pfnet" } } }));
    // Added while the VM is stopped: its NIC's address is reserved in the network's DHCP already.
    const added = await host.cli(["--json", "port-forward", "add", "pf-a", "18080:8080"]);
    expect(added).toMatchObject({ code: 0, stderr: "" });
    const forward = JSON.parse(added.stdout) as { id: string; guestAddress: string; protocol: string; nic: string; network: string; active: boolean };
    expect(forward).toMatchObject({ protocol: "tcp", nic: "net0", network: "pfnet", active: true, guestAddress: expect.stringMatching(/^10\.232\.7\.\d+$/) });
    expect(await nftRuleset()).toContain(`tcp dport 18080 dnat to ${forward.guestAddress}:8080`);

    expect((await host.cli(["start", "pf-a"])).code).toBe(0);
    let guest = await ConsoleReader.open(host.client, "pf-a");
    await guest.waitFor(GUEST_READY_LINE);
    // udhcpc gets the reserved address.
    let shown = "";
    for (let i = 0; i < 60 && !shown.includes(`inet ${forward.guestAddress}/`); i++) {
      shown = await guest.run("ip -4 addr show eth0");
      if (!shown.includes(`inet ${forward.guestAddress}/`)) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(shown).toContain(`inet ${forward.guestAddress}/24`);
    await guest.run("printf '#!/bin/sh\\necho hello-from-guest\\n' > /tmp/hello; chmod +x /tmp/hello; (nc -ll -p 8080 -e /tmp/hello &)");

    expect(await answers(NS, "127.0.0.1", 18080)).toBe("hello-from-guest");
    expect(await answers(NS, HOST_ADDRESS, 18080)).toBe("hello-from-guest");
    expect(await answers(OUTSIDE, HOST_ADDRESS, 18080)).toBe("hello-from-guest");

    // One on 127.0.0.1 only: the outside's connection to that port gets nothing from the guest.
    const local = await host.client.addPortForward("pf-a", { hostPort: 18081, guestPort: 8080, hostAddress: "127.0.0.1" });
    expect(local).toMatchObject({ hostAddress: "127.0.0.1", protocol: "tcp" });
    expect(await answers(NS, "127.0.0.1", 18081)).toBe("hello-from-guest");
    expect(await tcpFrom(OUTSIDE, HOST_ADDRESS, 18081)).toBe("refused");

    const listed = JSON.parse((await host.cli(["--json", "port-forward", "ls", "pf-a"])).stdout) as { id: string }[];
    expect(listed.map((f) => f.id).sort()).toEqual([forward.id, local.id].sort());

    // vmctld restarted (the VM runs on): the forwards are kept and their rules made again.
    guest.close();
    await host.killDaemon();
    await host.startDaemon();
    guest = await ConsoleReader.open(host.client, "pf-a");
    expect((await host.client.listPortForwards("pf-a")).map((f) => f.id).sort()).toEqual([forward.id, local.id].sort());
    expect(await answers(OUTSIDE, HOST_ADDRESS, 18080)).toBe("hello-from-guest");

    expect(await host.cli(["port-forward", "rm", "pf-a", forward.id])).toMatchObject({ code: 0, stdout: `removed port forward ${forward.id} (tcp *:18080)\n` });
    expect(await tcpFrom(NS, "127.0.0.1", 18080)).toBe("refused");
    expect(await tcpFrom(OUTSIDE, HOST_ADDRESS, 18080)).toBe("refused");
    expect(await nftRuleset()).not.toContain("dport 18080");
    expect(await answers(NS, "127.0.0.1", 18081)).toBe("hello-from-guest");
    await expect(host.client.removePortForward("pf-a", forward.id)).rejects.toMatchObject({ status: 404, code: "port_forward_not_found" });

    // UDP: busybox has no UDP listener, but the guest's kernel counts each datagram for a port nothing
    // holds (Udp NoPorts): five sent to the host's 127.0.0.1 arrive there.
    const udp = await host.client.addPortForward("pf-a", { hostPort: 15353, guestPort: 5353, protocol: "udp" });
    expect(udp).toMatchObject({ protocol: "udp", active: true });
    const noPorts = async () => Number(/NOPORTS=(\d+)/.exec(await guest.run("echo NOPORTS=$(grep Udp: /proc/net/snmp | tail -1 | cut -d' ' -f3)"))![1]);
    const before = await noPorts();
    await run("ip", ["netns", "exec", NS, process.execPath, "-e", `const s=require("dgram").createSocket("udp4");let n=0;const send=()=>s.send("x",15353,"127.0.0.1",()=>{if(++n<5)setTimeout(send,50);else s.close()});send();`]);
    let after = before;
    for (let i = 0; i < 20 && after < before + 5; i++) { await new Promise((r) => setTimeout(r, 250)); after = await noPorts(); }
    expect(after - before).toBeGreaterThanOrEqual(5);
    guest.close();

    // Destroyed with the VM: the forward's rule goes, the port refuses.
    expect((await host.cli(["stop", "pf-a", "--force"])).code).toBe(0);
    await host.client.destroyVm("pf-a");
    for (let i = 0; i < 50 && (await nftRuleset()).includes("dport 18081"); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await nftRuleset()).not.toContain("dport 18081");
    expect(await tcpFrom(NS, "127.0.0.1", 18081)).toBe("refused");
  });

  it("a forward whose NIC is removed or moved off the nat network loses its rule at once", async () => {
    await host.client.createVm(guestDefinition("pf-b", { nics: { net0: { network: "pfnet" }, net1: { network: "pfnet" } } }));
    const first = await host.client.addPortForward("pf-b", { hostPort: 18090, guestPort: 22 });
    expect(await nftRuleset()).toContain("tcp dport 18090 dnat to");
    const ruleGone = async (port: number) => {
      for (let i = 0; i < 50 && (await nftRuleset()).includes(`dport ${port}`); i++) await new Promise((r) => setTimeout(r, 100));
      return !(await nftRuleset()).includes(`dport ${port}`);
    };
    // The NIC removed (stopped VM: the definition only): the forward stays listed, inactive, with no rule.
    expect((await host.cli(["nic", "rm", "pf-b", "net0"])).code).toBe(0);
    expect(await ruleGone(18090)).toBe(true);
    expect((await host.client.listPortForwards("pf-b")).find((f) => f.id === first.id)).toMatchObject({ active: false });
    await host.client.removePortForward("pf-b", first.id);
    // The NIC moved to a user-mode network by an edit of the definition.
    const second = await host.client.addPortForward("pf-b", { hostPort: 18091, guestPort: 22 });
    expect(second).toMatchObject({ nic: "net1" });
    expect(await nftRuleset()).toContain("tcp dport 18091 dnat to");
    await host.client.createNetwork({ name: "user-mode-pf", kind: "user" });
    await host.client.patchVm("pf-b", { nics: { net1: { network: "user-mode-pf" } } });
    expect(await ruleGone(18091)).toBe(true);
    await host.client.destroyVm("pf-b");
    await host.client.removeNetwork("user-mode-pf");
  });

  it("removing the network leaves no table, device or dnsmasq behind", async () => {
    await host.client.removeNetwork("pfnet");
    expect(await nftRuleset()).toBe("");
    expect((JSON.parse((await run("ip", ["-n", NS, "-j", "link", "show"])).stdout) as { ifname: string }[]).map((l) => l.ifname).sort()).toEqual(["lo", "vmtpf0"]);
    expect((await run("ip", ["netns", "pids", NS])).stdout.trim().split("\n")).toEqual([String(host.pid)]);
  });
});
