// Attack review: a network whose subnet the host already routes (its LAN, a VPN, a container
// bridge) would put vmctld's gateway beside that route and take over part of the host's traffic.
import { describe, it, expect } from "vitest";
import { parseSubnet } from "./cidr.js";
import { routeClash } from "./host-routes.js";

const routes = [
  { dst: "default", gateway: "192.0.2.1", dev: "eth0" },
  { dst: "192.0.2.0/24", dev: "eth0" },
  { dst: "198.51.100.7", dev: "wg0" },
  { dst: "10.61.0.0/24", dev: "vm12345b0a0b0c" },
  { dst: "0.0.0.0/1", dev: "tun0" },
  { dst: "128.0.0.0/1", dev: "tun0" },
];

describe("subnets the host already routes", () => {
  it("are found on any device but the network's own bridge, the default route aside", () => {
    expect(routeClash(routes, parseSubnet("192.0.2.0/25"), "vm12345b0a0b0c")).toEqual({ dst: "192.0.2.0/24", dev: "eth0" });
    expect(routeClash(routes, parseSubnet("198.51.100.0/24"), "vm12345b0a0b0c")).toEqual({ dst: "198.51.100.7", dev: "wg0" });
    // A VPN's default route in two halves is a default route too.
    expect(routeClash(routes, parseSubnet("172.20.0.0/16"), "vm12345b0a0b0c")).toBeUndefined();
    // Its own bridge's route (a vmctld restarted while VMs ran) and the default route are no clash.
    expect(routeClash(routes, parseSubnet("10.61.0.0/24"), "vm12345b0a0b0c")).toBeUndefined();
    expect(routeClash(routes, parseSubnet("10.62.0.0/24"), "vm12345b0a0b0c")).toBeUndefined();
  });
});
