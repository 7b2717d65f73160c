// The routes vmctld's namespace already has: a managed network's subnet may not overlap one on
// another device (the host's LAN, a VPN, a container bridge), whose traffic its gateway would take.
import { formatSubnet, ipToNumber, overlaps, type Subnet } from "./cidr.js";
import { runNet } from "./net-commands.js";

export interface Route { dst: string; dev?: string }

/** The first route of `routes` (as `ip -j route` gives them) inside or around `subnet` on another device than `bridge`. */
export function routeClash(routes: readonly Route[], subnet: Subnet, bridge: string): Route | undefined {
  return routes.find((route) => {
    if (route.dev === bridge || route.dst === "default") return false;
    const [ip, bits] = route.dst.split("/");
    const base = ipToNumber(ip ?? "");
    const prefix = bits === undefined ? 32 : Number(bits);
    // Wider than any network's /8: a default route in parts (a VPN's 0.0.0.0/1 and 128.0.0.0/1).
    if (base === undefined || !(prefix >= 8 && prefix <= 32)) return false;
    const size = 2 ** (32 - prefix);
    return overlaps({ base: base - (base % size), prefix }, subnet);
  });
}

/** Throws, naming the route and its device, when the host routes part of `subnet` elsewhere. */
export async function checkHostRoutes(subnet: Subnet, bridge: string): Promise<void> {
  const routes = JSON.parse(await runNet("ip", ["-j", "-4", "route", "show", "table", "main"])) as Route[];
  const clash = routeClash(routes, subnet, bridge);
  if (clash) {
    throw new HostRouteClash(`subnet: "${formatSubnet(subnet)}" overlaps the host's route ${clash.dst}${clash.dev ? ` on ${clash.dev}` : ""}; choose a subnet the host does not use`);
  }
}

export class HostRouteClash extends Error {}
