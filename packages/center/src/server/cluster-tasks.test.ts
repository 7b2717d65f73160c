// Cluster tasks' pure parts: the ETA from progress, what a new leader does with each task it finds,
// the list filters, and where a task id points.
import { describe, expect, it } from "vitest";
import { estimateEta, selectTasks, takeoverAction, type StoredTask } from "./cluster-tasks.js";
import { taskOwner } from "./task-routes.js";

const task = (over: Partial<StoredTask>): StoredTask => ({
  id: "c:1", op: "cluster.vm.create", target: "vm/web", targetUuid: null, state: "running", progress: 0, eta: null, log: [], error: null, user: "admin",
  createdAt: "2026-01-01T00:00:00.000Z", startedAt: "2026-01-01T00:00:00.000Z", endedAt: null, parentId: null, result: null, children: [], params: {}, runner: "r1", resumable: true, ...over,
});

describe("task ETA", () => {
  it("extrapolates the time so far over what is left", () => {
    expect(estimateEta(0, 25, 10_000)).toBe(new Date(40_000).toISOString());
    expect(estimateEta(0, 50, 10_000)).toBe(new Date(20_000).toISOString());
  });
  it("has none before any progress or once done", () => {
    expect(estimateEta(0, 0, 10_000)).toBeNull();
    expect(estimateEta(0, 100, 10_000)).toBeNull();
    expect(estimateEta(0, Number.NaN, 10_000)).toBeNull();
  });
});

describe("taking over tasks on a new leader", () => {
  const live = new Set(["me", "r2"]);
  it("leaves ended tasks, its own and those a live replica runs", () => {
    expect(takeoverAction(task({ state: "success" }), "me", live)).toBe("skip");
    expect(takeoverAction(task({ runner: "me" }), "me", live)).toBe("skip");
    expect(takeoverAction(task({ runner: "r2" }), "me", live)).toBe("skip");
  });
  it("starts a queued task nobody started, resumable or not", () => {
    expect(takeoverAction(task({ state: "queued", startedAt: null, runner: "", resumable: false }), "me", live)).toBe("run");
  });
  it("runs again a resumable task of a dead replica, and ends a non-resumable one", () => {
    expect(takeoverAction(task({ runner: "dead" }), "me", live)).toBe("run");
    expect(takeoverAction(task({ runner: "dead", resumable: false }), "me", live)).toBe("fail");
    expect(takeoverAction(task({ runner: "", resumable: false }), "me", live)).toBe("fail");
  });
});

describe("task lists and ids", () => {
  it("lists newest first with the host's filters", () => {
    const tasks = [task({ id: "a", createdAt: "1" }), task({ id: "b", createdAt: "3", state: "error" }), task({ id: "c", createdAt: "2", target: "host/h1" })];
    expect(selectTasks(tasks, {}).map((t) => t.id)).toEqual(["b", "c", "a"]);
    expect(selectTasks(tasks, { target: "vm/web" }).map((t) => t.id)).toEqual(["b", "a"]);
    expect(selectTasks(tasks, { state: "error,cancelled" }).map((t) => t.id)).toEqual(["b"]);
    expect(selectTasks(tasks, { limit: 1 }).map((t) => t.id)).toEqual(["b"]);
  });
  it("tells a cluster task from a host's by the prefix", () => {
    expect(taskOwner("cid:123", "cid")).toEqual({ kind: "cluster" });
    expect(taskOwner("h1:123", "cid")).toEqual({ kind: "host", hostId: "h1" });
    expect(() => taskOwner("no-colon", "cid")).toThrow(/not "<cluster or host id>:<uuid>"/);
    expect(() => taskOwner(":x", "cid")).toThrow();
  });
});
