// Attack review of port forwards (issue 12): a forward is a DNAT rule root vmctld puts in the host's
// nftables, so who may add one, and which ports, matters. Over real HTTPS inside a network namespace
// this file makes (vmctld runs there, with a nat network): a read-only user and an Operator cannot add
// or remove one; a user who may edit the VM cannot take a privileged port (below 1024), a port out of
// range, a port another forward or a host process holds, or an address that is not the host's; a VM
// without a nat NIC gets none. Each refusal names the field and changes nothing (forwards, nftables).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { TestHost, guestDefinition } from "./harness.js";
import { createNetns, type Netns } from "./netns.js";

const run = promisify(execFile);
let netns: Netns;
let NS: string;
let host: TestHost;
const tokens: Record<string, string> = {};

/** An HTTPS request to vmctld from inside its namespace (its TCP port is there, not in the test's). */
async function call(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const script = `const r=require("https").request({host:"127.0.0.1",port:${host.port},path:${JSON.stringify(path)},method:${JSON.stringify(method)},rejectUnauthorized:false,headers:Object.assign({authorization:"Bearer "+process.env.T},process.env.B?{"content-type":"application/json"}:{})},(res)=>{let d="";res.on("data",c=>d+=c);res.on("end",()=>process.stdout.write(JSON.stringify({status:res.statusCode,body:d})))});r.on("error",e=>{process.stdout.write(JSON.stringify({status:0,body:e.message}))});r.end(process.env.B||undefined);`;
  const { stdout } = await run("ip", ["netns", "exec", NS, process.execPath, "-e", script], { env: { ...process.env, T: tokens[user]!, B: body === undefined ? "" : JSON.stringify(body) }, timeout: 20_000 });
  const answer = JSON.parse(stdout) as { status: number; body: string };
  return { status: answer.status, json: answer.body ? JSON.parse(answer.body) : {} };
}

const ruleset = async () => (await run("ip", ["netns", "exec", NS, "nft", "list", "ruleset"])).stdout;

beforeAll(async () => {
  netns = await createNetns("apf");
  NS = netns.name;
  host = await TestHost.start({ netns: NS });
  await host.client.createNetwork({ name: "pfx", kind: "nat", subnet: "10.233.7.0/24" });
  await host.client.createVm(guestDefinition("mine", { nics: { net0: { network: "pfx" } } }));
  await host.client.createVm(guestDefinition("bare", { nics: {} }));
  // May change VMs but not the host's networks.
  await host.client.call("POST", "/api/v1/roles", { name: "VmEditor", privileges: ["host.read", "vm.read", "vm.edit"] });
  for (const [username, role] of [["rita", "ReadOnly"], ["oleg", "Operator"], ["vera", "VmEditor"]] as const) {
    await host.client.call("POST", "/api/v1/users", { username, password: `${username}-password`, role });
    tokens[username] = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: `${username}-t`, role, expires: null, user: username })).token;
  }
  tokens.admin = (await host.client.call<{ token: string }>("POST", "/api/v1/tokens", { name: "admin-t", role: "Admin", expires: null })).token;
});

afterAll(async () => {
  await host?.close().catch(() => {});
  await netns?.close();
});

