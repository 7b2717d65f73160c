// Events in words: each event as a sentence ("admin took snapshot s1 of web01"), and the events of
// one action (same `task`: task.created, the vm.state changes, task.finished) as ONE row that reads
// as the action with its outcome ("admin started web01", "admin could not start web01: …").
// Pure: the Events page and a VM's Events tab render what this returns.
import type { EventType, VmctlEvent } from "@vmctl/api-types";
import { formatBytes } from "../format";

export type EventOutcome = "done" | "failed" | "cancelled" | "ongoing" | "problem" | "info";

export interface EventRow {
  /** Stable across renders: the task id, or the event's uid. */
  key: string;
  /** When the action began (its first event), or the event's time. */
  time: string;
  vm: string | null;
  user: string | null;
  sentence: string;
  outcome: EventOutcome;
  /** The records behind the row, oldest first: the details a user can expand. */
  events: VmctlEvent[];
}

const cap = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
/**
 * "admin created web01" with a user, "web01 was created" without one (an event from before vmctld
 * kept it, a guest's own doing). A VM's name is never capitalised: it is a name.
 */
const act = (who: string | null, active: string, passive: string) => (who ? `${who} ${active}` : /^(the|snapshot|disk|nic|cd\/dvd|template|a|an) /i.test(passive) ? cap(passive) : passive);
const of = (vm: string | null) => vm ?? "a VM";
const baseName = (path: string) => path.split("/").pop() || path;
const live = (isLive: boolean) => (isLive ? " while it ran" : "");

type Sentences = { [T in EventType]: (data: Extract<VmctlEvent, { type: T }>["data"], vm: string, who: string | null) => string };

