import { describe, it, expect } from "vitest";
import { openDatabase } from "../store/database.js";
import { EventLog } from "./event-log.js";
import { TaskManager } from "./task-manager.js";
import { withEventCause } from "./event-context.js";

const setup = () => {
  const db = openDatabase(":memory:");
  const events = new EventLog(db, { hostId: "h1" });
  return { db, events, tasks: new TaskManager(db, events, { hostId: "h1" }) };
};

describe("who caused an event, and its task", () => {
  it("an event recorded inside a task names the task's user and the task; all of the action's events share it", async () => {
    const { events, tasks } = setup();
    const task = tasks.run("vm.start", "vm/web01", "admin", async () => {
      await new Promise((resolve) => setTimeout(resolve, 5)); // after an await and a timer too
      events.record("vm.state", "web01", { from: "stopped", to: "running" });
    });
    await tasks.wait(task.id, 10_000);
    expect(events.list({ since: 0 }).map((e) => [e.type, e.user, e.task])).toEqual([
      ["task.created", "admin", task.id],
      ["vm.state", "admin", task.id],
      ["task.finished", "admin", task.id],
    ]);
  });

  it("outside any task or request an event names nobody; and what a task left running records nobody's events once it has ended", async () => {
    const { events, tasks } = setup();
    expect(events.record("host.started", null, { version: "1", vms: 0 })).toMatchObject({ user: null, task: null });
    let crashed: Promise<void> = Promise.resolve();
    let taskEnded: () => void = () => {};
    const ended = new Promise<void>((resolve) => { taskEnded = resolve; });
    const task = tasks.run("vm.start", "vm/web01", "system (autostart)", async () => {
      // A QEMU process's exit handler keeps the async context it was made in, as this timer does.
      crashed = new Promise<void>((resolve) => setTimeout(() => void ended.then(() => { events.record("vm.crashed", "web01", { reason: "crash", detail: "SIGSEGV" }); resolve(); }), 1));
    });
    await tasks.wait(task.id, 10_000);
    taskEnded();
    await crashed;
    expect(events.list({ type: "vm.crashed" }).map((e) => [e.user, e.task])).toEqual([[null, null]]);
    expect(events.list({ type: "task.created" }).map((e) => e.user)).toEqual(["system (autostart)"]);
  });

  it("a request's context names its user only; a task it starts names its own; a cancel by another keeps the task's user", async () => {
    const { events, tasks } = setup();
    let release: () => void = () => {};
    const queued = withEventCause({ user: "admin" }, () => {
      events.record("vm.created", "web01", { datastore: "default" });
      return tasks.run("vm.start", "vm/web01", "admin", () => new Promise<void>((resolve) => { release = resolve; }), { queued: true });
    });
    withEventCause({ user: "operator" }, () => tasks.cancel(queued.id));
    release();
    expect(events.list({ since: 0 }).map((e) => [e.type, e.user, e.task])).toEqual([
      ["vm.created", "admin", null],
      ["task.created", "admin", queued.id],
      ["task.finished", "admin", queued.id],
    ]);
  });

  it("rows stored before vmctld kept the cause read null", () => {
    const { db, events } = setup();
    db.prepare("INSERT INTO events (time, type, vm, data) VALUES (?, 'vm.reset', 'old', '{}')").run(new Date().toISOString());
    expect(events.list({ vm: "old" }).map((e) => [e.user, e.task])).toEqual([[null, null]]);
  });
});
