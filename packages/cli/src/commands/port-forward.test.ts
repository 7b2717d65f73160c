import { describe, it, expect } from "vitest";
import { parseForwardSpec } from "./port-forward.js";

describe("vmctl port-forward add's HOSTPORT:GUESTPORT[/udp]", () => {
  it("reads the ports and the protocol (tcp unless /udp)", () => {
    expect(parseForwardSpec("2222:22")).toEqual({ hostPort: 2222, guestPort: 22, protocol: "tcp" });
    expect(parseForwardSpec("5353:53/udp")).toEqual({ hostPort: 5353, guestPort: 53, protocol: "udp" });
    expect(parseForwardSpec("8080:80/tcp")).toEqual({ hostPort: 8080, guestPort: 80, protocol: "tcp" });
  });

  it("refuses anything else, showing how to write one (vmctld checks the range)", () => {
    for (const bad of ["22", "22:", ":22", "a:b", "1:2/icmp", "1:2:3", "123456:1", "1:2 /udp"]) {
      expect(() => parseForwardSpec(bad), bad).toThrow(/write HOSTPORT:GUESTPORT or HOSTPORT:GUESTPORT\/udp, e\.g\. 8080:80/);
    }
    expect(parseForwardSpec("99999:1").hostPort).toBe(99999);
  });
});
