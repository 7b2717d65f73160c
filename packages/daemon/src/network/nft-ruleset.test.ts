import { describe, it, expect } from "vitest";
import { renderNftRuleset } from "./nft-ruleset.js";
import { parseSubnet } from "./cidr.js";

describe("nftables ruleset of a network", () => {
  it("masquerades a nat network's subnet out of other interfaces and forwards its traffic", () => {
    const text = renderNftRuleset({ table: "vmctl_vm12345_abcdef", bridge: "vm12345babcdef", subnet: parseSubnet("10.77.0.0/24"), uplink: true });
    const lines = text.split("\n");
    expect(lines.slice(0, 3)).toEqual(["add table ip vmctl_vm12345_abcdef", "delete table ip vmctl_vm12345_abcdef", "table ip vmctl_vm12345_abcdef {"]);
    expect(text).toContain('ip saddr 10.77.0.0/24 ip daddr != 10.77.0.0/24 oifname != "vm12345babcdef" masquerade');
    expect(text).toContain('iifname "vm12345babcdef" ip saddr 10.77.0.0/24 accept');
    expect(text).toContain("type nat hook postrouting priority srcnat;");
  });

  it("forwards nothing to or from an isolated network's bridge", () => {
    const text = renderNftRuleset({ table: "t", bridge: "br", subnet: parseSubnet("10.8.0.0/24"), uplink: false });
    expect(text).not.toContain("masquerade");
    expect(text).toContain('iifname "br" oifname "br" accept');
    expect(text.indexOf('iifname "br" oifname "br" accept')).toBeLessThan(text.indexOf('iifname "br" drop'));
    expect(text).toContain('iifname "br" drop');
    expect(text).toContain('oifname "br" drop');
  });
});
