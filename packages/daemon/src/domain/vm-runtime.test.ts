import { describe, it, expect, afterEach } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { MIGRATIONS, openDatabase } from "../store/database.js";
import { Datastores } from "./datastores.js";
import { Inventory } from "./inventory.js";
import { EventLog } from "./event-log.js";
import { DefinitionStore } from "./definition-store.js";
import { RuntimeTable } from "./vm-runtime.js";
import { VmLifecycle } from "./vm-lifecycle.js";

const UUID_1 = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f";
const UUID_2 = "0b7e0c3a-4f6e-4d2b-9a51-3c2d1e0f9a8b";

const dirs: string[] = [];
afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }); });

function home() {
  const dir = mkdtempSync(join(tmpdir(), "vmctl-runtime-"));
  dirs.push(dir);
  const root = join(dir, "local");
  mkdirSync(root);
  const datastores = new Datastores({ local: root });
  const writeVm = (name: string, uuid?: string) => {
    mkdirSync(join(root, name), { recursive: true });
    writeFileSync(join(root, name, `${name}.toml`), `name = "${name}"\n${uuid ? `uuid = "${uuid}"\n` : ""}cpus = 1\nmemory = "64MiB"\n`);
  };
  /** A vmctld on this home: a fresh inventory, runtime table and lifecycle over the same database. */
  const vmctld = () => {
    const db = openDatabase(join(dir, "vmctld.db"));
    const inventory = new Inventory(datastores);
    inventory.scan();
    const events = new EventLog(db);
    const definitions = new DefinitionStore(inventory);
    const runtimes = new RuntimeTable(db, { identity: (name) => inventory.identity(name), has: (name) => inventory.has(name), assignUuid: (name) => definitions.assignUuid(name) });
    return { db, inventory, runtimes, lifecycle: new VmLifecycle(runtimes, events) };
  };
  return { dir, root, writeVm, vmctld };
}

/** Starts a VM (stopped → starting → running) and has its QEMU crash. */
async function runThenCrash(lifecycle: VmLifecycle, name: string): Promise<void> {
  await lifecycle.run(name, "start", async () => {
    lifecycle.transition(name, "starting");
    lifecycle.transition(name, "running", { pid: 4242 });
  });
  lifecycle.observe(name, "qemu-exit", "crashed", { reason: "crash" });
}

describe("runtime state follows the VM's uuid", () => {
  it("is stored under the uuid and found again after a vmctld restart", async () => {
    const h = home();
    h.writeVm("web", UUID_1);
    const first = h.vmctld();
    await runThenCrash(first.lifecycle, "web");
    expect(first.db.prepare("SELECT uuid, name, state FROM vm_runtime").all()).toEqual([{ uuid: UUID_1, name: "web", state: "crashed" }]);
    first.db.close();
    const second = h.vmctld();
    expect(second.runtimes.get("web").state).toBe("crashed");
    second.db.close();
  });

  it("is not inherited by a VM re-created under a destroyed one's name", async () => {
    const h = home();
    h.writeVm("web", UUID_1);
    const first = h.vmctld();
    await runThenCrash(first.lifecycle, "web");
    // The folder goes by hand (no destroy, so the old row stays), and a new VM takes the name.
    rmSync(join(h.root, "web"), { recursive: true });
    h.writeVm("web", UUID_2);
    first.inventory.scan();
    const fresh = first.runtimes.get("web");
    expect(fresh.state).toBe("stopped");
    expect(fresh.lastExitReason).toBeUndefined();
    first.db.close();
    // Nor after a restart: the old row is the old VM's, under its uuid.
    const second = h.vmctld();
    expect(second.runtimes.get("web").state).toBe("stopped");
    expect(second.db.prepare("SELECT uuid, state FROM vm_runtime").all()).toEqual([{ uuid: UUID_1, state: "crashed" }]);
    second.db.close();
  });

  it("forgets a destroyed VM's row", async () => {
    const h = home();
    h.writeVm("web", UUID_1);
    const { db, inventory, runtimes, lifecycle } = h.vmctld();
    await runThenCrash(lifecycle, "web");
    rmSync(join(h.root, "web"), { recursive: true });
    inventory.forget("web");
    runtimes.forget("web");
    expect(db.prepare("SELECT COUNT(*) AS n FROM vm_runtime").get()).toEqual({ n: 0 });
    db.close();
  });

  it("gives a valid definition without a uuid one, written to its file, and keys its runtime by it", () => {
    const h = home();
    h.writeVm("old");
    const { db, runtimes } = h.vmctld();
    const key = runtimes.key("old");
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(readFileSync(join(h.root, "old", "old.toml"), "utf8")).toContain(`uuid = "${key}"`);
    db.close();
  });
});

describe("upgrading a host whose runtime rows were kept by name", () => {
  it("moves each row to its VM's uuid, and drops the rows of VMs gone, so a later VM of that name starts afresh", async () => {
    const h = home();
    // The database as the previous vmctld left it: every migration before the one that keys runtime by uuid.
    const rekey = MIGRATIONS.findIndex((sql) => sql.includes("RENAME TO vm_runtime_by_name"));
    expect(rekey).toBeGreaterThan(0);
    const old = new Database(join(h.dir, "vmctld.db"));
    for (const sql of MIGRATIONS.slice(0, rekey)) old.exec(sql);
    old.pragma(`user_version = ${rekey}`);
    const insert = old.prepare("INSERT INTO vm_runtime (name, state, pid, started_at, last_change, last_exit_reason, accel) VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert.run("web", "running", 4242, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", null, "tcg");
    insert.run("gone", "crashed", null, null, "2026-01-01T00:00:00.000Z", "crash", null);
    old.close();
    h.writeVm("web", UUID_1);
    const { db, inventory, runtimes } = h.vmctld();
    expect(runtimes.adoptRowsByName(inventory.list().map((e) => e.name))).toEqual({ adopted: 1, dropped: 1 });
    expect(runtimes.get("web")).toMatchObject({ state: "running", pid: 4242, accel: "tcg", startedAt: "2026-01-01T00:00:00.000Z" });
    expect(db.prepare("SELECT COUNT(*) AS n FROM vm_runtime_by_name").get()).toEqual({ n: 0 });
    h.writeVm("gone", UUID_2);
    inventory.scan();
    expect(runtimes.get("gone")).toMatchObject({ state: "stopped", lastExitReason: undefined });
    db.close();
  });
});
