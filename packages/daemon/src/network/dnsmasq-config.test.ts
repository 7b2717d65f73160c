import { describe, it, expect } from "vitest";
import { renderDnsmasqConfig } from "./dnsmasq-config.js";
import { parseSubnet } from "./cidr.js";

const files = { conf: "/h/run/networks/lab/dnsmasq.conf", pid: "/h/run/networks/lab/dnsmasq.pid", leases: "/h/run/networks/lab/dnsmasq.leases" };

describe("dnsmasq configuration", () => {
  it("serves DHCP on the bridge only, with its own pid and lease files", () => {
    const conf = renderDnsmasqConfig({ bridge: "vm12345b0a0b0c", subnet: parseSubnet("10.77.0.0/24"), uplink: true, files, user: "nobody" });
    expect(conf.split("\n")).toEqual(expect.arrayContaining([
      "interface=vm12345b0a0b0c", "bind-interfaces", "listen-address=10.77.0.1",
      `pid-file=${files.pid}`, `dhcp-leasefile=${files.leases}`, "dhcp-range=10.77.0.2,10.77.0.254,255.255.255.0,1h", "user=nobody",
    ]));
    expect(conf).not.toContain("no-resolv");
    expect(conf).not.toContain("option:router");
  });

  it("gives an isolated network no router and no upstream DNS", () => {
    const conf = renderDnsmasqConfig({ bridge: "b", subnet: parseSubnet("192.168.9.0/28"), uplink: false, files, user: "nobody" });
    expect(conf).toContain("dhcp-range=192.168.9.2,192.168.9.14,255.255.255.240,1h\n");
    expect(conf).toContain("dhcp-option=option:router\n");
    expect(conf).toContain("no-resolv\n");
  });

  it("gives each reserved NIC its address by MAC", () => {
    const conf = renderDnsmasqConfig({ bridge: "b", subnet: parseSubnet("10.77.0.0/24"), uplink: true, files, user: "nobody", reservations: [{ mac: "52:54:00:aa:bb:01", ip: "10.77.0.9" }, { mac: "52:54:00:aa:bb:02", ip: "10.77.0.10" }] });
    expect(conf).toContain("dhcp-host=52:54:00:aa:bb:01,10.77.0.9\ndhcp-host=52:54:00:aa:bb:02,10.77.0.10\n");
  });
});
