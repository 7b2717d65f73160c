import { describe, it, expect } from "vitest";
import type { Task } from "@vmctl/api-types";
import { opLabel, taskLabel, taskStatusLine } from "./task-words";

const NOW = Date.parse("2026-12-03T12:00:00Z");
const task = (over: Partial<Task>): Task => ({
  id: "h:1", op: "vm.start", target: "vm/web01", targetUuid: null, state: "success", progress: 100, eta: null, log: [], error: null,
  user: "admin", createdAt: "2026-12-03T11:57:50Z", startedAt: "2026-12-03T11:57:50Z", endedAt: "2026-12-03T11:58:00Z", parentId: null, ...over,
}) as Task;

describe("task words", () => {
  it("names ops as a person says them", () => {
    expect(opLabel("vm.start")).toBe("Start");
    expect(opLabel("vm.snapshot")).toBe("Take snapshot");
    expect(opLabel("vm.disk_grow")).toBe("Disk grow");
    // A desired-state task is named by what it did.
    expect(taskLabel({ op: "vm.set_state", log: ['2026-12-03T11:57:50.000Z start to get "web01" running'] })).toBe("Start");
    expect(taskLabel({ op: "vm.set_state", log: [] })).toBe("Change power state");
  });

  it("says in one line what runs, or what ran last and when", () => {
    expect(taskStatusLine([task({ state: "running", progress: 45.4 }), task({ id: "h:0" })], { now: NOW })).toBe("Tasks: 1 running — Start web01 45 %");
    expect(taskStatusLine([task({ state: "queued", progress: 0 })], { now: NOW })).toBe("Tasks: 1 waiting — Start web01 waiting");
    expect(taskStatusLine([task({})], { now: NOW })).toBe("Tasks: last: Start web01 by admin succeeded 2 min ago");
    expect(taskStatusLine([task({ state: "error", op: "vm.stop" })], { prefix: "Tasks of web01", showTarget: false, now: NOW })).toBe("Tasks of web01: last: Stop (power off) by admin failed 2 min ago");
    expect(taskStatusLine([], { now: NOW })).toBe("Tasks: none yet");
  });
});
