// Wire types of the v1 API, shared by vmctld, the client, the CLI and later the Host Client.
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { VM_STATES, POWER_ACTIONS, EXIT_REASONS } from "./states.js";
import { NAME_PATTERN, ResolvedVmDefinitionSchema, VmDefinitionBodySchema } from "./definition-schema.js";
import { DATASTORE_ORIGINS, type DatastoreOrigin } from "./datastore-wire.js";
import { literalUnion } from "./literal-union.js";

export { literalUnion };

export const VmStateSchema = literalUnion(VM_STATES);
export const ExitReasonSchema = literalUnion(EXIT_REASONS);

export const ADDRESS_SOURCES = ["dhcp", "agent"] as const;
/** One IP address of a VM's NIC and where vmctld learnt it. */
export const VmAddressSchema = Type.Object({
  nic: Type.String({ description: "the NIC's id in the definition ([nics.ID])" }),
  mac: Type.String(),
  ip: Type.String({ description: "an IPv4 or IPv6 address, without prefix length" }),
  source: literalUnion(ADDRESS_SOURCES, { description: "dhcp: the lease of vmctld's dnsmasq on the NIC's network; agent: the QEMU guest agent" }),
});
export type VmAddress = Static<typeof VmAddressSchema>;

/** The QEMU guest agent in a VM, as vmctld last saw it (refreshed in the background while the VM runs). */
export const VmAgentSchema = Type.Object({
  connected: Type.Boolean({ description: "an agent answers on the VM's channel; false for a stopped VM or a guest without one" }),
  os: Type.Optional(Type.Object({ name: Type.String(), version: Type.String() }, { description: "guest-get-osinfo's name and version (GET /vms/{name} only)" })),
  hostname: Type.Optional(Type.String({ description: "guest-get-host-name (GET /vms/{name} only)" })),
});
export type VmAgent = Static<typeof VmAgentSchema>;

/** POST /vms/{name}/guest/password: sets a guest user's password through the guest agent. */
export const GuestPasswordRequestSchema = Type.Object({
  user: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.][A-Za-z0-9_.$-]*$", description: "the guest user's name" }),
  password: Type.String({ minLength: 1, maxLength: 1024, writeOnly: true, description: "the new password in clear (sent to the agent, never logged or stored); no line breaks" }),
}, { additionalProperties: false });
export type GuestPasswordRequest = Static<typeof GuestPasswordRequestSchema>;
export const GuestPasswordAnswerSchema = Type.Object({ user: Type.String(), set: Type.Boolean() });

export const VmSummarySchema = Type.Object({
  name: Type.String(),
  /** The VM's identity (its definition's uuid); absent only while the definition does not validate or its datastore is read-only. */
  uuid: Type.Optional(Type.String()),
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
  agent: Type.Optional(VmAgentSchema),
  /** The definition's description; absent when it has none. */
  description: Type.Optional(Type.String()),
  diskBytes: Type.Optional(Type.Integer({ description: "the disks' provisioned sizes added up (a disk declared without a size counts its file's size); absent while the definition does not validate" })),
  addresses: Type.Array(VmAddressSchema, { description: "the IP addresses of the VM's NICs while its QEMU runs (the guest agent's where it reports them, else the NIC's DHCP lease on a managed network); empty when none is known" }),
});
export type VmSummary = Static<typeof VmSummarySchema>;

/** A definition field changed since QEMU started, as running now and as the next start will have it (values as written, "" for none). */
export const PendingChangeSchema = Type.Object({
  field: Type.String({ description: "cpus, memory, machine, firmware, boot.order, boot.kernel, boot.initrd, boot.cmdline, console.serial or console.vnc" }),
  running: Type.String(),
  next: Type.String(),
});
export type PendingChange = Static<typeof PendingChangeSchema>;

export const VmDetailSchema = Type.Intersect([VmSummarySchema, Type.Object({
  definitionPath: Type.String(),
  etag: Type.String(),
  definition: Type.Union([ResolvedVmDefinitionSchema, Type.Null()], { description: "the definition with every default filled in and sizes in bytes; null while the file does not validate (definitionError says why)" }),
  runDir: Type.String(),
  pendingChanges: Type.Optional(Type.Array(PendingChangeSchema, { description: "while QEMU runs: the fields changed in the definition since it started, applied at the next start; empty when stopped" })),
})]);
export type VmDetail = Static<typeof VmDetailSchema>;

