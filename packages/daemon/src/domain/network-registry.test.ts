// Attack review of host networks: how many networks the API may add (each nat or isolated one is a
// bridge, an nftables table and a dnsmasq process, made as root).
import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Db } from "../store/database.js";
import type { Inventory } from "./inventory.js";
import { MAX_ADDED_NETWORKS, NetworkRegistry } from "./network-registry.js";

let dir: string | undefined;
let db: Db | undefined;
afterEach(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = db = undefined;
});

function registry(): NetworkRegistry {
  dir = mkdtempSync(join(tmpdir(), "vmctl-netreg-"));
  db = openDatabase(join(dir, "vmctld.db"));
  return new NetworkRegistry(db, {}, 0, { list: () => [] } as unknown as Inventory, () => {});
}

describe("networks added through the API", () => {
  it(`are bounded: a flood of POSTs makes at most ${MAX_ADDED_NETWORKS}, then each is refused naming the bound`, () => {
    const networks = registry();
    for (let i = 0; i < MAX_ADDED_NETWORKS; i++) networks.add({ name: `n${i}`, kind: i % 2 ? "user" : "isolated" });
    expect(() => networks.add({ name: "one-more", kind: "isolated" })).toThrow(`name: the host already has ${MAX_ADDED_NETWORKS} networks added through the API, as many as it takes; remove one first (vmctl network rm NAME)`);
    expect(networks.list().filter((n) => n.origin === "added")).toHaveLength(MAX_ADDED_NETWORKS);
    networks.remove("n0");
    expect(networks.add({ name: "one-more", kind: "isolated" })).toMatchObject({ name: "one-more" });
  });
});