/** Every event type's sentence (EVENT_DATA's keys: a new type fails to build until it has one). */
const SENTENCES: Sentences = {
  "event.unrecognized": (d) => `An event this vmctl does not know (${d.type}): ${d.why}`,
  "host.started": (d) => `vmctld ${d.version} started with ${d.vms} VM${d.vms === 1 ? "" : "s"}`,
  "vm.created": (_d, vm, who) => act(who, `created ${vm}`, `${vm} was created`),
  "vm.definition_changed": (_d, vm, who) => act(who, `changed the definition of ${vm}`, `the definition of ${vm} changed`),
  "vm.definition_invalid": (d, vm) => `The definition of ${vm} is invalid${d.message ? `: ${d.message}` : ""}`,
  "vm.renamed": (d, _vm, who) => act(who, `renamed ${d.from} to ${d.to}`, `${d.from} was renamed ${d.to}`),
  "vm.destroyed": (d, vm, who) => act(who, `deleted ${vm}`, `${vm} was deleted`) + (d.keepDisks ? " (its disks were kept)" : ""),
  "vm.state": (d, vm, who) => stateSentence(d, vm, who),
  "vm.crashed": (d, vm) => `${vm} crashed: ${d.detail || d.reason}`,
  "vm.guest_panicked": (d, vm) => `The guest of ${vm} panicked${d.info?.type !== undefined ? ` (${String(d.info.type)})` : ""}`,
  "vm.restart_limit": (d, vm) => `${vm} crashed ${d.restarts} times in ${d.windowMinutes} minutes: it is no longer restarted`,
  "vm.reattached": (d, vm) => `vmctld found ${vm} still ${d.state} after its restart and took it back`,
  "vm.reset": (_d, vm, who) => act(who, `reset ${vm}`, `${vm} was reset`),
  "vm.migrated": (d, vm) => (d.direction === "in" ? `${vm} arrived here by live migration` : `${vm} left for host ${d.peerHost} by live migration`)
    + (d.downtimeMs !== undefined ? ` (paused ${Math.round(d.downtimeMs)} ms)` : ""),
  "vm.disk_added": (d, vm, who) => act(who, `added disk ${d.disk} to ${vm}`, `disk ${d.disk} was added to ${vm}`) + live(d.live),
  "vm.disk_detached": (d, vm, who) => act(who, `removed disk ${d.disk} from ${vm}`, `disk ${d.disk} was removed from ${vm}`) + (d.deleted ? " and deleted its file" : "") + live(d.live),
  "vm.disk_resized": (d, vm, who) => act(who, `grew disk ${d.disk} of ${vm}`, `disk ${d.disk} of ${vm} grew`) + ` from ${formatBytes(d.fromBytes)} to ${formatBytes(d.toBytes)}` + live(d.live),
  "vm.nic_added": (d, vm, who) => act(who, `added NIC ${d.nic} on ${d.network} to ${vm}`, `NIC ${d.nic} on ${d.network} was added to ${vm}`) + live(d.live),
  "vm.nic_removed": (d, vm, who) => act(who, `removed NIC ${d.nic} from ${vm}`, `NIC ${d.nic} was removed from ${vm}`) + live(d.live),
  "vm.nic_link": (d, vm, who) => act(who, `set the link of NIC ${d.nic} of ${vm} ${d.link}`, `the link of NIC ${d.nic} of ${vm} went ${d.link}`),
  "vm.cdrom_added": (d, vm, who) => act(who, `added CD/DVD drive ${d.cdrom} to ${vm}`, `CD/DVD drive ${d.cdrom} was added to ${vm}`),
  "vm.cdrom_inserted": (d, vm, who) => act(who, `inserted ${d.iso ? baseName(d.iso) : "a disc"} in ${d.cdrom} of ${vm}`, `${d.iso ? baseName(d.iso) : "a disc"} was inserted in ${d.cdrom} of ${vm}`) + live(d.live),
  "vm.cdrom_ejected": (d, vm, who) => act(who, `ejected ${d.iso ? baseName(d.iso) : "the disc"} from ${d.cdrom} of ${vm}`, `${d.iso ? baseName(d.iso) : "the disc"} was ejected from ${d.cdrom} of ${vm}`) + live(d.live),
  "vm.snapshot_created": (d, vm, who) => act(who, `took snapshot ${d.snapshot} of ${vm}`, `snapshot ${d.snapshot} of ${vm} was taken`) + (d.memory ? " (with its memory)" : ""),
  "vm.snapshot_reverted": (d, vm, who) => act(who, `reverted ${vm} to snapshot ${d.snapshot}`, `${vm} was reverted to snapshot ${d.snapshot}`),
  "vm.snapshot_deleted": (d, vm, who) => act(who, `deleted snapshot ${d.snapshot} of ${vm}`, `snapshot ${d.snapshot} of ${vm} was deleted`),
  "vm.cloned": (d, vm, who) => act(who, `cloned ${d.source} as ${vm}`, `${vm} was cloned from ${d.source}`) + (d.linked ? " (linked clone)" : "") + (d.snapshot ? ` from snapshot ${d.snapshot}` : ""),
  "vm.template_marked": (_d, vm, who) => act(who, `marked ${vm} as a template`, `${vm} became a template`),
  "vm.template_unmarked": (_d, vm, who) => act(who, `converted template ${vm} to a VM`, `template ${vm} became a VM`),
  "vm.imported": (d, vm, who) => act(who, `imported ${vm}`, `${vm} was imported`) + ` (from ${d.from === "ovf" ? "an OVF/OVA" : d.from}${d.originalName !== vm ? `, named ${d.originalName} there` : ""})`,
  "vm.exported": (_d, vm, who) => act(who, `exported ${vm} as an OVA`, `${vm} was exported as an OVA`),
  "task.created": (d, vm, who) => `${who ?? d.user} asked to ${actionOf(d.op).do(vm)}`,
  "task.progress": (d, vm) => `${cap(actionOf(d.op).doing(vm))}: ${Math.round(d.progress)}%`,
  "task.finished": (d, vm, who) => finishedSentence(d.op, d.state, d.error?.message, vm, who, []),
};

/** QEMU's exit reasons (and the lifecycle's), in words. */
const REASON: Record<string, string> = {
  "guest-shutdown": "the guest shut down", "host-stop": "stopped by vmctld", "guest-panic": "the guest panicked", crash: "QEMU crashed", killed: "QEMU was killed",
};

/** A state change alone (not part of an action, or the guest's own doing): "web01 stopped (the guest shut down)". */
function stateSentence(d: Extract<VmctlEvent, { type: "vm.state" }>["data"], vm: string, who: string | null): string {
  const why = d.error ? `: ${d.error}` : d.reason ? ` (${REASON[d.reason] ?? d.reason})` : "";
  switch (d.to) {
    case "running": return (d.from === "paused" ? act(who, `resumed ${vm}`, `${vm} resumed`) : d.from === "suspended" ? act(who, `resumed ${vm}`, `${vm} resumed from suspension`) : act(who, `started ${vm}`, `${vm} started`)) + why;
    case "stopped": return act(who, `stopped ${vm}`, `${vm} stopped`) + why;
    case "crashed": return `${vm} crashed${d.error ? `: ${d.error}` : d.reason ? `: ${REASON[d.reason] ?? d.reason}` : ""}`;
    case "paused": return act(who, `paused ${vm}`, `${vm} paused`) + why;
    case "suspended": return act(who, `suspended ${vm}`, `${vm} was suspended`) + why;
    default: return `${vm} is ${d.to}${why}`;
  }
}

