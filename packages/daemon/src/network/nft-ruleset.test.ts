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

  it("turns port forwards into DNAT rules for outside (prerouting) and the host's own connections (output), loopback included", () => {
    const text = renderNftRuleset({
      table: "t", bridge: "br", subnet: parseSubnet("10.77.0.0/24"), uplink: true,
      forwards: [{ protocol: "tcp", hostPort: 2222, guestAddress: "10.77.0.9", guestPort: 22 }, { protocol: "udp", hostAddress: "127.0.0.1", hostPort: 5353, guestAddress: "10.77.0.9", guestPort: 53 }],
    });
    const chain = (name: string) => text.slice(text.indexOf(`chain ${name} {`), text.indexOf("}", text.indexOf(`chain ${name} {`)));
    for (const name of ["prerouting", "output"]) {
      expect(chain(name)).toContain("fib daddr type local tcp dport 2222 dnat to 10.77.0.9:22");
      expect(chain(name)).toContain("ip daddr 127.0.0.1 udp dport 5353 dnat to 10.77.0.9:53");
    }
    // A guest's own connections to the host are not turned back to the guests.
    expect(chain("prerouting").indexOf('iifname "br" return')).toBeLessThan(chain("prerouting").indexOf("dnat"));
    expect(chain("postrouting")).toContain('ip saddr 127.0.0.0/8 oifname "br" masquerade');
    expect(chain("forward")).toContain('oifname "br" ip daddr 10.77.0.0/24 ct status dnat accept');
    // route_localnet is on for the bridge: nothing from a guest may reach or pose as the host's loopback.
    expect(chain("raw_prerouting")).toContain('iifname "br" ip daddr 127.0.0.0/8 drop');
    expect(chain("raw_prerouting")).toContain('iifname "br" ip saddr 127.0.0.0/8 drop');
  });

  it("gives an isolated network no forwards, whatever it is handed", () => {
    const text = renderNftRuleset({ table: "t", bridge: "br", subnet: parseSubnet("10.8.0.0/24"), uplink: false, forwards: [{ protocol: "tcp", hostPort: 2222, guestAddress: "10.8.0.9", guestPort: 22 }] });
    expect(text).not.toContain("dnat");
  });
});
