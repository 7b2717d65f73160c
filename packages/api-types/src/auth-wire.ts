// Wire types of users, roles, per-VM grants, API tokens, console tickets and the audit log: what
// vmctld answers (security/auth-store.ts, audit-log.ts), the CLI prints and the Host Client shows.
import { Type, type Static } from "@sinclair/typebox";
import { NAME_PATTERN } from "./definition-schema.js";
import { literalUnion } from "./literal-union.js";

/** Every privilege a route can need (the daemon's security/route-privileges.ts names one per route). */
export const PRIVILEGES = [
  "host.read", "vm.read", "vm.create", "vm.edit", "vm.delete", "vm.power", "vm.console.view", "vm.console.input",
  "vm.snapshot", "task.read", "task.cancel", "event.read", "user.admin", "audit.read", "token.own",
  "datastore.read", "datastore.write", "network.write", "vm.migrate",
] as const;
export type Privilege = (typeof PRIVILEGES)[number];
export const PrivilegeSchema = literalUnion(PRIVILEGES);

export const PRINCIPAL_KINDS = ["root", "session", "token", "ticket"] as const;
export const TICKET_PURPOSES = ["console", "vnc", "monitor"] as const;
export type TicketPurpose = (typeof TICKET_PURPOSES)[number];

export const UserSchema = Type.Object({
  name: Type.String(),
  role: Type.String(),
  disabled: Type.Boolean(),
  createdAt: Type.String(),
  grants: Type.Record(Type.String(), Type.String(), { description: "VM name → the role granted on it" }),
});
export type User = Static<typeof UserSchema>;
export const UserListSchema = Type.Object({ users: Type.Array(UserSchema) });

export const RoleSchema = Type.Object({ name: Type.String(), builtin: Type.Boolean(), privileges: Type.Array(PrivilegeSchema) });
export type Role = Static<typeof RoleSchema>;
export const RoleListSchema = Type.Object({ roles: Type.Array(RoleSchema) });

export const TokenSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  user: Type.String(),
  role: Type.String(),
  parent: Type.Union([Type.String(), Type.Null()], { description: "the token that made this one: it caps this one, which dies with it" }),
  createdAt: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revoked: Type.Boolean(),
});
export type Token = Static<typeof TokenSchema>;
export const TokenListSchema = Type.Object({ tokens: Type.Array(TokenSchema) });
export const TokenCreatedSchema = Type.Intersect([Type.Object({ token: Type.String({ description: "the secret, answered only now: send it as Authorization: Bearer <token>" }) }), TokenSchema]);
export type CreatedToken = Static<typeof TokenCreatedSchema>;

export const AuditEntrySchema = Type.Object({
  id: Type.Integer(),
  time: Type.String(),
  user: Type.String(),
  source: Type.String({ description: "\"unix socket\" or the client's address" }),
  action: Type.String({ description: "METHOD /route, or what a WebSocket refused" }),
  target: Type.Union([Type.String(), Type.Null()]),
  result: Type.String({ description: "ok, refused or aborted" }),
  status: Type.Integer(),
});
export type AuditEntry = Static<typeof AuditEntrySchema>;
export const AuditListSchema = Type.Object({ entries: Type.Array(AuditEntrySchema) });
export const AuditQuerySchema = Type.Object({
  user: Type.Optional(Type.String()),
  target: Type.Optional(Type.String()),
  since: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
}, { additionalProperties: false });
export type AuditQuery = Static<typeof AuditQuerySchema>;

export const PrivilegeSetSchema = Type.Object({
  host: Type.Array(PrivilegeSchema),
  vms: Type.Record(Type.String(), Type.Array(PrivilegeSchema), { description: "VM name → privileges held on it by grants" }),
});
export const MeSchema = Type.Object({
  user: Type.String(),
  name: Type.String(),
  kind: literalUnion(PRINCIPAL_KINDS),
  role: Type.String(),
  privileges: PrivilegeSetSchema,
});
export type Me = Static<typeof MeSchema>;

export const CredentialsSchema = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
}, { additionalProperties: false });
export type Credentials = Static<typeof CredentialsSchema>;
export const LoginAnswerSchema = Type.Intersect([MeSchema, Type.Object({ csrfToken: Type.String({ description: "send as X-CSRF-Token on every change" }), expiresAt: Type.String() })]);
export type LoginAnswer = Static<typeof LoginAnswerSchema>;
export const OkSchema = Type.Object({ ok: Type.Boolean() });

export const UserParamsSchema = Type.Object({ user: Type.String({ maxLength: 64 }) });
export const UserCreateRequestSchema = Type.Object({ username: Type.String(), password: Type.String(), role: Type.String() }, { additionalProperties: false });
export type UserCreateRequest = Static<typeof UserCreateRequestSchema>;
export const UserChangeRequestSchema = Type.Object({
  password: Type.Optional(Type.String()),
  currentPassword: Type.Optional(Type.String({ maxLength: 1024, description: "your password now: needed to change your own" })),
  role: Type.Optional(Type.String()),
  disabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type UserChange = Static<typeof UserChangeRequestSchema>;
export const GrantParamsSchema = Type.Object({ user: Type.String(), vm: Type.String({ pattern: NAME_PATTERN }) });
export const GrantRequestSchema = Type.Object({ role: Type.String() }, { additionalProperties: false });
export type GrantRequest = Static<typeof GrantRequestSchema>;
export const RoleRequestSchema = Type.Object({ name: Type.String(), privileges: Type.Array(Type.String()) }, { additionalProperties: false });
export type RoleRequest = Static<typeof RoleRequestSchema>;

export const TokenCreateRequestSchema = Type.Object({
  name: Type.String(),
  role: Type.String(),
  expires: Type.Union([Type.Null(), Type.String({ format: "date-time" })], { description: "ISO 8601 expiry, or null for none" }),
  user: Type.Optional(Type.String()),
}, { additionalProperties: false });
export type TokenRequest = Static<typeof TokenCreateRequestSchema>;
export const TokenParamsSchema = Type.Object({ id: Type.String({ maxLength: 16 }) });

export const TicketRequestSchema = Type.Optional(Type.Object({ purpose: Type.Optional(literalUnion(TICKET_PURPOSES)) }, { additionalProperties: false }));
/** The body may be left out: a console ticket. */
export type TicketRequest = Static<typeof TicketRequestSchema> | undefined;
export const TicketSchema = Type.Object({
  ticket: Type.String(),
  expiresAt: Type.String(),
  url: Type.String({ description: "the WebSocket to open with it, ?ticket= included" }),
});
export type SocketTicket = Static<typeof TicketSchema>;
