import { describe, it, expect, vi, afterEach } from "vitest";
import { ConsoleTickets, TICKET_TTL_MS, MAX_TICKETS_PER_USER, ticketPrincipal } from "./console-tickets.js";
import { BUILTIN_ROLES, type Privilege } from "./privileges.js";
import { can, type Principal } from "./principal.js";

afterEach(() => { vi.useRealTimers(); });

const carol = { user: "carol", via: { kind: "token", tokenId: "0123abcd" } } as const;

function principal(host: readonly Privilege[], vms: Record<string, Privilege[]> = {}): Principal {
  return { name: "carol (token t)", user: "carol", kind: "token", role: "x", host: new Set(host), vms: new Map(Object.entries(vms).map(([vm, set]) => [vm, new Set(set)])), via: carol.via };
}

describe("console tickets", () => {
  it("work once, only for their VM and purpose, and not after 30 s", () => {
    vi.useFakeTimers();
    const tickets = new ConsoleTickets();
    const a = tickets.issue(carol, "web01", "console").ticket;
    expect(tickets.redeem(a, "web01", "console")).toMatchObject({ user: "carol", via: carol.via, vm: "web01", purpose: "console" });
    expect(tickets.redeem(a, "web01", "console")).toBeNull();
    const b = tickets.issue(carol, "web01", "console").ticket;
    expect(tickets.redeem(b, "web02", "console")).toBeNull();
    expect(tickets.redeem(b, "web01", "console")).toBeNull(); // a failed try uses it up
    const m = tickets.issue(carol, "web01", "monitor").ticket;
    expect(tickets.redeem(m, "web01", "console")).toBeNull(); // another purpose
    const c = tickets.issue(carol, "web01", "console").ticket;
    vi.advanceTimersByTime(TICKET_TTL_MS + 1);
    expect(tickets.redeem(c, "web01", "console")).toBeNull();
  });

  it("a user holds at most 64 unredeemed tickets: a new one replaces their oldest", () => {
    const tickets = new ConsoleTickets();
    const issued = Array.from({ length: MAX_TICKETS_PER_USER + 1 }, () => tickets.issue(carol, "web01", "console").ticket);
    const other = tickets.issue({ user: "dave", via: { kind: "session", sessionHash: "x" } }, "web01", "console").ticket;
    expect(tickets.redeem(issued[0]!, "web01", "console")).toBeNull();
    expect(tickets.redeem(issued[1]!, "web01", "console")).not.toBeNull();
    expect(tickets.redeem(issued.at(-1)!, "web01", "console")).not.toBeNull();
    expect(tickets.redeem(other, "web01", "console")).not.toBeNull();
  });

  it("give only what their purpose needs on their VM, and more only where the minter holds it", () => {
    const readOnly = principal(BUILTIN_ROLES.ReadOnly!);
    const monitor = ticketPrincipal(readOnly, { vm: "web01", purpose: "monitor" })!;
    expect([...monitor.host]).toEqual([]);
    expect(can(monitor, "vm.read", "web01")).toBe(true);
    expect(can(monitor, "vm.power", "web01")).toBe(false);
    expect(can(monitor, "vm.read", "web02")).toBe(false);
    const operatorOnWeb = principal(BUILTIN_ROLES.ReadOnly!, { web01: ["vm.read", "vm.power", "vm.console.view", "vm.console.input"] });
    expect(can(ticketPrincipal(operatorOnWeb, { vm: "web01", purpose: "monitor" })!, "vm.power", "web01")).toBe(true);
    expect(can(ticketPrincipal(operatorOnWeb, { vm: "web02", purpose: "monitor" })!, "vm.power", "web02")).toBe(false);
    const console = ticketPrincipal(readOnly, { vm: "web01", purpose: "vnc" })!;
    expect(can(console, "vm.console.view", "web01")).toBe(true);
    expect(can(console, "vm.console.input", "web01")).toBe(false);
    expect(can(console, "vm.power", "web01")).toBe(false); // a console ticket never powers
    expect(can(ticketPrincipal(operatorOnWeb, { vm: "web01", purpose: "console" })!, "vm.console.input", "web01")).toBe(true);
  });

  it("are worth nothing once their minter is gone or lacks what the purpose needs", () => {
    expect(ticketPrincipal(null, { vm: "web01", purpose: "console" })).toBeNull();
    expect(ticketPrincipal(principal(["vm.read"]), { vm: "web01", purpose: "console" })).toBeNull();
    expect(ticketPrincipal(principal(["vm.console.view"]), { vm: "web01", purpose: "monitor" })).toBeNull();
  });
});
