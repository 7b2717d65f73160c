import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Datastores } from "../domain/datastores.js";
import { Inventory } from "../domain/inventory.js";
import { OWNER_FILE, readOwner, writeOwner } from "./vm-ownership.js";

const HOST_A = "0b5a4bb0-7c35-4c3e-9d7e-6a1f0e6f1a01";
const HOST_B = "5f1d0c43-2a1e-4b8e-b2c6-3f2a7c9d8e02";

let dir: string;
beforeEach(() => { dir = realpathSync(mkdtempSync(join(tmpdir(), "owner-test-"))); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function vmFolder(root: string, name: string): string {
  const vm = join(root, name);
  mkdirSync(vm, { recursive: true });
  writeFileSync(join(vm, `${name}.toml`), `name = "${name}"\ncpus = 1\nmemory = "64MiB"\n`);
  return vm;
}

describe("owner file", () => {
  it("takes no link and no FIFO planted as the owner file for an owner, and never blocks on one", () => {
    const linked = join(dir, "linked");
    mkdirSync(linked);
    writeFileSync(join(dir, "elsewhere"), `${HOST_A}\n`);
    symlinkSync(join(dir, "elsewhere"), join(linked, OWNER_FILE));
    expect(readOwner(linked)).toBeNull();
    const fifo = join(dir, "fifo");
    mkdirSync(fifo);
    execFileSync("mkfifo", [join(fifo, OWNER_FILE)]);
    expect(readOwner(fifo)).toBeNull();
    writeOwner(linked, HOST_B); // replaces the link itself, never writes through it
    expect(readOwner(linked)).toBe(HOST_B);
    expect(readFileSync(join(dir, "elsewhere"), "utf8")).toBe(`${HOST_A}\n`);
  });

  it("reads null without a file, the id once written, and the new owner after a rewrite; no temp file stays", () => {
    const vm = join(dir, "web");
    mkdirSync(vm);
    expect(readOwner(vm)).toBeNull();
    writeOwner(vm, HOST_A);
    expect(readOwner(vm)).toBe(HOST_A);
    writeOwner(vm, HOST_B);
    expect(readOwner(vm)).toBe(HOST_B);
    expect(readdirSync(vm)).toEqual([OWNER_FILE]);
  });

  it("reads a garbled file as no owner and refuses to write what is no host id", () => {
    const vm = join(dir, "web");
    mkdirSync(vm);
    writeFileSync(join(vm, OWNER_FILE), "../../etc\n");
    expect(readOwner(vm)).toBeNull();
    writeFileSync(join(vm, OWNER_FILE), "");
    expect(readOwner(vm)).toBeNull();
    expect(() => writeOwner(vm, "a/b")).toThrow(/not a host id/);
  });
});

describe("inventory on a shared datastore", () => {
  it("lists a shared folder only on the host its owner file names; a datastore of its own lists all", () => {
    const stores = new Datastores({ local: join(dir, "local"), shared: join(dir, "shared") }, ["shared"]);
    expect(stores.isShared("shared")).toBe(true);
    expect(stores.describeOne("shared").shared).toBe(true);
    expect(stores.describeOne("local").shared).toBe(false);
    vmFolder(join(dir, "local"), "mine");
    writeOwner(vmFolder(join(dir, "shared"), "ours"), HOST_A);
    writeOwner(vmFolder(join(dir, "shared"), "theirs"), HOST_B);
    vmFolder(join(dir, "shared"), "nobodys");
    const a = new Inventory(stores, () => {}, HOST_A);
    expect(a.list().map((e) => e.name)).toEqual(["mine", "ours"]);
    const b = new Inventory(stores, () => {}, HOST_B);
    expect(b.list().map((e) => e.name)).toEqual(["mine", "theirs"]);
    // Taking a VM over (adopt, migration): the owner file changes and the next scan follows it.
    writeOwner(join(dir, "shared", "theirs"), HOST_A);
    a.scan(true);
    b.scan(true);
    expect(a.list().map((e) => e.name)).toEqual(["mine", "ours", "theirs"]);
    expect(b.list().map((e) => e.name)).toEqual(["mine"]);
    a.claim("nobodys", "shared");
    a.scan(true);
    expect(a.list().map((e) => e.name)).toEqual(["mine", "nobodys", "ours", "theirs"]);
    a.claim("mine", "local"); // no owner file on a datastore of its own
    expect(readOwner(join(dir, "local", "mine"))).toBeNull();
  });
});
