// What vmctld keeps of a guest agent's answers: the guest's words, checked and bounded (pure logic).
import { describe, it, expect } from "vitest";
import { readInterfaces, readOs } from "./guest-agent-watch.js";

describe("readInterfaces", () => {
  it("keeps each interface's MAC and addresses, without loopback, as qemu-ga reports them", () => {
    expect(readInterfaces([
      { name: "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": [{ "ip-address-type": "ipv4", "ip-address": "127.0.0.1", prefix: 8 }, { "ip-address-type": "ipv6", "ip-address": "::1", prefix: 128 }] },
      { name: "enp1s0", "hardware-address": "52:54:00:AB:CD:EF", "ip-addresses": [{ "ip-address-type": "ipv4", "ip-address": "10.0.0.5", prefix: 24 }, { "ip-address-type": "ipv6", "ip-address": "fe80::5054:ff:feab:cdef", prefix: 64 }] },
      { name: "enp2s0", "hardware-address": "52:54:00:00:00:02" },
    ])).toEqual([
      { mac: "52:54:00:ab:cd:ef", ips: ["10.0.0.5", "fe80::5054:ff:feab:cdef"] },
      { mac: "52:54:00:00:00:02", ips: [] },
    ]);
  });

  it("drops what a hostile guest makes up: not an array, bad MACs, addresses that are not IPs, endless lists", () => {
    expect(readInterfaces({ not: "a list" })).toEqual([]);
    expect(readInterfaces([null, 5, "x", { "hardware-address": "zz:54:00:00:00:01", "ip-addresses": [{ "ip-address": "10.0.0.1" }] }])).toEqual([]);
    expect(readInterfaces([{ "hardware-address": "52:54:00:00:00:01", "ip-addresses": [{ "ip-address": "10.0.0.1; rm -rf /" }, { "ip-address": 7 }, "x", { "ip-address": "10.0.0.2" }] }]))
      .toEqual([{ mac: "52:54:00:00:00:01", ips: ["10.0.0.2"] }]);
    const many = Array.from({ length: 1000 }, (_, i) => ({ "hardware-address": `52:54:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`, "ip-addresses": Array.from({ length: 1000 }, () => ({ "ip-address": "10.1.1.1" })) }));
    const kept = readInterfaces(many);
    expect(kept.length).toBeLessThanOrEqual(32);
    expect(Math.max(...kept.map((i) => i.ips.length))).toBeLessThanOrEqual(16);
  });
});

describe("readOs", () => {
  it("takes name and version from guest-get-osinfo, falling back to pretty-name and version-id", () => {
    expect(readOs({ id: "debian", name: "Debian GNU/Linux", "pretty-name": "Debian GNU/Linux 12 (bookworm)", version: "12 (bookworm)", "version-id": "12" })).toEqual({ name: "Debian GNU/Linux", version: "12 (bookworm)" });
    expect(readOs({ "pretty-name": "Alpine", "version-id": "3.19" })).toEqual({ name: "Alpine", version: "3.19" });
    expect(readOs({})).toBeUndefined();
    expect(readOs("Debian")).toBeUndefined();
  });

  it("strips control characters (a terminal escape in `vmctl show`) and bounds the length", () => {
    const os = readOs({ name: `\u001b[2J\u001b]0;owned\u0007Debian${"x".repeat(1000)}`, version: "12\r\n" })!;
    expect(os.name).not.toMatch(/[\u0000-\u001f]/);
    expect(os.name.length).toBeLessThanOrEqual(128);
    expect(os.version).toBe("12");
  });
});
