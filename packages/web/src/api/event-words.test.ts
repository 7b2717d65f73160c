import { describe, it, expect } from "vitest";
import { EVENT_TYPES, type VmctlEvent } from "@vmctl/api-types";
import { eventRows, eventSentence } from "./event-words";

let nextId = 1;
const ev = (type: VmctlEvent["type"], vm: string | null, data: object, cause: { user?: string | null; task?: string | null } = {}): VmctlEvent =>
  ({ id: nextId, host: "h", uid: `h:${nextId}`, time: new Date(Date.UTC(2026, 0, 1, 0, 0, nextId++)).toISOString(), type, vm, vmUuid: null, user: cause.user ?? null, task: cause.task ?? null, data }) as VmctlEvent;

/** The events of one power action as vmctld records them. */
function action(op: string, vm: string, user: string, task: string, states: Array<[string, string]>, end: object): VmctlEvent[] {
  const c = { user, task };
  return [
    ev("task.created", vm, { task, op, state: "queued", user }, c),
    ...states.map(([from, to]) => ev("vm.state", vm, { from, to }, c)),
    ev("task.finished", vm, { task, op, ...end }, c),
  ];
}

describe("events in words", () => {
  it("a start is ONE row: the action with its user and outcome, the four records behind it", () => {
    const events = action("vm.start", "ui-demo", "admin", "h:t1", [["stopped", "starting"], ["starting", "running"]], { state: "success" });
    const rows = eventRows(events);
    expect(rows.map((r) => [r.sentence, r.user, r.outcome, r.events.length])).toEqual([["admin started ui-demo", "admin", "done", 4]]);
    expect(rows[0]!.time).toBe(events[0]!.time);
  });

  it("stop, failure, cancel and a running action say what happened", () => {
    const rows = eventRows([
      ...action("vm.stop", "web01", "admin", "h:t1", [["running", "stopping"], ["stopping", "stopped"]], { state: "success" }),
      ...action("vm.start", "web02", "alice", "h:t2", [["stopped", "starting"], ["starting", "stopped"]], { state: "error", error: { code: "qemu_failed", message: "QEMU exited: no bootable device" } }),
      ...action("vm.snapshot", "web03", "admin", "h:t3", [], { state: "cancelled" }),
      ev("task.created", "web04", { task: "h:t4", op: "vm.shutdown", state: "running", user: "admin" }, { user: "admin", task: "h:t4" }),
    ]);
    expect(rows.map((r) => [r.sentence, r.outcome])).toEqual([
      ["admin is shutting down web04…", "ongoing"],
      ["admin did not take a snapshot of web03: cancelled", "cancelled"],
      ["alice could not start web02: QEMU exited: no bootable device", "failed"],
      ["admin stopped web01 (power off)", "done"],
    ]);
  });

  it("an action's telling event names it (the snapshot, the clone); autostart is the system's doing", () => {
    const snap = { user: "admin", task: "h:s" };
    const rows = eventRows([
      ev("task.created", "web01", { task: "h:s", op: "vm.snapshot", state: "queued", user: "admin" }, snap),
      ev("vm.snapshot_created", "web01", { snapshot: "s1", memory: false }, snap),
      ev("task.finished", "web01", { task: "h:s", op: "vm.snapshot", state: "success" }, snap),
      ...action("vm.start", "web01", "system (autostart)", "h:a", [["stopped", "starting"], ["starting", "running"]], { state: "success" }),
    ]);
    expect(rows.map((r) => r.sentence)).toEqual(["system (autostart) started web01", "admin took snapshot s1 of web01"]);
  });

  it("events outside any action stand alone: a crash, a guest's own shutdown, a creation through the API", () => {
    const rows = eventRows([
      ev("vm.created", "web01", { datastore: "default" }, { user: "admin" }),
      ev("vm.state", "web01", { from: "running", to: "stopped", reason: "guest-shutdown" }),
      ev("vm.crashed", "web01", { reason: "crash", detail: "QEMU killed by SIGSEGV" }),
      ev("task.progress", "web01", { task: "h:x", op: "vm.clone", progress: 40, eta: null }),
    ]);
    expect(rows.map((r) => [r.sentence, r.user, r.outcome])).toEqual([
      ["web01 crashed: QEMU killed by SIGSEGV", null, "problem"],
      ["web01 stopped (the guest shut down)", null, "info"],
      ["admin created web01", "admin", "info"],
    ]);
  });

  it("events stored before vmctld kept user and task still group by the task their data names", () => {
    const rows = eventRows([
      ev("task.created", "old", { task: "h:o", op: "vm.restart", state: "queued", user: "root" }),
      ev("task.finished", "old", { task: "h:o", op: "vm.restart", state: "success" }),
    ]);
    expect(rows.map((r) => [r.sentence, r.user])).toEqual([["root restarted old", "root"]]);
  });

  it("every event type has a sentence without raw field names or JSON", () => {
    const samples: Record<string, object> = {
      "event.unrecognized": { type: "vm.future", json: "{}", why: "no event type" },
      "host.started": { version: "1.0", vms: 2 },
      "vm.created": { datastore: "default" }, "vm.definition_changed": {}, "vm.definition_invalid": { file: "web01.toml", message: "line 3: expected =" }, "vm.renamed": { from: "old", to: "web01" },
      "vm.destroyed": { keepDisks: true, kept: ["a.qcow2"] }, "vm.state": { from: "running", to: "paused" },
      "vm.crashed": { reason: "crash", detail: "boom" }, "vm.guest_panicked": {}, "vm.restart_limit": { restarts: 3, windowMinutes: 10 },
      "vm.reattached": { pid: 5, state: "running" }, "vm.reset": {},
      "vm.disk_added": { disk: "disk1", file: "x.qcow2", live: true }, "vm.disk_detached": { disk: "disk1", deleted: true, live: false },
      "vm.disk_resized": { disk: "disk0", fromBytes: 1 << 30, toBytes: 2 * 2 ** 30, live: false },
      "vm.nic_added": { nic: "net1", network: "default", mac: "52:54:00:00:00:01", live: false }, "vm.nic_removed": { nic: "net1", live: false },
      "vm.nic_link": { nic: "net0", link: "down", live: true }, "vm.cdrom_added": { cdrom: "cd1" },
      "vm.cdrom_inserted": { cdrom: "cd0", iso: "isos/alpine.iso", live: true }, "vm.cdrom_ejected": { cdrom: "cd0", iso: null, live: true },
      "vm.snapshot_created": { snapshot: "s1", memory: true }, "vm.snapshot_reverted": { snapshot: "s1", memory: false }, "vm.snapshot_deleted": { snapshot: "s1" },
      "vm.cloned": { source: "base", linked: true, snapshot: null }, "vm.template_marked": {}, "vm.template_unmarked": {},
      "vm.imported": { from: "ovf", originalName: "Appliance" }, "vm.exported": {}, "vm.migrated": { direction: "in", peerHost: "127.0.0.1", downtimeMs: 41.6 },
      "task.created": { task: "h:t", op: "vm.start", state: "queued", user: "admin" }, "task.progress": { task: "h:t", op: "vm.clone", progress: 40, eta: null },
      "task.finished": { task: "h:t", op: "vm.start", state: "success" },
    };
    expect(Object.keys(samples).sort()).toEqual([...EVENT_TYPES].sort());
    const said = Object.fromEntries(EVENT_TYPES.map((type) => [type, eventSentence(ev(type, "web01", samples[type]!, { user: "admin" }))]));
    for (const sentence of Object.values(said)) expect(sentence).not.toMatch(/[{}]|undefined|null|\b(keepDisks|fromBytes|windowMinutes)\b/);
    expect(said).toMatchObject({
      "vm.created": "admin created web01", "vm.renamed": "admin renamed old to web01", "vm.destroyed": "admin deleted web01 (its disks were kept)", "vm.state": "admin paused web01",
      "vm.snapshot_created": "admin took snapshot s1 of web01 (with its memory)", "vm.cloned": "admin cloned base as web01 (linked clone)",
      "vm.disk_resized": "admin grew disk disk0 of web01 from 1 GiB to 2 GiB", "vm.cdrom_inserted": "admin inserted alpine.iso in cd0 of web01 while it ran",
      "task.finished": "admin started web01", "task.progress": "Cloning web01: 40%",
    });
    expect(eventSentence(ev("vm.created", "web01", { datastore: "default" }))).toBe("web01 was created");
    expect(eventSentence(ev("vm.snapshot_deleted", "web01", { snapshot: "s1" }))).toBe("Snapshot s1 of web01 was deleted");
    expect(said["vm.migrated"]).toBe("web01 arrived here by live migration (paused 42 ms)");
  });

  it("vmcenter's own events say their message; one without a message still reads", () => {
    const migrated = ev("task.created", "web01", {}) as unknown as Record<string, unknown>;
    const cluster = (type: string, data: object) => ({ ...migrated, type, data }) as unknown as Parameters<typeof eventSentence>[0];
    expect(eventSentence(cluster("cluster.vm.migrated", { message: "web01 moved live from host1 to host2 (downtime 40 ms)" }))).toBe("web01 moved live from host1 to host2 (downtime 40 ms)");
    expect(eventSentence(cluster("cluster.host.dead", {}))).toBe("Cluster host dead (web01)");
  });
});
