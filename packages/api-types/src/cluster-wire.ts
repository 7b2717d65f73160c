// Wire types of vmcenter's cluster API (/api/v1/cluster/...): hosts, cluster VMs, placement, migration, rules.
import { Type, type Static } from "@sinclair/typebox";
import { NAME_PATTERN } from "./definition-schema.js";
import { literalUnion } from "./literal-union.js";
import { TaskSchema, VmSummarySchema } from "./wire.js";

/** GET /api/v1/cluster: a plain host answers 404 here, which is how clients detect cluster mode. */
export const ClusterInfoSchema = Type.Object({
  clusterId: Type.String(),
  leader: Type.Union([Type.String(), Type.Null()], { description: "the leading replica's URL; null while none leads" }),
  replica: Type.String({ description: "the id of the replica that answered" }),
  replicas: Type.Array(Type.String()),
  version: Type.String(),
}, { $id: "ClusterInfo" });
export type ClusterInfo = Static<typeof ClusterInfoSchema>;

export const CLUSTER_HOST_STATES = ["connected", "disconnected", "dead"] as const;
export type ClusterHostState = (typeof CLUSTER_HOST_STATES)[number];

export const ClusterDatastoreSchema = Type.Object({
  name: Type.String(),
  shared: Type.Boolean({ description: "every host mounts it under this name (a VM on it can move without copying and be restarted by HA)" }),
  freeBytes: Type.Integer(),
});
export type ClusterDatastore = Static<typeof ClusterDatastoreSchema>;

/** One host of GET /api/v1/cluster/hosts: its join record and, while connected, its live resources (zeros and nulls when not). */
export const ClusterHostSchema = Type.Object({
  id: Type.String({ description: "the host's own id (GET /api/v1/host on it): the prefix of its task ids" }),
  name: Type.String(),
  url: Type.String({ description: "the host's own HTTPS API" }),
  state: literalUnion(CLUSTER_HOST_STATES, { description: "connected: its agent heartbeats; disconnected: its lease expired (HA waits for the grace period); dead: declared dead, its HA VMs restarted elsewhere" }),
  maintenance: Type.Boolean(),
  schedulable: Type.Boolean({ description: "false: placement never chooses it (maintenance sets it false)" }),
  cpus: Type.Integer(),
  memoryBytes: Type.Integer(),
  freeMemoryBytes: Type.Integer({ description: "memory not promised to its running VMs" }),
  allocatedMemoryBytes: Type.Integer({ description: "the memory of its running VMs added up" }),
  vms: Type.Integer(),
  runningVms: Type.Integer(),
  load: Type.Number({ description: "1-minute load average" }),
  tags: Type.Array(Type.String()),
  qemuVersion: Type.Union([Type.String(), Type.Null()]),
  cpuModel: Type.Union([Type.String(), Type.Null()]),
  datastores: Type.Array(ClusterDatastoreSchema),
  networks: Type.Array(Type.String()),
  joinedAt: Type.String(),
  heartbeatAt: Type.Union([Type.String(), Type.Null()]),
  deadSince: Type.Union([Type.String(), Type.Null()]),
});
export type ClusterHost = Static<typeof ClusterHostSchema>;
export const ClusterHostListSchema = Type.Array(ClusterHostSchema);

export const HOST_TAG_PATTERN = "^[a-z0-9][a-z0-9_.-]{0,62}$";
/** PATCH /api/v1/cluster/hosts/{id} */
export const ClusterHostPatchSchema = Type.Object({
  tags: Type.Optional(Type.Array(Type.String({ pattern: HOST_TAG_PATTERN, description: "lower case letters, digits, '-', '_' and '.'" }), { maxItems: 64, uniqueItems: true })),
  schedulable: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type ClusterHostPatch = Static<typeof ClusterHostPatchSchema>;

export const ClusterHostParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

/** A VM of GET /api/v1/cluster/vms: the host API's VmSummary plus where it runs. */
export const ClusterVmSchema = Type.Intersect([VmSummarySchema, Type.Object({
  host: Type.String({ description: "the owning host's id" }),
  hostName: Type.String(),
  hostState: Type.Optional(literalUnion(CLUSTER_HOST_STATES, { description: "the owning host's state; a VM listed on a dead host that is not HA stays there until the host comes back" })),
  ha: Type.Optional(Type.Boolean({ description: "[policy] ha = true: restarted elsewhere when its host dies (shared datastore only)" })),
  desiredPower: Type.Optional(Type.Union([Type.Literal("running"), Type.Literal("stopped"), Type.Null()], { description: "the power vmcenter keeps the VM in (an HA restart brings back a VM desired running); null leaves it to its host. A stop or start made on the host, or a guest shutting down, is written back here" })),
  desiredReason: Type.Optional(Type.String({ description: "why vmcenter's record of the VM was last written" })),
})]);
export type ClusterVm = Static<typeof ClusterVmSchema>;
export const ClusterVmListSchema = Type.Array(ClusterVmSchema);

/** The result of a cluster.create task (POST /api/v1/cluster/vms or POST /api/v1/vms at vmcenter). */
export const ClusterCreateResultSchema = Type.Object({
  host: Type.String({ description: "the chosen host's id" }),
  hostName: Type.String(),
  reasons: Type.Array(Type.String(), { description: "one line per host: why it was chosen or not" }),
  vm: Type.Optional(Type.String()),
  uuid: Type.Optional(Type.String()),
});
export type ClusterCreateResult = Static<typeof ClusterCreateResultSchema>;

export const ClusterCreateQuerySchema = Type.Object({ datastore: Type.Optional(Type.String({ pattern: NAME_PATTERN })) });

/** One host's verdict in a placement. */
export const PlacementHostSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  eligible: Type.Boolean(),
  score: Type.Number({ description: "free memory after placing the VM, in bytes (higher is better); 0 when not eligible" }),
  reasons: Type.Array(Type.String()),
});
export type PlacementHost = Static<typeof PlacementHostSchema>;

