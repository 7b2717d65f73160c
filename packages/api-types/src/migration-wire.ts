// Wire types of a host's migration routes (/api/v1/migrations/..., /api/v1/vms/{name}/migrate-out): vmcenter drives them.
// Live: the target prepares an incoming QEMU (POST /migrations/incoming), the source streams to its uri
// (POST /vms/{name}/migrate-out, a task). Cold on copied storage: the target registers the copied VM.
import { Type, type Static } from "@sinclair/typebox";
import { NAME_PATTERN, UUID_PATTERN } from "./definition-schema.js";
import { literalUnion } from "./literal-union.js";

/** A migration stream's uri: QEMU's "tcp:HOST:PORT" (IPv4 or a host name; no other transports). */
export const MIGRATION_URI_PATTERN = "^tcp:[A-Za-z0-9.-]{1,253}:[0-9]{1,5}$";

/** POST /api/v1/migrations/incoming: the VM's folder is on a shared datastore, visible here, owned by the source. */
export const IncomingMigrationRequestSchema = Type.Object({
  name: Type.String({ pattern: NAME_PATTERN, description: "the VM's name (unused by any VM of this host)" }),
  uuid: Type.String({ pattern: UUID_PATTERN, description: "the VM's uuid, as its definition on the shared datastore has it" }),
  datastore: Type.String({ maxLength: 64, description: "the shared datastore holding the VM's folder (same name on both hosts)" }),
  startedAt: Type.Optional(Type.String({ format: "date-time", maxLength: 40, description: "when the VM started on the source: its uptime carries on here (the guest never restarted)" })),
}, { additionalProperties: Type.Never() });
export type IncomingMigrationRequest = Static<typeof IncomingMigrationRequestSchema>;

/** 201: where the source should stream to (POST /api/v1/vms/{name}/migrate-out {"uri"}). */
export const IncomingMigrationAnswerSchema = Type.Object({
  id: Type.String({ description: "the incoming migration's id, for GET/DELETE /api/v1/migrations/{id}" }),
  uri: Type.String({ description: '"tcp:<address>:<port>" the target QEMU listens on' }),
});
export type IncomingMigrationAnswer = Static<typeof IncomingMigrationAnswerSchema>;

export const MIGRATION_STATES = ["waiting", "running", "completed", "failed", "cancelled"] as const;
export type MigrationState = (typeof MIGRATION_STATES)[number];

/** GET /api/v1/migrations/{id}: an incoming migration as the target sees it. */
export const MigrationStatusSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  state: literalUnion(MIGRATION_STATES),
  error: Type.Optional(Type.String({ description: "why it failed or was cancelled" })),
});
export type MigrationStatus = Static<typeof MigrationStatusSchema>;

export const MigrationParamsSchema = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** POST /api/v1/vms/{name}/migrate-out → 202 task (result: MigrationResult). */
export const MigrateOutRequestSchema = Type.Object({
  uri: Type.String({ pattern: MIGRATION_URI_PATTERN, maxLength: 270, description: "the uri the target's incoming migration answered" }),
  targetHost: Type.String({ minLength: 1, maxLength: 128, description: "the target host's id: written as the VM's owner once the stream completes" }),
  maxBandwidth: Type.Optional(Type.Integer({ minimum: 1, description: "bytes per second the stream may use (default: unlimited)" })),
  downtimeLimitMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, description: "the longest pause QEMU aims for at switch-over (default 300)" })),
}, { additionalProperties: Type.Never() });
export type MigrateOutRequest = Static<typeof MigrateOutRequestSchema>;

/** The migrate-out task's result. */
export const MigrationResultSchema = Type.Object({
  downtimeMs: Type.Number({ description: "how long the guest was paused at switch-over" }),
  bytes: Type.Number({ description: "bytes of RAM sent" }),
  totalMs: Type.Number({ description: "from the start of the stream to its completion" }),
});
export type MigrationResult = Static<typeof MigrationResultSchema>;

/** POST /api/v1/migrations/register (cold migration, copied storage) → 201 VmDetail. */
export const RegisterMigrationRequestSchema = Type.Object({
  definition: Type.String({ maxLength: 262_144, description: "the VM's definition in TOML, with its uuid (kept)" }),
  datastore: Type.String({ maxLength: 64, description: "the datastore whose folder <name>/ already holds the copied disk files" }),
  sourceHost: Type.Optional(Type.String({ maxLength: 128, description: "the host the VM comes from (named in the vm.migrated event)" })),
}, { additionalProperties: Type.Never() });
export type RegisterMigrationRequest = Static<typeof RegisterMigrationRequestSchema>;

/** The `vm.migrated` event's details, on both hosts. */
export const VmMigratedDetailsSchema = Type.Object({
  direction: literalUnion(["in", "out"] as const),
  peerHost: Type.String({ description: "the other host's id (out) or the stream's source address (in)" }),
  downtimeMs: Type.Optional(Type.Number()),
  bytes: Type.Optional(Type.Number()),
  totalMs: Type.Optional(Type.Number()),
});
export type VmMigratedDetails = Static<typeof VmMigratedDetailsSchema>;
