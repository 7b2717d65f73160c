// One action on many VMs: a parent task with a child task per VM, all started at once; the parent
// ends when every child has, and fails if any did. Cancelling the parent cancels queued children.
import { VmctlError, type PowerRequest } from "@vmctl/api-types";
import type { PowerController } from "./vm-power.js";
import type { TaskManager } from "./task-manager.js";
import type { Inventory } from "./inventory.js";
import { compileNamePattern } from "./name-pattern.js";

export interface BatchRequest extends PowerRequest { names?: string[]; pattern?: string }

export function startBatch(power: PowerController, tasks: TaskManager, inventory: Inventory, request: BatchRequest, user: string) {
  const { names, pattern, ...powerRequest } = request;
  if ((names === undefined) === (pattern === undefined)) throw new VmctlError("bad_request", 'give either "names" (a list) or "pattern" (e.g. "web-*")');
  const known = inventory.list().map((entry) => entry.name);
  // Matched in linear time (name-pattern.ts): a regex built from the pattern could backtrack for minutes.
  const matches = pattern === undefined ? undefined : compileNamePattern(pattern, "pattern");
  // A name listed twice is one target: 10,000 copies of one name must not queue 10,000 tasks on one VM.
  const targets = names ? [...new Set(names)] : known.filter((name) => matches!(name));
  if (targets.length === 0) throw new VmctlError("vm_not_found", `no VM matches "${pattern ?? ""}"`);
  const knownSet = new Set(known);
  const unknown = targets.filter((name) => !knownSet.has(name));
  if (unknown.length) throw new VmctlError("vm_not_found", `no VM named ${unknown.map((n) => `"${n}"`).join(", ")}; nothing was done`);
  return tasks.run("vms.batch", `vms/${request.action}`, user, async (ctx) => {
    ctx.log(`${request.action} on ${targets.length} VMs: ${targets.join(", ")}`);
    const children = targets.map((name) => {
      try {
        return { name, task: power.request(name, powerRequest, user, ctx.id) };
      } catch (error) {
        ctx.log(`${name}: ${(error as Error).message}`);
        return { name, error: error as Error };
      }
    });
    const cancel = () => { for (const child of children) if (child.task) try { tasks.cancel(child.task.id); } catch { /* running or ended */ } };
    ctx.signal.addEventListener("abort", cancel, { once: true });
    let done = 0;
    const results = await Promise.all(children.map(async (child) => {
      if (!child.task) return { name: child.name, ok: false, message: child.error!.message };
      const ended = await tasks.wait(child.task.id, 24 * 3600_000);
      ctx.progress((++done / children.length) * 100);
      if (ended.state !== "success") ctx.log(`${child.name}: ${ended.state}${ended.error ? `: ${ended.error.message}` : ""}`);
      return { name: child.name, ok: ended.state === "success", message: ended.error?.message ?? ended.state };
    }));
    const failed = results.filter((r) => !r.ok);
    if (failed.length) throw new VmctlError("batch_failed", `${failed.length} of ${results.length} failed: ${failed.map((f) => `${f.name} (${f.message})`).join("; ")}`);
  });
}
