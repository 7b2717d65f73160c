// Wire types of the v1 API, shared by vmctld, the client, the CLI and later the Host Client.
import { Type, type Static, type TUnsafe } from "@sinclair/typebox";
import { VM_STATES, POWER_ACTIONS, EXIT_REASONS } from "./states.js";
import { NAME_PATTERN } from "./definition-schema.js";
import { DATASTORE_ORIGINS, type DatastoreOrigin } from "./datastore-wire.js";

/** A union of string literals that keeps its literal type (Type.Union over a mapped array widens to string). */
export const literalUnion = <T extends readonly string[]>(values: T): TUnsafe<T[number]> =>
  Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v))));

export const VmStateSchema = literalUnion(VM_STATES);
export const ExitReasonSchema = literalUnion(EXIT_REASONS);

export const VmSummarySchema = Type.Object({
  name: Type.String(),
  state: VmStateSchema,
  cpus: Type.Integer(),
  memoryBytes: Type.Integer(),
  datastore: Type.String(),
  /** Set when the definition on disk does not validate: the VM is listed but cannot start. */
  definitionError: Type.Optional(Type.String()),
  pid: Type.Optional(Type.Integer()),
  startedAt: Type.Optional(Type.String()),
  lastStateChange: Type.String(),
  lastExitReason: Type.Optional(ExitReasonSchema),
  accel: Type.Optional(Type.String()),
  autostart: Type.Boolean(),
  /** A template never starts; clone or deploy VMs from it. */
  template: Type.Optional(Type.Boolean()),
});
export type VmSummary = Static<typeof VmSummarySchema>;

export const VmDetailSchema = Type.Intersect([VmSummarySchema, Type.Object({
  /** The VM's identity (its definition's uuid); absent until vmctld first writes the definition. */
  uuid: Type.Optional(Type.String()),
  definitionPath: Type.String(),
  etag: Type.String(),
  definition: Type.Unknown(),
  runDir: Type.String(),
})]);
export type VmDetail = Static<typeof VmDetailSchema>;

export const TASK_STATES = ["queued", "running", "success", "error", "cancelled"] as const;
export const TaskSchema = Type.Object({
  id: Type.String(),
  op: Type.String(),
  target: Type.String(),
  state: literalUnion(TASK_STATES),
  progress: Type.Number(),
  eta: Type.Union([Type.String(), Type.Null()]),
  log: Type.Array(Type.String()),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
  user: Type.String(),
  createdAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  endedAt: Type.Union([Type.String(), Type.Null()]),
  parentId: Type.Union([Type.String(), Type.Null()]),
});
export type Task = Static<typeof TaskSchema>;
export type TaskState = (typeof TASK_STATES)[number];

export const EventSchema = Type.Object({
  id: Type.Integer(),
  time: Type.String(),
  type: Type.String(),
  vm: Type.Union([Type.String(), Type.Null()]),
  data: Type.Record(Type.String(), Type.Unknown()),
});
export type VmctlEvent = Static<typeof EventSchema>;

export const PowerRequestSchema = Type.Object({
  action: literalUnion(POWER_ACTIONS),
  timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: "seconds to wait for the guest (stop, shutdown, restart)" })),
  force: Type.Optional(Type.Boolean({ description: "stop: power off at once, without asking the guest" })),
}, { additionalProperties: false });
export type PowerRequest = Static<typeof PowerRequestSchema>;

export const VmNameParamsSchema = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }) });

export const HostInfoSchema = Type.Object({
  hostname: Type.String(),
  version: Type.String(),
  qemuVersion: Type.Union([Type.String(), Type.Null()]),
  nodeVersion: Type.String(),
  accelerator: Type.Object({ kind: Type.String(), reason: Type.String() }),
  cpus: Type.Integer(),
  memoryBytes: Type.Integer(),
  home: Type.String(),
  vmsByState: Type.Record(Type.String(), Type.Integer()),
});
export type HostInfo = Static<typeof HostInfoSchema>;

export const DatastoreSchema = Type.Object({
  name: Type.String(),
  path: Type.String(),
  capacityBytes: Type.Integer(),
  freeBytes: Type.Integer(),
  origin: Type.Unsafe<DatastoreOrigin>(Type.Union(DATASTORE_ORIGINS.map((o) => Type.Literal(o)), { description: "default: local; config: declared in vmctld.toml; added: through the API (only these can be removed)" })),
});
export type Datastore = Static<typeof DatastoreSchema>;

export const BatchRequestSchema = Type.Object({
  action: literalUnion(POWER_ACTIONS),
  names: Type.Optional(Type.Array(Type.String({ pattern: NAME_PATTERN }), { minItems: 1, maxItems: 10000 })),
  pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'VM names matching this shell pattern, e.g. "web-*"' })),
  timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  force: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const ErrorBodySchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
}, { $id: "ErrorBody", description: "every error: a code from docs/errors.md, a message that says what to do, and details" });

export const VmListSchema = Type.Object({ vms: Type.Array(VmSummarySchema), total: Type.Integer() });
export const TaskListSchema = Type.Object({ tasks: Type.Array(TaskSchema) });
export const EventListSchema = Type.Object({ events: Type.Array(EventSchema) });
export const DatastoreListSchema = Type.Object({ datastores: Type.Array(DatastoreSchema) });
export const DestroyResultSchema = Type.Object({ removed: Type.Array(Type.String()), kept: Type.Array(Type.String()) });