/** GET /api/v1/cluster/vms/{name}/placement: where the VM would go now, and why. */
export const PlacementAnswerSchema = Type.Object({
  vm: Type.String(),
  current: Type.Union([Type.String(), Type.Null()], { description: "the host it is on (its id); null for a VM not yet placed" }),
  chosen: Type.Union([Type.String(), Type.Null()], { description: "the host placement would choose (never the current one); null when none qualifies" }),
  hosts: Type.Array(PlacementHostSchema),
});
export type PlacementAnswer = Static<typeof PlacementAnswerSchema>;

/** POST /api/v1/cluster/vms/{name}/migrate */
export const ClusterMigrateRequestSchema = Type.Object({
  host: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "the target host (id or name); placement chooses when absent" })),
  live: Type.Optional(Type.Boolean({ description: "default: true when the VM runs. false on a running VM stops it, moves it and starts it on the target" })),
}, { additionalProperties: false });
export type ClusterMigrateRequest = Static<typeof ClusterMigrateRequestSchema>;

/** The result of a cluster.migrate task. */
export const ClusterMigrateResultSchema = Type.Object({
  from: Type.String({ description: "the source host's id" }),
  to: Type.String({ description: "the target host's id" }),
  live: Type.Boolean(),
  downtimeMs: Type.Integer({ description: "live: the guest's pause at the switch-over (QEMU's downtime); cold: from stop to start (0 when it was not running)" }),
  bytes: Type.Integer({ description: "bytes sent: RAM for a live migration, disk files for a copied cold one" }),
  totalMs: Type.Integer(),
});
export type ClusterMigrateResult = Static<typeof ClusterMigrateResultSchema>;

/** POST /api/v1/cluster/hosts/{id}/maintenance */
export const MaintenanceRequestSchema = Type.Object({
  enabled: Type.Boolean({ description: "true: mark the host unschedulable and move its VMs away; false: back in service" }),
}, { additionalProperties: false });
export type MaintenanceRequest = Static<typeof MaintenanceRequestSchema>;

export const MaintenanceResultSchema = Type.Object({
  host: Type.String(),
  maintenance: Type.Boolean(),
  moved: Type.Array(Type.Object({ vm: Type.String(), to: Type.String(), live: Type.Boolean() })),
  left: Type.Array(Type.Object({ vm: Type.String(), reason: Type.String() }), { description: "VMs that stayed on the host and why (a stopped VM on local storage, …)" }),
});
export type MaintenanceResult = Static<typeof MaintenanceResultSchema>;

export const RULE_TYPES = ["affinity", "anti-affinity"] as const;
export type RuleType = (typeof RULE_TYPES)[number];

/** A placement rule: affinity keeps its VMs on one host, anti-affinity on different hosts. */
export const ClusterRuleSchema = Type.Object({
  name: Type.String({ pattern: NAME_PATTERN, description: "lower case letters, digits, '-', '_' and '.'" }),
  type: literalUnion(RULE_TYPES),
  vms: Type.Array(Type.String({ pattern: NAME_PATTERN }), { minItems: 2, maxItems: 256, uniqueItems: true, description: "VM names (they need not exist yet)" }),
}, { additionalProperties: false });
export type ClusterRule = Static<typeof ClusterRuleSchema>;
export const ClusterRuleListSchema = Type.Array(ClusterRuleSchema);
export const ClusterRuleParamsSchema = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }) });

/** A cluster task: the host task shape, plus its result and the host tasks it started. */
export const ClusterTaskSchema = Type.Intersect([TaskSchema, Type.Object({
  result: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  children: Type.Optional(Type.Array(Type.String(), { description: 'host tasks it started: "<host id>:<uuid>"' })),
})]);
export type ClusterTask = Static<typeof ClusterTaskSchema>;
