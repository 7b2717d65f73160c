import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { VmctlError } from "@vmctl/api-types";
import { openDatabase } from "../store/database.js";
import { EventLog } from "./event-log.js";
import { MAX_QUEUED_PER_TARGET, TaskManager } from "./task-manager.js";
import { RuntimeTable } from "./vm-runtime.js";
import { VmLifecycle } from "./vm-lifecycle.js";
import { PowerController, type PowerDeps } from "./vm-power.js";

const dirs: string[] = [];
afterEach(() => { for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true }); });

function controller() {
  const dir = mkdtempSync(join(tmpdir(), "vmctl-power-"));
  dirs.push(dir);
  const db = openDatabase(join(dir, "vmctld.db"));
  const events = new EventLog(db);
  const tasks = new TaskManager(db, events);
  const runtimes = new RuntimeTable(db, { identity: (name) => `uuid-of-${name}`, has: () => true, assignUuid: () => undefined });
  const lifecycle = new VmLifecycle(runtimes, events);
  // Only what request() reads before the work begins: the work itself never begins in these tests.
  const inventory = { get: () => ({ def: { template: false } }) } as unknown as PowerDeps["inventory"];
  const power = new PowerController({ runtimes, lifecycle, inventory, tasks, events, log: pino({ level: "silent" }) } as unknown as PowerDeps);
  return { power, tasks, lifecycle };
}

describe("power requests waiting for one VM", () => {
  it("are refused past the cap with rate_limited, and the cap frees as waiting tasks end", async () => {
    const { power, tasks, lifecycle } = controller();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    // Something else holds the VM (a long stop, say): every request waits behind it.
    const held = lifecycle.exclusive("web", () => gate);
    const accepted = Array.from({ length: MAX_QUEUED_PER_TARGET }, () => power.request("web", { action: "start" }, "flood"));
    let refused: unknown;
    try { power.request("web", { action: "start" }, "flood"); } catch (error) { refused = error; }
    expect(refused).toBeInstanceOf(VmctlError);
    expect((refused as VmctlError).code).toBe("rate_limited");
    expect((refused as VmctlError).message).toContain(`VM "web" already has ${MAX_QUEUED_PER_TARGET} tasks waiting`);
    // Another VM is not held up by this one's queue.
    const other = power.request("db", { action: "start" }, "someone");
    tasks.cancel(other.id);
    // The waiting ones are cancelled; once the holder lets go they end, and the cap is free again.
    for (const task of accepted) tasks.cancel(task.id);
    release();
    await held;
    for (const task of accepted) expect((await tasks.wait(task.id, 5000)).state).toBe("cancelled");
    const again = power.request("web", { action: "start" }, "later");
    tasks.cancel(again.id);
    expect((await tasks.wait(again.id, 5000)).state).toBe("cancelled");
  });
});
