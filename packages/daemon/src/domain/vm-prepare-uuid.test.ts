import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UUID_PATTERN } from "@vmctl/api-types";
import { parseDefinitionToml } from "@vmctl/definition";
import { Datastores } from "./datastores.js";
import { Inventory } from "./inventory.js";
import { DefinitionStore } from "./definition-store.js";
import { VmPreparer } from "./vm-prepare.js";

let dir: string;
let inventory: Inventory;
let definitions: DefinitionStore;
let prepare: VmPreparer;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "uuid-test-")));
  const stores = new Datastores({ local: dir });
  inventory = new Inventory(stores);
  definitions = new DefinitionStore(inventory);
  prepare = new VmPreparer(inventory, stores, definitions);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const uuid = new RegExp(UUID_PATTERN.slice(1, -1));

describe("a VM's uuid", () => {
  it("is allocated into a definition without one, kept when there is one, and new on fresh (clone, import)", () => {
    const text = '# mine\nname = "a"\ncpus = 1\n';
    const given = prepare.allocateUuid(text, parseDefinitionToml(text));
    const first = parseDefinitionToml(given).uuid!;
    expect(first).toMatch(uuid);
    expect(given).toBe(`# mine\nname = "a"\nuuid = "${first}"\ncpus = 1\n`);
    expect(prepare.allocateUuid(given, parseDefinitionToml(given))).toBe(given);
    const kept = "0b7e0c3a-4f6e-4d2b-9a51-3c2d1e0f9a8b";
    expect(parseDefinitionToml(prepare.allocateUuid(text, parseDefinitionToml(text), { keep: kept })).uuid).toBe(kept);
    const fresh = parseDefinitionToml(prepare.allocateUuid(given, parseDefinitionToml(given), { fresh: true })).uuid;
    expect(fresh).toMatch(uuid);
    expect(fresh).not.toBe(first);
  });

  it("is given to a hand-written definition when a grant asks, written back, and kept by later writes", async () => {
    mkdirSync(join(dir, "old"));
    writeFileSync(join(dir, "old", "old.toml"), '# by hand\nname = "old"\n');
    inventory.scan(true);
    expect(inventory.identity("old")).toBeUndefined();
    const assigned = definitions.assignUuid("old")!;
    expect(assigned).toMatch(uuid);
    expect(readFileSync(join(dir, "old", "old.toml"), "utf8")).toBe(`# by hand\nname = "old"\nuuid = "${assigned}"\n`);
    expect(definitions.assignUuid("old")).toBe(assigned);
    // A write of a text without it (a snapshot's saved definition, say) keeps the VM's identity.
    await definitions.write("old", "local", 'name = "old"\ncpus = 2\n');
    expect(inventory.get("old").def?.uuid).toBe(assigned);
    expect(definitions.assignUuid("nothing")).toBeUndefined();
  });
});
