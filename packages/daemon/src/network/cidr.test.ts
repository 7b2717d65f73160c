import { describe, it, expect } from "vitest";
import { dhcpRangeOf, formatSubnet, gatewayOf, netmaskOf, overlaps, parseSubnet, pickFreeSubnet } from "./cidr.js";

describe("subnets of managed networks", () => {
  it("parses a subnet and derives its gateway, mask and DHCP range", () => {
    const subnet = parseSubnet("10.77.0.0/24");
    expect(formatSubnet(subnet)).toBe("10.77.0.0/24");
    expect(gatewayOf(subnet)).toBe("10.77.0.1");
    expect(netmaskOf(subnet)).toBe("255.255.255.0");
    expect(dhcpRangeOf(subnet)).toEqual({ first: "10.77.0.2", last: "10.77.0.254" });
    expect(dhcpRangeOf(parseSubnet("192.168.4.16/29"))).toEqual({ first: "192.168.4.18", last: "192.168.4.22" });
  });

  it("refuses what is not a subnet, saying how to write one", () => {
    expect(() => parseSubnet("10.77.0.0")).toThrow(/address\/prefix, e\.g\. "10\.77\.0\.0\/24"/);
    expect(() => parseSubnet("10.300.0.0/24")).toThrow(/not an IPv4 subnet/);
    expect(() => parseSubnet("10.77.0.1/24")).toThrow(/host bits set; the subnet is "10\.77\.0\.0\/24"/);
    expect(() => parseSubnet("10.77.0.0/30")).toThrow(/\/8 to \/29/);
    expect(() => parseSubnet("10.0.0.0/4")).toThrow(/\/8 to \/29/);
  });

  // Attack review: vmctld (root) puts the gateway on a bridge of its own; a loopback, "this network",
  // link-local, multicast or reserved subnet would shadow the host's lo, 169.254 or multicast routes.
  it("refuses the host's special ranges, naming a private one to use", () => {
    for (const special of ["127.0.0.0/8", "127.0.1.0/24", "0.0.0.0/8", "169.254.0.0/16", "224.0.0.0/8", "239.1.0.0/24", "240.0.0.0/8", "255.255.255.0/24"]) {
      expect(() => parseSubnet(special), special).toThrow(/is in .* which a network may not use; choose a private subnet, e\.g\. "10\.77\.0\.0\/24"/);
    }
    expect(formatSubnet(parseSubnet("192.168.8.0/24"))).toBe("192.168.8.0/24");
    expect(formatSubnet(parseSubnet("100.64.0.0/24"))).toBe("100.64.0.0/24");
  });

  it("tells overlapping subnets apart from neighbours", () => {
    const a = parseSubnet("10.1.0.0/16");
    expect(overlaps(a, parseSubnet("10.1.200.0/24"))).toBe(true);
    expect(overlaps(parseSubnet("10.1.200.0/24"), a)).toBe(true);
    expect(overlaps(a, parseSubnet("10.2.0.0/24"))).toBe(false);
    expect(overlaps(parseSubnet("10.0.255.0/24"), a)).toBe(false);
  });

  it("picks a free /24 clear of the ones taken, from a place the seed chooses", () => {
    const taken = [parseSubnet("10.0.5.0/24"), parseSubnet("10.0.6.0/23")];
    expect(formatSubnet(pickFreeSubnet(taken, 5))).toBe("10.0.8.0/24");
    expect(formatSubnet(pickFreeSubnet([], 65535))).toBe("10.255.255.0/24");
    expect(formatSubnet(pickFreeSubnet([parseSubnet("10.255.255.0/24")], 65535))).toBe("10.0.0.0/24");
  });
});
