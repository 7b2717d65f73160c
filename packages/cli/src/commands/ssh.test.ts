import { describe, it, expect } from "vitest";
import type { PortForward, VmDetail } from "@vmctl/api-types";
import { chooseTarget, routedLocally, sshCommand, sshUser } from "./ssh.js";

const vm = (extra: Partial<VmDetail> = {}): VmDetail => ({
  name: "web", uuid: "0b7e0c3a-4f6e-4d2b-9a51-3c2d1e0f9a8b", state: "running", addresses: [{ nic: "net0", mac: "52:54:00:00:00:01", ip: "10.77.0.23", source: "dhcp" }],
  definition: { cloud_init: { hostname: "web", users: [{ name: "alice", ssh_authorized_keys: [], sudo: true }], ssh_authorized_keys: [], packages: [] } },
  ...extra,
} as unknown as VmDetail);
const forward = (extra: Partial<PortForward> = {}): PortForward => ({ id: "pf-00000001", vm: "web", hostPort: 2222, guestPort: 22, protocol: "tcp", nic: "net0", network: "default", guestAddress: "10.77.0.23", createdAt: "", ...extra });
const ROUTES = [{ dst: "default" }, { dst: "10.77.0.0/24" }];

describe("vmctl ssh", () => {
  it("logs in as -l, else the first [cloud_init] user", () => {
    expect(sshUser(vm(), undefined)).toBe("alice");
    expect(sshUser(vm(), "root")).toBe("root");
    expect(sshUser(vm({ definition: {} } as Partial<VmDetail>), undefined)).toBeUndefined();
  });

  it("counts an address as reachable only inside a route that is not the default one", () => {
    expect(routedLocally("10.77.0.23", ROUTES)).toBe(true);
    expect(routedLocally("10.78.0.23", ROUTES)).toBe(false);
    expect(routedLocally("10.77.0.23", [{ dst: "default" }])).toBe(false);
    expect(routedLocally("10.77.0.23", [{ dst: "10.77.0.23" }])).toBe(true);
    expect(routedLocally("fe80::1", ROUTES)).toBe(false);
  });

  it("goes to the address when this machine routes to it, else through a port forward to port 22", () => {
    expect(chooseTarget(vm(), null, { vmctldHost: null, routes: ROUTES })).toEqual({ host: "10.77.0.23", port: 22, via: "address" });
    const forwards = [forward({ guestPort: 80, hostPort: 8080 }), forward()];
    expect(chooseTarget(vm(), forwards, { vmctldHost: null, routes: [{ dst: "default" }] })).toEqual({ host: "127.0.0.1", port: 2222, via: "port-forward" });
    // A remote vmctld: its host, even where this machine has a route to the same subnet.
    expect(chooseTarget(vm(), forwards, { vmctldHost: "vmhost.lan", routes: ROUTES })).toEqual({ host: "vmhost.lan", port: 2222, via: "port-forward" });
    expect(chooseTarget(vm(), [forward({ hostAddress: "192.0.2.5" })], { vmctldHost: "vmhost.lan", routes: null })).toMatchObject({ host: "192.0.2.5" });
    expect(chooseTarget(vm(), [], { address: "192.0.2.9", port: 2200, vmctldHost: null, routes: null })).toEqual({ host: "192.0.2.9", port: 2200, via: "given" });
  });

  it("takes a forward's host address only when it is an IPv4 address, never a word ssh would read as an option", () => {
    const hostile = [forward({ hostAddress: "-oProxyCommand=touch /tmp/pwned" })];
    const target = chooseTarget(vm({ addresses: [] }), hostile, { vmctldHost: "vmctl.example", routes: null });
    expect(target).toEqual({ host: "vmctl.example", port: 2222, via: "port-forward" });
    expect(sshCommand(target, "alice", vm(), {}, []).some((arg) => arg.startsWith("-oProxyCommand"))).toBe(false);
  });

  it("says why it cannot: no lease yet, not running, no route and no forward", () => {
    expect(() => chooseTarget(vm({ addresses: [] }), [], { vmctldHost: null, routes: ROUTES })).toThrow(/^no address yet: the guest has not got a DHCP lease; wait or check `vmctl show web`/);
    expect(() => chooseTarget(vm({ addresses: [], state: "stopped" } as Partial<VmDetail>), [], { vmctldHost: null, routes: ROUTES })).toThrow(/is stopped: start it first/);
    expect(() => chooseTarget(vm(), [forward({ protocol: "udp" })], { vmctldHost: "vmhost.lan", routes: null })).toThrow(/another host \(vmhost\.lan\).*no TCP port forward to its port 22; add one \(`vmctl port-forward add web 2222:22`\)/);
  });

  it("runs ssh with the VM's uuid as host key alias, the user, and the given arguments after the destination", () => {
    const target = { host: "10.77.0.23", port: 22, via: "address" as const };
    expect(sshCommand(target, "alice", vm(), {}, ["hostname"])).toEqual([
      "ssh", "-o", "HostKeyAlias=vmctl-0b7e0c3a-4f6e-4d2b-9a51-3c2d1e0f9a8b", "-o", "StrictHostKeyChecking=accept-new", "-l", "alice", "10.77.0.23", "hostname",
    ]);
    // The user's own -o wins (ssh takes the first value it sees, so vmctl leaves its own out).
    const own = sshCommand({ ...target, port: 2222 }, "alice", vm(), { identity: "/k" }, ["-o", "StrictHostKeyChecking=no", "-oUserKnownHostsFile=/dev/null", "id"]);
    expect(own).toEqual(["ssh", "-o", "HostKeyAlias=vmctl-0b7e0c3a-4f6e-4d2b-9a51-3c2d1e0f9a8b", "-i", "/k", "-o", "IdentitiesOnly=yes", "-p", "2222", "-l", "alice", "10.77.0.23", "-o", "StrictHostKeyChecking=no", "-oUserKnownHostsFile=/dev/null", "id"]);
  });
});
