import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Db } from "../store/database.js";
import { AuthStore } from "./auth-store.js";

let dir: string;
let db: Db;
const vms = new Map<string, string | undefined>();
let auth: AuthStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "grants-test-"));
  db = openDatabase(join(dir, "db.sqlite"));
  vms.clear();
  auth = new AuthStore(db, (vm, assign) => {
    if (assign && vms.has(vm) && vms.get(vm) === undefined) vms.set(vm, `uuid-of-${vm}-assigned`);
    return vms.get(vm);
  });
  await auth.createUser("eve", "password-eve", "ReadOnly");
});
afterEach(() => { db.close(); rmSync(dir, { recursive: true, force: true }); });

const grantsOf = () => [...(auth.principalFor("eve", { kind: "session", sessionHash: "h" })?.vms.keys() ?? [])];

describe("per-VM grants follow the VM's uuid", () => {
  it("apply to the VM they were made on and not to a later VM of the same name", () => {
    vms.set("web", "uuid-1");
    auth.grant("eve", "web", "Operator");
    expect(grantsOf()).toEqual(["web"]);
    vms.set("web", "uuid-2"); // "web" destroyed behind vmctld's back and made again
    expect(grantsOf()).toEqual([]);
  });

  it("give a VM without a uuid one when granted, and go when the VM is destroyed", () => {
    vms.set("old", undefined);
    auth.grant("eve", "old", "Operator");
    expect(vms.get("old")).toBe("uuid-of-old-assigned");
    expect(grantsOf()).toEqual(["old"]);
    auth.dropGrantsOn("old", "uuid-of-old-assigned");
    expect(auth.user("eve").grants).toEqual({});
  });

  it("made on a name before its VM exists, bind to the first VM of that name", () => {
    auth.grant("eve", "future", "Operator");
    expect(grantsOf()).toEqual(["future"]);
    vms.set("future", "uuid-f");
    expect(grantsOf()).toEqual(["future"]);
    vms.set("future", "uuid-g");
    expect(grantsOf()).toEqual([]);
  });
});
