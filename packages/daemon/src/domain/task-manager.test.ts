import { describe, it, expect } from "vitest";
import { VmctlError } from "@vmctl/api-types";
import { openDatabase } from "../store/database.js";
import { EventLog } from "./event-log.js";
import { estimateEta, TaskManager } from "./task-manager.js";

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

describe("estimateEta", () => {
  it("extrapolates the pace so far, and has no answer before progress or after the end", () => {
    const start = Date.parse("2026-01-01T00:00:00Z");
    expect(estimateEta(start, 25, start + 10_000)).toBe("2026-01-01T00:00:40.000Z");
    expect(estimateEta(start, 0, start + 10_000)).toBeNull();
    expect(estimateEta(start, 100, start + 10_000)).toBeNull();
  });
});

describe("task identity", () => {
  it("a task id is the host's id and a uuid; the host id is made once and kept in the database", async () => {
    const db = openDatabase(":memory:");
    const events = new EventLog(db);
    const tasks = new TaskManager(db, events);
    expect(tasks.hostId).toMatch(new RegExp(`^${UUID}$`));
    expect(new TaskManager(db, events).hostId).toBe(tasks.hostId);
    expect(events.hostId).toBe(tasks.hostId);
    const task = tasks.run("vm.start", "vm/a", "root", async () => {});
    expect(task.id).toMatch(new RegExp(`^${tasks.hostId}:${UUID}$`));
    expect((await tasks.wait(task.id, 10_000)).state).toBe("success");
    expect(new EventLog(openDatabase(":memory:")).hostId).not.toBe(tasks.hostId); // another host
  });

  it("names the target VM's uuid, taken when the task starts, or when it ends for a task that made the VM", async () => {
    const db = openDatabase(":memory:");
    const uuids = new Map<string, string>([["a", "11111111-1111-4111-8111-111111111111"]]);
    const identity = { hostId: "h1", vmUuidOf: (name: string) => uuids.get(name) };
    const tasks = new TaskManager(db, new EventLog(db, identity), identity);
    const onA = tasks.run("vm.start", "vm/a", "root", async () => { uuids.delete("a"); });
    expect(onA.targetUuid).toBe("11111111-1111-4111-8111-111111111111");
    expect((await tasks.wait(onA.id, 10_000)).targetUuid).toBe("11111111-1111-4111-8111-111111111111");
    const made = tasks.run("vm.import", "vm/b", "root", async () => { uuids.set("b", "22222222-2222-4222-8222-222222222222"); });
    expect(made.targetUuid).toBeNull();
    expect((await tasks.wait(made.id, 10_000)).targetUuid).toBe("22222222-2222-4222-8222-222222222222");
    const batch = tasks.run("vms.batch", "vms/start", "root", async () => {});
    expect((await tasks.wait(batch.id, 10_000)).targetUuid).toBeNull();
    expect(tasks.list({ targetUuid: "11111111-1111-4111-8111-111111111111" }).map((t) => t.id)).toEqual([onA.id]);
  });

  it("records a failure through the registry's mapping: a coded error as it is, any other as internal with its message", async () => {
    const db = openDatabase(":memory:");
    const tasks = new TaskManager(db, new EventLog(db), { hostId: "h1" });
    const coded = tasks.run("vm.start", "vm/a", "root", async () => { throw new VmctlError("vm_wrong_state", 'VM "a" is running'); });
    expect((await tasks.wait(coded.id, 10_000)).error).toEqual({ code: "vm_wrong_state", message: 'VM "a" is running' });
    const plain = tasks.run("vm.clone", "vm/a", "root", async () => { throw new Error("qemu-img: No space left on device"); });
    expect((await tasks.wait(plain.id, 10_000)).error).toEqual({ code: "internal", message: "qemu-img: No space left on device" });
  });
});

describe("event identity", () => {
  it("an event has this host's id and a uid made of it; its VM's uuid beside the name; a live one a uid of its own", () => {
    const db = openDatabase(":memory:");
    const events = new EventLog(db, { hostId: "h1", vmUuidOf: (name) => (name === "a" ? "11111111-1111-4111-8111-111111111111" : undefined) });
    const seen: unknown[] = [];
    events.on("live", (event) => seen.push(event));
    const created = events.record("vm.created", "a", { datastore: "local" });
    expect(created).toMatchObject({ host: "h1", uid: `h1:${created.id}`, vm: "a", vmUuid: "11111111-1111-4111-8111-111111111111" });
    const destroyed = events.record("vm.destroyed", { name: "b", uuid: "22222222-2222-4222-8222-222222222222" }, { keepDisks: false, kept: [] });
    expect(destroyed).toMatchObject({ vm: "b", vmUuid: "22222222-2222-4222-8222-222222222222" });
    expect(events.record("host.started", null, { version: "1", vms: 0 })).toMatchObject({ vm: null, vmUuid: null });
    expect(events.list({ since: 0 }).map((e) => [e.uid, e.vm, e.vmUuid])).toEqual([
      [`h1:${created.id}`, "a", "11111111-1111-4111-8111-111111111111"],
      [`h1:${destroyed.id}`, "b", "22222222-2222-4222-8222-222222222222"],
      [`h1:${destroyed.id + 1}`, null, null],
    ]);
    expect(events.list({ vmUuid: "22222222-2222-4222-8222-222222222222" }).map((e) => e.type)).toEqual(["vm.destroyed"]);
    events.broadcast("task.progress", "a", { task: "h1:t", op: "vm.clone", progress: 5, eta: null });
    events.broadcast("task.progress", "a", { task: "h1:t", op: "vm.clone", progress: 6, eta: null });
    const [first, second] = seen as Array<{ id: number; uid: string }>;
    expect(first!.id).toBe(destroyed.id + 1);
    expect(first!.uid).toMatch(/^h1:live:/);
    expect(second!.uid).not.toBe(first!.uid);
  });
});
