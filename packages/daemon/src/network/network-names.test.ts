import { describe, it, expect } from "vitest";
import { networkNames } from "./network-names.js";

describe("names of network devices and tables", () => {
  const names = networkNames("0b7c3f0e-1d2a-4c5b-8e9f-001122334455");

  it("fits Linux's 15 characters and starts with the host's prefix", () => {
    const bridge = names.bridge("a-network-name-that-is-very-long-indeed-and-more-than-sixty");
    const tap = names.tap("5f0c6a34-0000-4000-8000-000000000000", "net0");
    expect(names.prefix).toMatch(/^vm[0-9a-f]{5}$/);
    expect(bridge.length).toBeLessThanOrEqual(15);
    expect(tap.length).toBeLessThanOrEqual(15);
    expect(bridge.startsWith(names.prefix) && tap.startsWith(names.prefix)).toBe(true);
    expect(names.nftTable("default")).toMatch(new RegExp(`^${names.nftPrefix}[0-9a-f]{6}$`));
  });

  it("is stable for one host and differs between hosts", () => {
    expect(networkNames("0b7c3f0e-1d2a-4c5b-8e9f-001122334455").bridge("default")).toBe(names.bridge("default"));
    expect(networkNames("another-host").bridge("default")).not.toBe(names.bridge("default"));
    expect(names.tap("vm", "net0")).not.toBe(names.tap("vm", "net1"));
  });

  it("owns only its own bridges and taps", () => {
    expect(names.owns(names.bridge("x"))).toBe(true);
    expect(names.owns(names.tap("vm", "net0"))).toBe(true);
    expect(names.owns(networkNames("another-host").bridge("x"))).toBe(false);
    expect(names.owns("eth0")).toBe(false);
    expect(names.owns(`${names.prefix}x`)).toBe(false);
  });
});
