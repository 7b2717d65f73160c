// Login and logout, who am I, users, roles, per-VM grants, API tokens, console tickets and the audit log.
import type { FastifyRequest } from "fastify";
import {
  VmctlError, VmNameParamsSchema, CredentialsSchema, LoginAnswerSchema, OkSchema, MeSchema, UserParamsSchema, UserListSchema, UserSchema,
  UserCreateRequestSchema, UserChangeRequestSchema, GrantParamsSchema, GrantRequestSchema, RoleListSchema, RoleRequestSchema, TokenListSchema,
  TokenCreateRequestSchema, TokenCreatedSchema, TokenParamsSchema, TokenSchema, TicketRequestSchema, TicketSchema, AuditQuerySchema, AuditListSchema,
  type Me, type TicketRequest,
} from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import type { Host } from "../host.js";
import { SESSION_TTL_MS } from "../security/auth-store.js";
import { listPrivileges, can, gainedOver, type Principal } from "../security/principal.js";
import { TICKET_RIGHTS } from "../security/console-tickets.js";
import { sha256 } from "../security/passwords.js";
import { refuseGain, rightsOfRole, rightsOfUser, knownPrivileges } from "../security/delegation.js";
import { SESSION_COOKIE, cookie, sourceOf } from "./auth-hooks.js";
import { responses } from "./openapi.js";

function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new VmctlError("unauthenticated", "log in first");
  return request.principal;
}

function describe(principal: Principal): Me {
  return { user: principal.user, name: principal.name, kind: principal.kind, role: principal.role, privileges: listPrivileges(principal) };
}

