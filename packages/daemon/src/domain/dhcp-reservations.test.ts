import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../store/database.js";
import { parseSubnet } from "../network/cidr.js";
import { DhcpReservations, pickReservedAddress } from "./dhcp-reservations.js";

describe("DHCP reservations of NICs", () => {
  it("picks a stable address in the DHCP range from the MAC, past the ones taken", () => {
    const subnet = parseSubnet("192.168.4.16/29");
    const first = pickReservedAddress(subnet, "52:54:00:aa:bb:01", new Set());
    expect(["192.168.4.18", "192.168.4.19", "192.168.4.20", "192.168.4.21", "192.168.4.22"]).toContain(first);
    expect(pickReservedAddress(subnet, "52:54:00:AA:BB:01", new Set())).toBe(first);
    const second = pickReservedAddress(subnet, "52:54:00:aa:bb:01", new Set([first!]));
    expect(second).not.toBe(first);
    expect(pickReservedAddress(subnet, "x", new Set(["192.168.4.18", "192.168.4.19", "192.168.4.20", "192.168.4.21", "192.168.4.22"]))).toBeUndefined();
  });

  it("keeps a NIC's reservation in SQLite, avoids addresses another MAC leases, and picks again outside a changed subnet", () => {
    const dir = mkdtempSync(join(tmpdir(), "vmctl-resv-"));
    const db = openDatabase(join(dir, "state.db"));
    try {
      const store = new DhcpReservations(db);
      const subnet = parseSubnet("10.77.0.0/24");
      const a = store.reserve("lab", subnet, "52:54:00:AA:00:01", new Map());
      expect(a.changed).toBe(true);
      expect(store.reserve("lab", subnet, "52:54:00:aa:00:01", new Map())).toEqual({ ip: a.ip, changed: false });
      const pick = pickReservedAddress(subnet, "52:54:00:aa:00:02", new Set());
      const b = store.reserve("lab", subnet, "52:54:00:aa:00:02", new Map([[pick!, "52:54:00:ff:ff:ff"]]));
      expect(b.ip).not.toBe(pick);
      expect(new DhcpReservations(db).list("lab").map((r) => r.mac).sort()).toEqual(["52:54:00:aa:00:01", "52:54:00:aa:00:02"]);
      const moved = store.reserve("lab", parseSubnet("10.78.0.0/24"), "52:54:00:aa:00:01", new Map());
      expect(moved.ip.startsWith("10.78.0.")).toBe(true);
      expect(store.prune("lab", new Set(["52:54:00:aa:00:01"]), parseSubnet("10.78.0.0/24"))).toBe(true);
      expect(store.list("lab")).toEqual([{ mac: "52:54:00:aa:00:01", ip: moved.ip }]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