export const TASK_STATES = ["queued", "running", "success", "error", "cancelled"] as const;
export const TaskSchema = Type.Object({
  id: Type.String({ description: '"<host id>:<uuid>": unique across the hosts of a cluster (GET /api/v1/host gives the host id)' }),
  op: Type.String(),
  target: Type.String({ description: 'what the task works on, e.g. "vm/web01"' }),
  targetUuid: Type.Union([Type.String(), Type.Null()], { description: "the uuid of the target VM (for a task that makes its VM, once made); null when the target is not one VM" }),
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
  result: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: "what a task that ended well measured or made (a migrate-out's downtimeMs, bytes and totalMs); absent for most tasks" })),
});
export type Task = Static<typeof TaskSchema>;
export type TaskState = (typeof TASK_STATES)[number];

export const PowerRequestSchema = Type.Object({
  action: literalUnion(POWER_ACTIONS),
  timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: "seconds to wait for the guest (stop, shutdown, restart)" })),
  force: Type.Optional(Type.Boolean({ description: "stop: power off at once, without asking the guest" })),
}, { additionalProperties: false });
export type PowerRequest = Static<typeof PowerRequestSchema>;

export const VmNameParamsSchema = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }) });

export const HostInfoSchema = Type.Object({
  id: Type.String({ description: "this host's id (a UUID made at its first start): the prefix of its task ids and the host of its events" }),
  hostname: Type.String(),
  version: Type.String(),
  qemuVersion: Type.Union([Type.String(), Type.Null()]),
  nodeVersion: Type.String(),
  accelerator: Type.Object({ kind: Type.String(), reason: Type.String() }),
  cpus: Type.Integer(),
  memoryBytes: Type.Integer(),
  home: Type.String(),
  vmsByState: Type.Record(Type.String(), Type.Integer()),
  cluster: Type.Union([
    Type.Object({ clusterId: Type.String(), centerUrls: Type.Array(Type.String()) }),
    Type.Null(),
  ], { description: "the vmcenter cluster this host joined (vmctld --join), null for a host on its own" }),
});
export type HostInfo = Static<typeof HostInfoSchema>;

