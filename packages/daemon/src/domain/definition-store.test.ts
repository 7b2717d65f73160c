import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { DefinitionError } from "@vmctl/definition";
import { Datastores } from "./datastores.js";
import { Inventory } from "./inventory.js";
import { DefinitionStore, editDefinitionText } from "./definition-store.js";

let dir: string;
let inventory: Inventory;
let store: DefinitionStore;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "definition-store-")));
  inventory = new Inventory(new Datastores({ local: dir }));
  store = new DefinitionStore(inventory);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const UUID = "0b7e0c3a-4f6e-4d2b-9a51-3c2d1e0f9a8b";
const define = (name: string, text: string) => {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, `${name}.toml`), text);
  inventory.scan(true);
};

describe("the definition store", () => {
  it("writes atomically, re-reads the entry with a new ETag, and leaves no temp file", async () => {
    define("web", `name = "web"\nuuid = "${UUID}"\ncpus = 1\n`);
    const before = store.read("web");
    const after = await store.write("web", "local", `name = "web"\nuuid = "${UUID}"\ncpus = 2\n`);
    expect(after.def?.cpus).toBe(2);
    expect(after.etag).not.toBe(before.etag);
    expect(inventory.get("web").etag).toBe(after.etag);
    expect(readdirSync(join(dir, "web"))).toEqual(["web.toml"]);
  });

  it("re-reads a written file even when its mtime did not move (a coarse clock, two writes in one tick)", () => {
    const file = join(dir, "web", "web.toml");
    mkdirSync(join(dir, "web"));
    writeFileSync(file, 'name = "web"\ncpus = 1\n');
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    inventory.scan(true);
    writeFileSync(file, 'name = "web"\ncpus = 3\n');
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    expect(inventory.get("web").def?.cpus).toBe(1); // a hand edit in the same tick is seen on a later look
    expect(inventory.refresh("web", "local").def?.cpus).toBe(3); // what the store does after each write
  });

  it("refuses an invalid text or one naming another VM, and writes nothing", async () => {
    define("web", 'name = "web"\ncpus = 1\n');
    await expect(store.write("web", "local", 'name = "web"\ncpus = "two"\n')).rejects.toThrow(/cpus/);
    await expect(store.write("web", "local", 'name = "db"\n')).rejects.toBeInstanceOf(DefinitionError);
    expect(readFileSync(join(dir, "web", "web.toml"), "utf8")).toBe('name = "web"\ncpus = 1\n');
  });

  it("keeps the VM's uuid when a write leaves it out (a snapshot's saved definition)", async () => {
    define("web", `name = "web"\nuuid = "${UUID}"\n`);
    const entry = await store.write("web", "local", 'name = "web"\ncpus = 2\n');
    expect(entry.def?.uuid).toBe(UUID);
    expect(entry.text).toContain(`uuid = "${UUID}"`);
  });

  it("edits a stored definition as data, keeping the comments at its top", async () => {
    define("web", '# the web server\nname = "web"\ncpus = 1\n');
    const entry = await store.edit("web", (doc) => { doc.template = true; });
    expect(entry.def?.template).toBe(true);
    expect(entry.text.startsWith("# the web server\n")).toBe(true);
    expect(() => editDefinitionText(entry.text, (doc) => { doc.cpus = 0; })).toThrow(/cpus/);
  });

  it("gives a definition without a uuid one when asked (a grant), once", () => {
    define("old", 'name = "old"\n');
    const uuid = store.assignUuid("old");
    expect(uuid).toBeDefined();
    expect(store.assignUuid("old")).toBe(uuid);
    expect(store.read("old").def?.uuid).toBe(uuid);
    expect(store.assignUuid("missing")).toBeUndefined();
  });
});

// The store is the one writer: a definition written anywhere else in the daemon would skip its
// validation, uuid keeping, atomic write or ETag refresh.
describe("no definition writer outside the store", () => {
  const src = fileURLToPath(new URL("..", import.meta.url));
  const files = (readdirSync(src, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => ({ path: relative(src, join(src, f)), text: readFileSync(join(src, f), "utf8") }));
  const STORE = join("domain", "definition-store.ts");
  const ATOMIC = join("domain", "atomic-write.ts");

  it("renders TOML from a definition only in definition-store.ts", () => {
    const offenders = files.filter((f) => f.path !== STORE && /\bdefinitionToToml\s*\(/.test(f.text)).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it("writes atomically only from the store (definitions), vm-snapshots.ts (its snapshots.json), pending-changes.ts (the run dir's started-with.json), vm-rename.ts, cluster-config.ts (cluster.json) and vm-ownership.ts (.vmctl-owner)", () => {
    const users = files.filter((f) => f.path !== ATOMIC && /from "\.\/atomic-write\.js"|from "\.\.\/domain\/atomic-write\.js"/.test(f.text)).map((f) => f.path).sort();
    // vm-rename.ts is the one other writer of a definition: the new NAME.toml goes into the old
    // folder before the folder's rename(2), which the store (keyed by the name) cannot do.
    expect(users).toEqual([STORE, join("domain", "vm-snapshots.ts"), join("domain", "pending-changes.ts"), join("domain", "vm-rename.ts"), join("cluster", "cluster-config.ts"), join("cluster", "vm-ownership.ts")].sort());
    for (const path of [join("domain", "vm-snapshots.ts"), join("domain", "pending-changes.ts"), join("cluster", "cluster-config.ts"), join("cluster", "vm-ownership.ts")]) {
      const file = files.find((f) => f.path === path)!;
      for (const line of file.text.split("\n").filter((l) => /writeFileAtomic\w*\(/.test(l))) expect(line).not.toMatch(/toml|entry\.file/i);
    }
  });

  it("has no other write, rename or copy of a .toml file or of an entry's definition file", () => {
    const write = /\b(writeFile|writeFileSync|appendFile|appendFileSync|createWriteStream|rename|renameSync|copyFile|copyFileSync|writeFileAtomic|writeFileAtomicSync)\s*\(/;
    const offenders = files.filter((f) => f.path !== STORE && f.path !== ATOMIC).flatMap((f) =>
      f.text.split("\n").map((line, i) => ({ line, at: `${f.path}:${i + 1}` }))
        .filter(({ line }) => write.test(line) && /\.toml\b|entry\.file\b|definitionPath/.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`));
    expect(offenders).toEqual([]);
  });
});
