import { describe, it, expect } from "vitest";
import { can, gainedOver, lostSince, narrowTo, type Principal } from "./principal.js";
import { BUILTIN_ROLES, type Privilege } from "./privileges.js";

function principal(host: readonly Privilege[], vms: Record<string, Privilege[]> = {}): Principal {
  return { name: "p", user: "p", kind: "token", role: "x", host: new Set(host), vms: new Map(Object.entries(vms).map(([vm, set]) => [vm, new Set(set)])), via: { kind: "token", tokenId: "00000000" } };
}

describe("principal arithmetic", () => {
  it("narrowTo keeps only what the limit holds, turning host rights the limit has on one VM into a grant there", () => {
    const admin = principal(BUILTIN_ROLES.Admin!);
    const limit = principal(BUILTIN_ROLES.ReadOnly!, { web: ["vm.power", "vm.read"] });
    const narrowed = narrowTo(admin, limit);
    expect([...narrowed.host].sort()).toEqual([...BUILTIN_ROLES.ReadOnly!].sort());
    expect(can(narrowed, "vm.power", "web")).toBe(true);
    expect(can(narrowed, "vm.power", "db")).toBe(false);
    expect(can(narrowed, "user.admin")).toBe(false);
    expect(gainedOver(narrowed, limit)).toEqual([]);
  });

  it("gainedOver names what a candidate would hold beyond its holder, host and per VM", () => {
    const holder = principal(BUILTIN_ROLES.ReadOnly!, { web: ["vm.read", "vm.console.view"] });
    const candidate = principal(BUILTIN_ROLES.ReadOnly!, { web: ["vm.read", "vm.power"] });
    expect(gainedOver(candidate, holder)).toEqual(['vm.power on VM "web"']);
    expect(gainedOver(principal(["user.admin", "host.read"]), holder)).toEqual(["user.admin"]);
    expect(gainedOver(holder, holder)).toEqual([]);
  });

  it("lostSince looks at host rights and the socket's VM only", () => {
    const before = principal(["event.read"], { web: ["vm.console.view", "vm.console.input"], db: ["vm.read"] });
    const after = principal(["event.read"], { web: ["vm.console.view"] });
    expect(lostSince(before, after, "web")).toEqual(["vm.console.input"]);
    expect(lostSince(before, after)).toEqual([]);
    expect(lostSince(before, principal([]))).toEqual(["event.read"]);
  });
});
