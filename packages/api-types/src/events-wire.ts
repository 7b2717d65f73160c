// Events: every one vmctld records (the event log, GET /api/v1/events, /ws/events) or broadcasts
// live (task progress), as a union discriminated on `type`, each with the `data` it carries. The
// daemon's EventLog takes only these: a new event type, or a new field, is declared here first.
import { Type, type Static, type TObject, type TProperties, type TLiteral } from "@sinclair/typebox";
import { VM_STATES, EXIT_REASONS } from "./states.js";
import { literalUnion } from "./literal-union.js";
import { TASK_STATES } from "./wire.js";
import { VmMigratedDetailsSchema } from "./migration-wire.js";

const VmStateSchema = literalUnion(VM_STATES);
/** An event whose type says it all. */
const NoData = Type.Object({}, { additionalProperties: false });
const Live = Type.Boolean({ description: "changed in the running QEMU too (hot-plug), not only in the definition" });

/** The data of each event type. */
export const EVENT_DATA = {
  /**
   * A stored event that does not match what its type declares now (written by an older vmctld, or
   * by hand): shown as it was stored, so one old row never breaks the whole log.
   */
  "event.unrecognized": Type.Object({
    type: Type.String({ description: "the type it was stored with" }),
    json: Type.String({ description: "its data as stored (JSON text)" }),
    why: Type.String({ description: "what does not match: an unknown type, or the first field in error" }),
  }),
  "host.started": Type.Object({ version: Type.String(), vms: Type.Integer({ description: "VMs in the inventory" }) }),
  "vm.created": Type.Object({ datastore: Type.String() }),
  "vm.definition_changed": NoData,
  "vm.definition_invalid": Type.Object({ file: Type.String(), message: Type.Optional(Type.String()) }),
  "vm.renamed": Type.Object({ from: Type.String({ description: "the name it had" }), to: Type.String({ description: "its name now" }) }),
  "vm.destroyed": Type.Object({ keepDisks: Type.Boolean(), kept: Type.Array(Type.String(), { description: "files left in place" }), uuid: Type.Optional(Type.String()) }),
  "vm.state": Type.Object({
    from: VmStateSchema,
    to: VmStateSchema,
    reason: Type.Optional(Type.String({ description: "why, in words (an exit reason, \"start failed\", \"clone ended\"…)" })),
    error: Type.Optional(Type.String()),
    detail: Type.Optional(Type.String()),
    pid: Type.Optional(Type.Integer()),
    accel: Type.Optional(Type.String()),
    snapshot: Type.Optional(Type.String()),
  }),
  "vm.crashed": Type.Object({ reason: literalUnion(EXIT_REASONS), detail: Type.String() }),
  "vm.guest_panicked": Type.Object({
    info: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { description: "what the guest reported, when it did (QEMU's GuestPanicInformation: type, and hyper-v's arg1…arg5, s390's core and reason…)" })),
  }),
  "vm.restart_limit": Type.Object({ restarts: Type.Integer(), windowMinutes: Type.Number() }),
  "vm.reattached": Type.Object({ pid: Type.Integer(), state: VmStateSchema }),
  "vm.reset": NoData,
  "vm.disk_added": Type.Object({ disk: Type.String(), file: Type.String(), live: Live }),
  "vm.disk_detached": Type.Object({ disk: Type.String(), deleted: Type.Boolean(), live: Live }),
  "vm.disk_resized": Type.Object({ disk: Type.String(), fromBytes: Type.Integer(), toBytes: Type.Integer(), live: Live }),
  "vm.nic_added": Type.Object({ nic: Type.String(), network: Type.String(), mac: Type.String(), live: Live }),
  "vm.nic_removed": Type.Object({ nic: Type.String(), live: Live }),
  "vm.nic_link": Type.Object({ nic: Type.String(), link: Type.Union([Type.Literal("up"), Type.Literal("down")]), live: Live }),
  "vm.cdrom_added": Type.Object({ cdrom: Type.String() }),
  "vm.cdrom_inserted": Type.Object({ cdrom: Type.String(), iso: Type.Union([Type.String(), Type.Null()]), live: Live }),
  "vm.cdrom_ejected": Type.Object({ cdrom: Type.String(), iso: Type.Union([Type.String(), Type.Null()]), live: Live }),
  "vm.snapshot_created": Type.Object({ snapshot: Type.String(), memory: Type.Boolean() }),
  "vm.snapshot_reverted": Type.Object({ snapshot: Type.String(), memory: Type.Boolean() }),
  "vm.snapshot_deleted": Type.Object({ snapshot: Type.String() }),
  "vm.cloned": Type.Object({ source: Type.String(), linked: Type.Boolean(), snapshot: Type.Union([Type.String(), Type.Null()]) }),
  "vm.template_marked": NoData,
  "vm.template_unmarked": NoData,
  "vm.imported": Type.Object({ from: Type.String({ description: "ovf or libvirt" }), originalName: Type.String() }),
  "vm.exported": NoData,
  /** A live migration ended here: out (the VM left for peerHost) or in (it runs here now). */
  "vm.migrated": VmMigratedDetailsSchema,
  "task.created": Type.Object({ task: Type.String(), op: Type.String(), state: literalUnion(TASK_STATES), user: Type.String() }),
  "task.progress": Type.Object({ task: Type.String(), op: Type.String(), progress: Type.Number(), eta: Type.Union([Type.String(), Type.Null()]) }),
  "task.finished": Type.Object({
    task: Type.String(), op: Type.String(), state: literalUnion(TASK_STATES),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  }),
} satisfies Record<string, TObject>;

