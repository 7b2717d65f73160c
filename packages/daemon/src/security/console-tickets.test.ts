import { describe, it, expect, vi, afterEach } from "vitest";
import { ConsoleTickets, TICKET_TTL_MS } from "./console-tickets.js";

afterEach(() => { vi.useRealTimers(); });

describe("console tickets", () => {
  it("work once, only for their VM and purpose, and not after 30 s", () => {
    vi.useFakeTimers();
    const tickets = new ConsoleTickets();
    const a = tickets.issue("carol", "web01", "console").ticket;
    expect(tickets.redeem(a, "web01", "console")).toBe("carol");
    expect(tickets.redeem(a, "web01", "console")).toBeNull();
    const b = tickets.issue("carol", "web01", "console").ticket;
    expect(tickets.redeem(b, "web02", "console")).toBeNull();
    expect(tickets.redeem(b, "web01", "console")).toBeNull(); // a failed try uses it up
    const c = tickets.issue("carol", "web01", "console").ticket;
    vi.advanceTimersByTime(TICKET_TTL_MS + 1);
    expect(tickets.redeem(c, "web01", "console")).toBeNull();
  });
});
