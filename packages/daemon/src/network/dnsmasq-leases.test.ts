import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDnsmasqLeases, readDnsmasqLeases } from "./dnsmasq-leases.js";

const now = Date.UTC(2026, 11, 3, 12, 0, 0);
const inAnHour = now / 1000 + 3600;

describe("dnsmasq lease files", () => {
  it("reads mac, ip, hostname and expiry of each IPv4 lease", () => {
    const text = [
      `${inAnHour} 52:54:00:AA:bb:01 10.77.0.23 guest-a 01:52:54:00:aa:bb:01`,
      `0 52:54:00:aa:bb:02 10.77.0.24 * *`,
      "",
    ].join("\n");
    expect(parseDnsmasqLeases(text, now)).toEqual([
      { mac: "52:54:00:aa:bb:01", ip: "10.77.0.23", hostname: "guest-a", expiresAt: "2026-12-03T13:00:00.000Z" },
      { mac: "52:54:00:aa:bb:02", ip: "10.77.0.24", expiresAt: null },
    ]);
  });

  it("leaves out expired leases, DHCPv6 lines, malformed lines and untrustworthy hostnames", () => {
    const text = [
      `${now / 1000 - 1} 52:54:00:aa:bb:03 10.77.0.25 old *`,
      `garbage`,
      `${inAnHour} not-a-mac 10.77.0.26 x *`,
      `${inAnHour} 52:54:00:aa:bb:04 10.77.0.300 x *`,
      `${inAnHour} 52:54:00:aa:bb:05 10.77.0.27 bad;name *`,
      "duid 00:01:00:01:2c:aa:bb:cc:52:54:00:aa:bb:ff",
      `${inAnHour} 1234 fd00::5 v6 00:01`,
    ].join("\n");
    expect(parseDnsmasqLeases(text, now)).toEqual([{ mac: "52:54:00:aa:bb:05", ip: "10.77.0.27", expiresAt: "2026-12-03T13:00:00.000Z" }]);
  });

  it("keeps the newest lease of a MAC that took two", () => {
    const text = `${inAnHour} 52:54:00:aa:bb:06 10.77.0.30 a *\n${inAnHour + 60} 52:54:00:aa:bb:06 10.77.0.31 a *\n`;
    expect(parseDnsmasqLeases(text, now).map((l) => l.ip)).toEqual(["10.77.0.31"]);
  });

  it("gives no leases for a lease file dnsmasq has not written yet", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vmctl-leases-"));
    try {
      expect(await readDnsmasqLeases(join(dir, "dnsmasq.leases"), now)).toEqual([]);
      writeFileSync(join(dir, "dnsmasq.leases"), `0 52:54:00:aa:bb:07 10.77.0.40 b *\n`);
      expect(await readDnsmasqLeases(join(dir, "dnsmasq.leases"), now)).toEqual([{ mac: "52:54:00:aa:bb:07", ip: "10.77.0.40", hostname: "b", expiresAt: null }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
