import { describe, it, expect } from "vitest";
import type { DesiredState, DesiredStateResult, Task, VmSummary } from "@vmctl/api-types";
import { bulkMessage, runBulk, type BulkOutcome } from "./bulk";

const done = (name: string): BulkOutcome => ({ name, result: "done" });
const skipped = (name: string): BulkOutcome => ({ name, result: "skipped" });
const failed = (name: string, error: string): BulkOutcome => ({ name, result: "failed", error });

describe("bulkMessage", () => {
  it("counts a VM already in the asked-for state as skipped, not failed", () => {
    expect(bulkMessage("start", [skipped("web01"), done("web02")])).toEqual({ variant: "success", title: "Started 1 VM; 1 was already running" });
    expect(bulkMessage("stop", [done("a"), done("b"), skipped("c"), skipped("d")])).toEqual({ variant: "success", title: "Stopped 2 VMs; 2 were already stopped" });
    expect(bulkMessage("start", [done("a"), done("b")]).title).toBe("Started 2 VMs");
  });

  it("names each failure with its reason and counts it against the whole selection", () => {
    const message = bulkMessage("stop", [done("web01"), failed("web02", "a migration holds it"), skipped("web03")]);
    expect(message).toEqual({ variant: "warning", title: "Could not stop 1 of 3 VMs: web02: a migration holds it", detail: "Stopped 1 VM; 1 was already stopped." });
    expect(bulkMessage("start", [failed("a", "x"), failed("b", "y")])).toEqual({ variant: "danger", title: "Could not start 2 of 2 VMs: a: x; b: y" });
  });

  it("says when there was nothing to do", () => {
    expect(bulkMessage("start", [skipped("web01")]).title).toBe("web01 was already running");
    expect(bulkMessage("stop", [skipped("a"), skipped("b")]).title).toBe("Nothing to stop: both VMs were already stopped");
    expect(bulkMessage("stop", [skipped("a"), skipped("b"), skipped("c")]).title).toBe("Nothing to stop: all 3 VMs were already stopped");
  });
});

describe("runBulk", () => {
  const task = (id: string) => ({ id, state: "queued" }) as Task;
  it("asks each VM for the state it should end in and follows each task to its end", async () => {
    const asked: string[] = [];
    const outcomes = await runBulk(["on", "off", "broken", "refused"], "start", {
      desired: async (name: string, state: DesiredState): Promise<DesiredStateResult> => {
        asked.push(`${name}=${state}`);
        if (name === "refused") throw new Error('"refused" is a template and never starts');
        return name === "on" ? { changed: false, vm: { name } as VmSummary } : { changed: true, task: task(name) };
      },
      ended: async (t) => (t.id === "broken" ? { state: "error", error: { message: "QEMU exited" } } : { state: "success" }),
    });
    expect(asked).toEqual(["on=running", "off=running", "broken=running", "refused=running"]);
    expect(outcomes).toEqual([skipped("on"), done("off"), failed("broken", "QEMU exited"), failed("refused", '"refused" is a template and never starts')]);
  });
});