interface Action { do: (vm: string) => string; did: (vm: string) => string; doing: (vm: string) => string }
const verb = (base: string, past: string, ing: string, tail = ""): Action => ({ do: (vm) => `${base} ${vm}${tail}`, did: (vm) => `${past} ${vm}${tail}`, doing: (vm) => `${ing} ${vm}${tail}` });
const ACTIONS: Record<string, Action> = {
  "vm.start": verb("start", "started", "starting"),
  "vm.stop": verb("stop", "stopped", "stopping", " (power off)"),
  "vm.shutdown": verb("shut down", "shut down", "shutting down"),
  "vm.restart": verb("restart", "restarted", "restarting"),
  "vm.reset": verb("reset", "reset", "resetting"),
  "vm.pause": verb("pause", "paused", "pausing"),
  "vm.resume": verb("resume", "resumed", "resuming"),
  "vm.suspend": verb("suspend", "suspended", "suspending"),
  "vm.set_state": { do: (vm) => `change the state of ${vm}`, did: (vm) => `found ${vm} in the state asked for already`, doing: (vm) => `changing the state of ${vm}` },
  "vm.snapshot": { do: (vm) => `take a snapshot of ${vm}`, did: (vm) => `took a snapshot of ${vm}`, doing: (vm) => `taking a snapshot of ${vm}` },
  "vm.revert": { do: (vm) => `revert ${vm} to a snapshot`, did: (vm) => `reverted ${vm} to a snapshot`, doing: (vm) => `reverting ${vm} to a snapshot` },
  "vm.snapshot_delete": { do: (vm) => `delete a snapshot of ${vm}`, did: (vm) => `deleted a snapshot of ${vm}`, doing: (vm) => `deleting a snapshot of ${vm}` },
  "vm.clone": verb("clone", "cloned", "cloning"),
  "vm.clone_linked": verb("clone", "cloned", "cloning", " (linked clone)"),
  "vm.import": verb("import", "imported", "importing"),
  "vm.export": verb("export", "exported", "exporting", " as an OVA"),
  "vms.batch": { do: () => "act on several VMs at once", did: () => "acted on several VMs at once", doing: () => "acting on several VMs at once" },
  // vmcenter's tasks.
  "cluster.migrate": verb("migrate", "migrated", "migrating", " to another host"),
  "cluster.create": verb("create", "created", "creating", " on the host placement chose"),
  "cluster.maintenance": { do: () => "change a host's maintenance mode", did: () => "changed a host's maintenance mode", doing: () => "changing a host's maintenance mode" },
  "cluster.ha.restart": { do: () => "restart the VMs of a dead host elsewhere", did: () => "restarted the VMs of a dead host elsewhere", doing: () => "restarting the VMs of a dead host elsewhere" },
};
function actionOf(op: string): Action {
  return ACTIONS[op] ?? { do: (vm) => `run ${op} on ${vm}`, did: (vm) => `ran ${op} on ${vm}`, doing: (vm) => `running ${op} on ${vm}` };
}

/** The action's own event that says more than the op does (the snapshot's name, the clone's new name). */
const TELLING: ReadonlySet<string> = new Set(["vm.snapshot_created", "vm.snapshot_reverted", "vm.snapshot_deleted", "vm.cloned", "vm.imported", "vm.exported", "vm.reset",
  "cluster.vm.migrated", "cluster.vm.placed", "cluster.host.maintenance"]);

/** A finished action: "admin started web01", "admin could not start web01: …", "admin did not start web01: cancelled". */
function finishedSentence(op: string, state: string, error: string | undefined, vm: string, who: string | null, inner: VmctlEvent[]): string {
  const action = actionOf(op);
  const actor = who ?? "vmctl";
  if (state === "error") return `${actor} could not ${action.do(vm)}${error ? `: ${error}` : ""}`;
  if (state === "cancelled") return `${actor} did not ${action.do(vm)}: cancelled`;
  if (state !== "success") return `${actor} is ${action.doing(vm)}…`;
  const telling = inner.find((e) => TELLING.has(e.type));
  if (telling) return eventSentence({ ...telling, user: who } as VmctlEvent);
  if (op === "vm.set_state") {
    const last = [...inner].reverse().find((e): e is Extract<VmctlEvent, { type: "vm.state" }> => e.type === "vm.state" && !["starting", "stopping"].includes(e.data.to));
    if (last) return stateSentence(last.data, vm, actor);
  }
  return `${actor} ${action.did(vm)}`;
}