describe("port forwards are refused where they would take what is not the caller's", () => {
  it("ReadOnly and Operator read forwards but cannot add or remove one (403 naming vm.edit)", async () => {
    const held = await host.client.addPortForward("mine", { hostPort: 18090, guestPort: 80 });
    const before = await ruleset();
    for (const user of ["rita", "oleg"]) {
      expect((await call(user, "GET", "/api/v1/vms/mine/port-forwards")).status, user).toBe(200);
      const added = await call(user, "POST", "/api/v1/vms/mine/port-forwards", { hostPort: 18100, guestPort: 22 });
      expect([user, added.status]).toEqual([user, 403]);
      expect(added.json.error!.message).toContain("vm.edit");
      const removed = await call(user, "DELETE", `/api/v1/vms/mine/port-forwards/${held.id}`);
      expect([user, removed.status]).toEqual([user, 403]);
    }
    expect((await host.client.listPortForwards("mine")).map((f) => f.id)).toEqual([held.id]);
    expect(await ruleset()).toBe(before);
  });

  it("one who may edit the VM gets no privileged, out-of-range, taken or foreign port, and nothing changes", async () => {
    const before = await ruleset();
    const forwards = (await host.client.listPortForwards("mine")).map((f) => f.id);
    const refusals: [unknown, number, RegExp][] = [
      [{ hostPort: 80, guestPort: 80 }, 403, /^hostPort: 80 is a privileged port of the host .*network\.write/],
      [{ hostPort: 0, guestPort: 80 }, 400, /^hostPort: 0 is not a port; give one from 1 to 65535/],
      [{ hostPort: 65536, guestPort: 80 }, 400, /^hostPort: 65536 is not a port/],
      [{ hostPort: 18101, guestPort: 70000 }, 400, /^guestPort: 70000 is not a port/],
      [{ hostPort: 18101, guestPort: -1 }, 400, /^guestPort: -1 is not a port/],
      [{ hostPort: 18090, guestPort: 22 }, 409, /^hostPort: tcp port 18090 is already forwarded to VM "mine"/],
      [{ hostPort: 18090, guestPort: 22, hostAddress: "127.0.0.1" }, 409, /^hostPort: tcp port 18090 is already forwarded/],
      // vmctld's own HTTPS port: a host process listens there.
      [{ hostPort: host.port, guestPort: 22 }, 409, new RegExp(`^hostPort: tcp port ${host.port} is already in use on the host`)],
      [{ hostPort: 18101, guestPort: 22, hostAddress: "192.0.2.1" }, 400, /^hostAddress: "192\.0\.2\.1" is not an address of this host \(it has 127\.0\.0\.1/],
      [{ hostPort: 18101, guestPort: 22, hostAddress: "127.0.0.1; flush ruleset" }, 400, /hostAddress/],
      [{ hostPort: 18101, guestPort: 22, protocol: "icmp" }, 400, /protocol/],
      [{ hostPort: 18101, guestPort: 22, chain: "input" }, 400, /chain/],
    ];
    for (const [body, status, message] of refusals) {
      const answer = await call("vera", "POST", "/api/v1/vms/mine/port-forwards", body);
      expect([body, answer.status]).toEqual([body, status]);
      expect(answer.json.error!.message, JSON.stringify(body)).toMatch(message);
    }
    const bare = await call("vera", "POST", "/api/v1/vms/bare/port-forwards", { hostPort: 18102, guestPort: 22 });
    expect(bare.status).toBe(400);
    expect(bare.json.error!.message).toMatch(/^nics: VM "bare" has no NIC on a nat network/);
    expect((await host.client.listPortForwards("mine")).map((f) => f.id)).toEqual(forwards);
    expect(await host.client.listPortForwards("bare")).toEqual([]);
    expect(await ruleset()).toBe(before);

    // What is the caller's to take is taken: the refusals above were not a blanket no.
    const made = await call("vera", "POST", "/api/v1/vms/mine/port-forwards", { hostPort: 18103, guestPort: 22, protocol: "udp" });
    expect(made.status).toBe(201);
    expect(await ruleset()).toContain("udp dport 18103 dnat to");
    // Same port, other protocol: no clash. Then an Admin may take a privileged port.
    expect((await call("admin", "POST", "/api/v1/vms/mine/port-forwards", { hostPort: 18090, guestPort: 80, protocol: "udp" })).status).toBe(201);
    const privileged = await call("admin", "POST", "/api/v1/vms/mine/port-forwards", { hostPort: 443, guestPort: 443 });
    expect(privileged.status).toBe(201);
    expect((await call("vera", "DELETE", `/api/v1/vms/mine/port-forwards/${String(made.json.id)}`)).status).toBe(200);
    expect(await ruleset()).not.toContain("dport 18103");
    // Another VM's forward is not found through this one.
    expect((await call("vera", "DELETE", `/api/v1/vms/bare/port-forwards/${String(privileged.json.id)}`)).status).toBe(404);
  });
});
