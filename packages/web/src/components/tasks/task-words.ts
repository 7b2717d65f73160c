// Tasks told in words: "vm.start" is "Start", "success" is "succeeded", and the one-line status of the
// task bar ("Tasks: 1 running — Start web01 45 %", "Tasks: last: Start web01 by admin succeeded 2 min ago").
import type { Task } from "@vmctl/api-types";

const OPS: Record<string, string> = {
  "vm.start": "Start", "vm.stop": "Stop (power off)", "vm.shutdown": "Shut down", "vm.restart": "Restart", "vm.reset": "Reset",
  "vm.pause": "Pause", "vm.resume": "Resume", "vm.suspend": "Suspend", "vm.set_state": "Change power state",
  "vms.batch": "Power action on several VMs", "vm.snapshot": "Take snapshot", "vm.snapshot_delete": "Delete snapshot",
  "vm.revert": "Revert to snapshot", "vm.clone": "Clone", "vm.clone_linked": "Linked clone", "vm.import": "Import", "vm.export": "Export OVA",
  "vm.create": "Create", "vm.delete": "Delete", "vm.rename": "Rename", "vm.migrate": "Migrate",
  "vm.migrate_out": "Migrate out", "cluster.migrate": "Migrate", "cluster.create": "Create", "cluster.maintenance": "Maintenance mode",
  "cluster.ha.restart": "HA restart",
};

/** Host ids vmcenter names tasks by ("host/<id>"), with the names people know them by; filled where hosts are read. */
const hostNames = new Map<string, string>();
export const rememberHostName = (id: string, name: string): void => { hostNames.set(id, name); };

/** "vm.start" → "Start"; an op without a name here reads as its last part: "vm.disk_grow" → "Disk grow". */
export function opLabel(op: string): string {
  const known = OPS[op];
  if (known) return known;
  const last = op.slice(op.lastIndexOf(".") + 1).replace(/_/g, " ");
  return last ? last[0]!.toUpperCase() + last.slice(1) : op;
}

/**
 * A task as a person names it: its op in words, but a desired-state task (vm.set_state) by the power
 * action it took, which its log tells ("2026-… start to get "web01" running" is a Start).
 */
export function taskLabel(task: Pick<Task, "op" | "log">): string {
  if (task.op === "vm.set_state") {
    const action = task.log.map((line) => /(?:^|\s)(\w+) to get ".*" (running|stopped)$/.exec(line)?.[1]).find((a) => a !== undefined);
    if (action) return opLabel(`vm.${action}`);
  }
  return opLabel(task.op);
}

/** What a task works on, as its name: "vm/web01" → "web01"; "host" stays "host"; "host/<id>" at vmcenter → "host host2". */
export const targetLabel = (target: string): string =>
  target.startsWith("host/") ? `host ${hostNames.get(target.slice(5)) ?? target.slice(5)}` : target.replace(/^vm\//, "");

const STATE_WORDS: Record<Task["state"], string> = { queued: "waiting", running: "running", success: "succeeded", error: "failed", cancelled: "cancelled" };
export const stateLabel = (state: Task["state"]): string => STATE_WORDS[state] ?? state;

/** "just now", "45 s ago", "2 min ago", "3 h ago", "2 d ago". */
export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** "Start web01" (or only "Start" when the target goes without saying, as on that VM's page). */
export function taskTitle(task: Pick<Task, "op" | "target" | "log">, showTarget = true): string {
  return showTarget ? `${taskLabel(task)} ${targetLabel(task.target)}` : taskLabel(task);
}

/**
 * The task bar's one line, of tasks newest first. `prefix` is "Tasks" (or "Tasks of web01" on its
 * page, where `showTarget` is false: the target goes without saying).
 */
export function taskStatusLine(tasks: Task[], options: { prefix?: string; showTarget?: boolean; now?: number } = {}): string {
  const { prefix = "Tasks", showTarget = true, now = Date.now() } = options;
  const active = tasks.filter((t) => t.state === "running" || t.state === "queued");
  if (active.length) {
    const first = active.find((t) => t.state === "running") ?? active[0]!;
    const running = active.filter((t) => t.state === "running").length;
    const waiting = active.length - running;
    const counts = [running ? `${running} running` : "", waiting ? `${waiting} waiting` : ""].filter(Boolean).join(", ");
    const where = first.state === "running" ? `${Math.round(first.progress)} %` : "waiting";
    return `${prefix}: ${counts} — ${taskTitle(first, showTarget)} ${where}`;
  }
  const last = tasks[0];
  if (!last) return `${prefix}: none yet`;
  return `${prefix}: last: ${taskTitle(last, showTarget)} by ${last.user} ${stateLabel(last.state)} ${ago(last.endedAt ?? last.createdAt, now)}`;
}