/** One event as a sentence, with its user as the one who acted when it has one. */
export function eventSentence(event: VmctlEvent): string {
  const sentence = SENTENCES[event.type] as ((data: unknown, vm: string, who: string | null) => string) | undefined;
  if (sentence) return sentence(event.data, of(event.vm), event.user);
  // vmcenter's own events (cluster.host.dead, cluster.vm.migrated, …) carry their sentence.
  const message = (event.data as { message?: unknown } | null)?.message;
  return typeof message === "string" && message ? message : `${cap(String(event.type).replace(/[._]/g, " "))}${event.vm ? ` (${event.vm})` : ""}`;
}

const PROBLEM = /crash|panic|invalid|restart_limit|unrecognized/;
function outcomeOf(event: VmctlEvent): EventOutcome {
  if (event.type === "task.finished") return event.data.state === "error" ? "failed" : event.data.state === "cancelled" ? "cancelled" : "done";
  if (event.type === "vm.state") return event.data.to === "crashed" || event.data.error ? "problem" : "info";
  return PROBLEM.test(event.type) ? "problem" : "info";
}

/** The task an event belongs to: its `task`, or for task events stored before vmctld kept it, the one its data names. */
function taskOf(event: VmctlEvent): string | null {
  if (event.task) return event.task;
  if (event.type === "task.created" || event.type === "task.finished") return event.data.task;
  return null;
}

/** The events of one action as one row. */
function actionRow(task: string, events: VmctlEvent[]): EventRow {
  const created = events.find((e): e is Extract<VmctlEvent, { type: "task.created" }> => e.type === "task.created");
  const finished = events.find((e): e is Extract<VmctlEvent, { type: "task.finished" }> => e.type === "task.finished");
  const user = events.find((e) => e.user)?.user ?? created?.data.user ?? null;
  const vm = (created ?? finished ?? events[0]!).vm;
  const inner = events.filter((e) => e.type !== "task.created" && e.type !== "task.finished");
  const op = created?.data.op ?? finished?.data.op;
  let sentence: string;
  let outcome: EventOutcome;
  if (op === undefined) {
    // Only the middle of an action is at hand (the list begins after its start): its telling events speak.
    const telling = inner.find((e) => TELLING.has(e.type)) ?? inner[inner.length - 1]!;
    sentence = eventSentence({ ...telling, user } as VmctlEvent);
    outcome = inner.some((e) => outcomeOf(e) === "problem") ? "problem" : "info";
  } else if (finished) {
    sentence = finishedSentence(op, finished.data.state, finished.data.error?.message, of(vm), user, inner);
    outcome = outcomeOf(finished);
  } else {
    sentence = finishedSentence(op, "running", undefined, of(vm), user, inner);
    outcome = "ongoing";
  }
  return { key: task, time: events[0]!.time, vm, user, sentence, outcome, events };
}

/**
 * The rows for a list of events (any order): one per action (events sharing a task), one per event
 * outside any; newest first. Live-only progress is left out (the tasks show it).
 */
export function eventRows(events: readonly VmctlEvent[]): EventRow[] {
  const oldestFirst = [...events].filter((e) => e.type !== "task.progress").sort((a, b) => a.id - b.id);
  const groups = new Map<string, VmctlEvent[]>();
  const rows: Array<{ newest: number; row: EventRow | string }> = [];
  for (const event of oldestFirst) {
    const task = taskOf(event);
    if (task === null) {
      rows.push({ newest: event.id, row: { key: event.uid, time: event.time, vm: event.vm, user: event.user, sentence: eventSentence(event), outcome: outcomeOf(event), events: [event] } });
      continue;
    }
    const group = groups.get(task);
    if (group) group.push(event);
    else { groups.set(task, [event]); rows.push({ newest: event.id, row: task }); }
  }
  const built = rows.map(({ newest, row }) => {
    if (typeof row !== "string") return { newest, row };
    const group = groups.get(row)!;
    return { newest: group[group.length - 1]!.id, row: actionRow(row, group) };
  });
  return built.sort((a, b) => b.newest - a.newest).map(({ row }) => row);
}