export const DatastoreSchema = Type.Object({
  name: Type.String(),
  path: Type.String(),
  capacityBytes: Type.Integer(),
  freeBytes: Type.Integer(),
  origin: Type.Unsafe<DatastoreOrigin>(Type.Union(DATASTORE_ORIGINS.map((o) => Type.Literal(o)), { description: "default: local; config: declared in vmctld.toml; added: through the API (only these can be removed)" })),
  shared: Type.Boolean({ description: "every host of a cluster mounts it under this name: a VM folder there is listed only on the host its .vmctl-owner names" }),
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
export type VmList = Static<typeof VmListSchema>;
export const TaskListSchema = Type.Object({ tasks: Type.Array(TaskSchema) });
export const DatastoreListSchema = Type.Object({ datastores: Type.Array(DatastoreSchema) });
export const DestroyResultSchema = Type.Object({ removed: Type.Array(Type.String()), kept: Type.Array(Type.String()) });
/** POST /api/v1/vms/{name}/rename: the VM's new name (checked by vmctld, which names the rule when it is no VM name). */
export const VmRenameBodySchema = Type.Object({ name: Type.String({ maxLength: 256, description: "the new name: 1-63 lower-case letters, digits, '-', '_' or '.', unused by any VM" }) }, { additionalProperties: false });
export type VmRenameBody = Static<typeof VmRenameBodySchema>;

export const VM_SORT_KEYS = ["name", "-name", "state", "-state", "cpus", "-cpus", "memory", "-memory", "lastStateChange", "-lastStateChange"] as const;
export type VmSortKey = (typeof VM_SORT_KEYS)[number];
export const VmListQuerySchema = Type.Object({
  state: Type.Optional(VmStateSchema),
  name: Type.Optional(Type.String({ maxLength: 64, description: 'a name pattern, e.g. "web-*"' })),
  sort: Type.Optional(literalUnion(VM_SORT_KEYS)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
}, { additionalProperties: false });
export type VmListQuery = Static<typeof VmListQuerySchema>;
export const VmCreateQuerySchema = Type.Object({ datastore: Type.Optional(Type.String({ description: "where the VM's folder is made (default: local)" })) }, { additionalProperties: false });
export const VmDestroyQuerySchema = Type.Object({ keepDisks: Type.Optional(Type.Boolean({ description: "leave the disk images in place" })) }, { additionalProperties: false });
export type BatchRequest = Static<typeof BatchRequestSchema>;
export type DestroyResult = Static<typeof DestroyResultSchema>;

export const TaskListQuerySchema = Type.Object({
  target: Type.Optional(Type.String({ description: "e.g. vm/web01" })),
  targetUuid: Type.Optional(Type.String({ maxLength: 64, description: "tasks on the VM with this uuid only" })),
  state: Type.Optional(Type.String()),
  parent: Type.Optional(Type.String({ description: "children of this task" })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
}, { additionalProperties: false });
export type TaskListQuery = Static<typeof TaskListQuerySchema>;
export const TaskParamsSchema = Type.Object({ id: Type.String({ maxLength: 128, description: '"<host id>:<uuid>"' }) });
export const TaskWaitQuerySchema = Type.Object({ wait: Type.Optional(Type.Number({ minimum: 0, maximum: 300, description: "seconds to wait for the task to end" })) }, { additionalProperties: false });

export const HealthSchema = Type.Object({ ok: Type.Boolean() });

export const SendKeyRequestSchema = Type.Object({
  keys: Type.Optional(Type.Array(Type.String({ pattern: "^[a-z0-9_]{1,20}$" }), { minItems: 1, maxItems: 8, description: 'qcodes pressed together, e.g. ["ctrl","alt","delete"]' })),
  text: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "text typed as keystrokes (US layout)" })),
}, { additionalProperties: false, description: "either keys or text" });
export type SendKeyRequest = { keys: string[]; text?: never } | { text: string; keys?: never };
export const SendKeyAnswerSchema = Type.Object({ sent: Type.Integer({ description: "key presses sent" }) });
export const TemplateAnswerSchema = Type.Object({ name: Type.String(), template: Type.Boolean() });
export type TemplateAnswer = Static<typeof TemplateAnswerSchema>;

/** A schema of bytes, for OpenAPI (binary bodies and answers are not JSON: nothing validates them). */
export const BinarySchema = Type.String({ format: "binary" });
/** A non-JSON answer for OpenAPI: its media type, the schema of its body and what it is. */
export const mediaAnswer = (description: string, media: Record<string, { schema: TSchema }>) =>
  ({ description, content: Object.fromEntries(Object.entries(media).map(([type, { schema }]) => [type, { schema }])) });
export const bytesAnswer = (description: string) => mediaAnswer(description, { "application/octet-stream": { schema: BinarySchema } });
export const TomlSchema = Type.String({ description: "a VM definition in TOML" });
export const TomlDefinitionAnswer = mediaAnswer("the TOML as written", { "application/toml": { schema: TomlSchema } });
export const PngAnswer = mediaAnswer("PNG image", { "image/png": { schema: BinarySchema } });

/** POST /api/v1/vms: a definition as JSON, or as TOML with Content-Type: application/toml. */
export const VmCreateBody = { content: { "application/json": { schema: VmDefinitionBodySchema }, "application/toml": { schema: TomlSchema } } };
/** PUT /api/v1/vms/{name}/definition: the whole definition as TOML (comments kept as written). */
export const TomlDefinitionBody = { content: { "application/toml": { schema: TomlSchema } } };

const Name = Type.String({ pattern: NAME_PATTERN });
export const ImportFromDatastoreSchema = Type.Object({
  datastore: Name,
  path: Type.String({ minLength: 1, maxLength: 4096, description: "an .ova, an .ovf (its folder is the package) or a libvirt domain .xml in that datastore" }),
  name: Type.Optional(Name),
  targetDatastore: Type.Optional(Name),
  start: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type ImportFromDatastore = Static<typeof ImportFromDatastoreSchema>;
export const ImportQuerySchema = Type.Object({
  name: Type.Optional(Name),
  datastore: Type.Optional(Name),
  start: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type ImportQuery = Static<typeof ImportQuerySchema>;
/** The media types an OVA upload may come as. */
export const OVA_MEDIA_TYPES = ["application/x-tar", "application/ova", "application/octet-stream"] as const;
export const ImportBody = { content: {
  "application/json": { schema: ImportFromDatastoreSchema },
  "application/x-tar": { schema: Type.String({ format: "binary", description: "an OVA; ?name=, ?datastore= and ?start= apply" }) },
  "application/octet-stream": { schema: Type.String({ format: "binary", description: "an OVA, as application/x-tar" }) },
} };
export const OvaAnswer = mediaAnswer("the VM as an OVA (descriptor, SHA-256 manifest, stream-optimized VMDKs)", { "application/x-tar": { schema: BinarySchema } });