export type EventType = keyof typeof EVENT_DATA;
export const EVENT_TYPES = Object.keys(EVENT_DATA) as EventType[];
/** Broadcast live only (never stored): their id repeats the newest stored one, and a replay skips them. */
export const LIVE_EVENT_TYPES = ["task.progress"] as const satisfies readonly EventType[];
export type EventData<T extends EventType> = Static<(typeof EVENT_DATA)[T]>;

const eventOf = <T extends EventType>(type: T) => Type.Object({
  id: Type.Integer({ description: "this host's cursor (?since=), increasing; a live-only event repeats the newest stored id" }),
  host: Type.String({ description: "the id of the host that recorded it (GET /api/v1/host): host and id identify an event among several hosts'" }),
  uid: Type.String({ description: '"<host>:<id>" for a stored event, "<host>:live:<uuid>" for a live-only one: unique when several hosts\' events are merged' }),
  time: Type.String(),
  type: Type.Literal(type) as TLiteral<T>,
  vm: Type.Union([Type.String(), Type.Null()], { description: "the VM's name" }),
  vmUuid: Type.Union([Type.String(), Type.Null()], { description: "the VM's uuid, telling apart a VM made again under the same name; null when not about a VM or the VM had none" }),
  user: Type.Union([Type.String(), Type.Null()], { description: 'who caused it: a user ("admin"), "system (autostart)"…; null when nobody did (a guest shut itself down, QEMU crashed) or for events stored before vmctld kept it' }),
  task: Type.Union([Type.String(), Type.Null()], { description: "the id of the task it happened in (its task.created, vm.state changes and task.finished share it); null outside any task" }),
  data: EVENT_DATA[type] as TObject<TProperties> as (typeof EVENT_DATA)[T],
});

/** One event: `data` follows from `type` (narrow with `event.type === "vm.state"`). */
export type VmctlEvent = { [T in EventType]: { id: number; host: string; uid: string; time: string; type: T; vm: string | null; vmUuid: string | null; user: string | null; task: string | null; data: EventData<T> } }[EventType];
export const EventSchema = Type.Unsafe<VmctlEvent>(Type.Union(EVENT_TYPES.map((type) => eventOf(type)), { description: "an event, discriminated on type; data depends on it" }));
/** The data of a vm.state event beyond from and to: what the lifecycle says about the change. */
export type VmStateChange = Omit<EventData<"vm.state">, "from" | "to">;

export const EventQuerySchema = Type.Object({
  vm: Type.Optional(Type.String({ maxLength: 64 })),
  vmUuid: Type.Optional(Type.String({ maxLength: 64, description: "events of the VM with this uuid only (not another made under its name)" })),
  type: Type.Optional(Type.String({ maxLength: 64, description: 'an event type, or a prefix ending in "*" (e.g. "vm.*")' })),
  since: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
}, { additionalProperties: false });
/** The data of vm.guest_panicked from QEMU's panic information: its scalar fields, which are all it has. */
export function guestPanicData(info: Record<string, unknown> | undefined): EventData<"vm.guest_panicked"> {
  if (!info) return {};
  return { info: Object.fromEntries(Object.entries(info).filter((entry): entry is [string, string | number | boolean] => ["string", "number", "boolean"].includes(typeof entry[1]))) };
}

export type EventQuery = Static<typeof EventQuerySchema>;
export const EventListSchema = Type.Object({ events: Type.Array(EventSchema) });
