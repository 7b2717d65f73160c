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