export function registerAuthRoutes(app: ApiApp, host: Host): void {
  app.post("/api/v1/login", { schema: { body: CredentialsSchema, summary: "Log in: a session cookie (HttpOnly, Secure, SameSite=Strict) and the CSRF token for changes", response: responses({ 200: LoginAnswerSchema }, 401, 429) } }, async (request, reply) => {
    const { username, password } = request.body;
    const source = sourceOf(request);
    request.auditUser = username;
    // Counted before the (slow) check, so a parallel burst gets no more checks than the lock-out
    // allows, and bounded per address, so a spray of names from one cannot fill the scrypt queue.
    const { result: user, lockMs } = await host.loginGuard.check(username, source, () => host.auth.checkLogin(username, password));
    if (!user) {
      host.log.warn({ user: username, source, lockedForMs: lockMs }, "failed login");
      throw new VmctlError("unauthenticated", "wrong user name or password, or the account is disabled");
    }
    const session = host.auth.createSession(user.name);
    const principal = host.auth.principalForSession(sha256(session.id))!;
    void reply.header("Set-Cookie", `${SESSION_COOKIE}=${session.id}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`);
    return { ...describe(principal), csrfToken: session.csrf, expiresAt: session.expiresAt };
  });

  app.post("/api/v1/logout", { schema: { summary: "End this session", response: responses({ 200: OkSchema }, 401) } }, async (request, reply) => {
    const id = cookie(request, SESSION_COOKIE);
    if (id) host.auth.endSession(id);
    void reply.header("Set-Cookie", `${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0`);
    return { ok: true };
  });

  app.get("/api/v1/me", { schema: { summary: "Who is logged in and which privileges they hold, so a UI can hide what they may not do", response: responses({ 200: MeSchema }, 401) } }, async (request) => describe(principalOf(request)));

  app.get("/api/v1/users", { schema: { summary: "Users with their role and per-VM grants", response: responses({ 200: UserListSchema }, 401, 403) } }, async () => ({ users: host.auth.users() }));

  app.post("/api/v1/users", {
    schema: { summary: "Create a user", body: UserCreateRequestSchema, response: responses({ 201: UserSchema }, 401, 403, 409) },
  }, async (request, reply) => {
    const { username, password, role } = request.body;
    refuseGain(principalOf(request), rightsOfRole(host.auth, role), `create a user with the role "${role}"`);
    return reply.status(201).send(await host.auth.createUser(username, password, role));
  });

  app.patch("/api/v1/users/:user", {
    schema: {
      summary: "Change a password (your own, with currentPassword; or any as an admin), a role, or disable a user", params: UserParamsSchema,
      body: UserChangeRequestSchema,
      response: responses({ 200: UserSchema }, 401, 403, 404, 429),
    },
  }, async (request) => {
    const principal = principalOf(request);
    const { user } = request.params;
    const { currentPassword, ...change } = request.body;
    const self = principal.user === user && principal.kind !== "root";
    if (!can(principal, "user.admin") && !(self && change.role === undefined && change.disabled === undefined)) {
      throw new VmctlError("forbidden", `changing ${self ? "your own role or status" : `user "${user}"`} needs the privilege "user.admin"`, { privilege: "user.admin" });
    }
    // Taking over or changing an account that holds more than you would hand you (or others) its rights.
    if (!self) refuseGain(principal, rightsOfUser(host.auth, host.auth.user(user)), `change user "${user}", who holds more`);
    if (change.role !== undefined) refuseGain(principal, rightsOfRole(host.auth, change.role), `give the role "${change.role}"`);
    // Whoever holds a session or token of yours must not be able to take the account: your own
    // password changes only with the current one, checked and counted like a login.
    if (change.password !== undefined && self) {
      if (currentPassword === undefined) throw new VmctlError("forbidden", "changing your own password needs currentPassword, your password now", { field: "currentPassword" });
      const source = sourceOf(request);
      if (!(await host.loginGuard.check(user, source, () => host.auth.checkLogin(user, currentPassword))).result) {
        host.log.warn({ user, source }, "wrong current password on a password change");
        throw new VmctlError("forbidden", "currentPassword is not your password now; nothing changed", { field: "currentPassword" });
      }
    }
    return host.auth.updateUser(user, change);
  });

  app.put("/api/v1/users/:user/grants/:vm", {
    schema: { summary: "Grant a role on one VM", params: GrantParamsSchema, body: GrantRequestSchema, response: responses({ 200: UserSchema }, 401, 403, 404) },
  }, async (request) => {
    const { user, vm } = request.params;
    const { role } = request.body;
    refuseGain(principalOf(request), rightsOfRole(host.auth, role, vm), `grant the role "${role}" on VM "${vm}"`);
    return host.auth.grant(user, vm, role);
  });
  app.delete("/api/v1/users/:user/grants/:vm", {
    schema: { summary: "Remove a grant", params: GrantParamsSchema, response: responses({ 200: UserSchema }, 401, 403, 404) },
  }, async (request) => host.auth.grant(request.params.user, request.params.vm, null));

  app.get("/api/v1/roles", { schema: { summary: "Built-in and custom roles with their privileges", response: responses({ 200: RoleListSchema }, 401) } }, async () => ({ roles: host.auth.roles() }));
  app.post("/api/v1/roles", {
    schema: { summary: "Define or change a custom role", body: RoleRequestSchema, response: responses({ 200: RoleListSchema }, 401, 403) },
  }, async (request) => {
    const { name, privileges } = request.body;
    // A role's privileges reach everyone who holds it: only what the caller holds may go in.
    refuseGain(principalOf(request), { host: knownPrivileges(privileges) }, `define the role "${name}"`);
    host.auth.defineRole(name, privileges);
    return { roles: host.auth.roles() };
  });

  app.get("/api/v1/tokens", { schema: { summary: "API tokens: yours, or everyone's for an admin", response: responses({ 200: TokenListSchema }, 401, 403) } }, async (request) => {
    const principal = principalOf(request);
    return { tokens: host.auth.tokens(can(principal, "user.admin") ? undefined : principal.user) };
  });

  app.post("/api/v1/tokens", {
    schema: {
      summary: "Create an API token; the secret is answered once, as token, and stored only hashed",
      body: TokenCreateRequestSchema,
      response: responses({ 201: TokenCreatedSchema }, 401, 403),
    },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const body = request.body;
    const owner = body.user ?? (principal.kind === "root" ? "admin" : principal.user);
    if (owner !== principal.user && !can(principal, "user.admin")) throw new VmctlError("forbidden", "a token for another user needs the privilege \"user.admin\"", { privilege: "user.admin" });
    host.auth.user(owner);
    // A credential never hands out more than it holds: the new token's rights, host and per VM,
    // must be within the caller's own (a ReadOnly token cannot make an Admin one).
    const candidate = host.auth.principalFor(owner, { kind: "token", tokenId: "(new)" }, body.role);
    // A disabled user has no rights to weigh now, but would have them back when enabled: no token.
    if (!candidate) throw new VmctlError("forbidden", `user "${owner}" is disabled: enable it before making it a token`, { user: owner });
    const gained = gainedOver(candidate, principal);
    if (gained.length) {
      throw new VmctlError("forbidden", `${principal.name} cannot make a token with more rights than it holds: role "${body.role}" for ${owner} would gain ${gained.join(", ")}`, { privileges: gained });
    }
    // A token made by a token stays capped by it, and dies with it.
    const parent = principal.via.kind === "token" ? principal.via.tokenId : null;
    const { token, info } = host.auth.createToken(owner, body.name, body.role, body.expires, parent);
    return reply.status(201).send({ token, ...info });
  });

  app.delete("/api/v1/tokens/:id", { schema: { summary: "Revoke a token: it stops working at once", params: TokenParamsSchema, response: responses({ 200: TokenSchema }, 401, 403, 404) } }, async (request) => {
    const principal = principalOf(request);
    const { id } = request.params;
    if (host.auth.token(id).user !== principal.user && !can(principal, "user.admin")) throw new VmctlError("forbidden", "revoking another user's token needs the privilege \"user.admin\"", { privilege: "user.admin" });
    return host.auth.revokeToken(id);
  });

  app.post("/api/v1/vms/:name/console", {
    schema: { summary: "A single-use ticket (30 s) for this VM's console or monitor WebSocket: ?ticket=…", params: VmNameParamsSchema, body: TicketRequestSchema, response: responses({ 200: TicketSchema }, 401, 403, 404) },
  }, async (request) => {
    const principal = principalOf(request);
    const { name } = request.params;
    host.inventory.get(name);
    if (principal.kind === "root") throw new VmctlError("bad_request", "the unix socket needs no ticket: connect to the WebSocket directly");
    // The body is optional: a request without one asks for a console ticket.
    const body: TicketRequest = request.body;
    const purpose = body?.purpose ?? "console";
    const { needs } = TICKET_RIGHTS[purpose];
    if (!can(principal, needs, name)) throw new VmctlError("forbidden", `a ${purpose} ticket needs the privilege "${needs}" on VM "${name}"`, { privilege: needs, vm: name });
    // The ticket carries its minter's credential and is worth only what it still holds, cut to the purpose.
    const { ticket, expiresAt } = host.tickets.issue(principal, name, purpose);
    return { ticket, expiresAt, url: `/ws/vms/${name}${purpose === "monitor" ? "" : `/${purpose}`}?ticket=${ticket}` };
  });

  app.get("/api/v1/audit", {
    schema: { summary: "The audit log, newest first", querystring: AuditQuerySchema, response: responses({ 200: AuditListSchema }, 401, 403) },
  }, async (request) => ({ entries: host.audit.list(request.query) }));
}
