// Login and logout, who am I, users (Admin) and API tokens at vmcenter: the wire shapes of vmctld's
// own routes (api-types auth-wire.ts), with the cluster's three roles and no per-VM grants.
import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import {
  VmctlError, CredentialsSchema, LoginAnswerSchema, OkSchema, MeSchema, UserParamsSchema, UserListSchema, UserSchema, UserCreateRequestSchema,
  UserChangeRequestSchema, TokenListSchema, TokenCreateRequestSchema, TokenCreatedSchema, TokenParamsSchema, TokenSchema, PRIVILEGES, type Me, type Privilege,
} from "@vmctl/api-types";
import type { ClusterRole } from "../cluster-token.js";
import { AuthStore, SESSION_TTL_SECONDS, checkRole, roleRank, tokenView, userView, type CenterPrincipal } from "./auth-store.js";
import { LoginGuard } from "./login-guard.js";
import { SESSION_COOKIE, cookie, principalOf, sourceOf } from "./role-hook.js";
import { responses } from "./openapi.js";

/** The host's built-in roles' privileges, so the Host Client hides the same things at vmcenter. */
const OPERATOR: Privilege[] = ["host.read", "vm.read", "vm.power", "vm.snapshot", "vm.console.view", "vm.console.input", "task.read", "task.cancel", "event.read", "token.own", "datastore.read"];
const READ_ONLY: Privilege[] = ["host.read", "vm.read", "vm.console.view", "task.read", "event.read", "token.own", "datastore.read"];
export function privilegesOf(role: ClusterRole): Privilege[] {
  return [...(role === "Admin" ? PRIVILEGES : role === "Operator" ? OPERATOR : READ_ONLY)].sort();
}

function describe(principal: CenterPrincipal): Me {
  return { user: principal.user, name: principal.name, kind: principal.kind, role: principal.role, privileges: { host: privilegesOf(principal.role), vms: {} } };
}

export function registerAuthRoutes(root: FastifyInstance, auth: AuthStore): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const guard = new LoginGuard();
  const cookieHeader = (value: string, maxAge: number) => `${SESSION_COOKIE}=${value}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=${maxAge}`;

  app.post("/api/v1/login", { config: { role: "public" }, schema: { body: CredentialsSchema, summary: "Log in: a session cookie (HttpOnly, Secure, SameSite=Strict) and the CSRF token for changes", response: responses({ 200: LoginAnswerSchema }, 401, 429) } }, async (request, reply) => {
    const { username, password } = request.body;
    const source = sourceOf(request);
    const user = await guard.check(username, source, () => auth.checkLogin(username, password));
    if (!user) {
      request.log.warn({ user: username, source }, "failed login");
      throw new VmctlError("unauthenticated", "wrong user name or password, or the account is disabled");
    }
    const session = await auth.createSession(user.name);
    void reply.header("Set-Cookie", cookieHeader(session.id, SESSION_TTL_SECONDS));
    const principal: CenterPrincipal = { user: user.name, name: user.name, role: user.role, kind: "session", csrf: session.csrf };
    return { ...describe(principal), csrfToken: session.csrf, expiresAt: session.expiresAt };
  });

  app.post("/api/v1/logout", { config: { role: "authenticated" }, schema: { summary: "End this session", response: responses({ 200: OkSchema }, 401) } }, async (request, reply) => {
    const id = cookie(request, SESSION_COOKIE);
    if (id) await auth.endSession(id);
    void reply.header("Set-Cookie", cookieHeader("", 0));
    return { ok: true };
  });

  app.get("/api/v1/me", { config: { role: "authenticated" }, schema: { summary: "Who is logged in, with the privileges of their role", response: responses({ 200: MeSchema }, 401) } }, async (request) => describe(principalOf(request)));

  app.get("/api/v1/users", { config: { role: "Admin" }, schema: { summary: "vmcenter's users with their role", response: responses({ 200: UserListSchema }, 401, 403) } }, async () => ({ users: (await auth.users()).map(userView) }));

  app.post("/api/v1/users", { config: { role: "Admin" }, schema: { summary: "Create a vmcenter user (role Admin, Operator or ReadOnly)", body: UserCreateRequestSchema, response: responses({ 201: UserSchema }, 401, 403, 409) } }, async (request, reply) => {
    const { username, password, role } = request.body;
    return reply.status(201).send(userView(await auth.createUser(username, password, checkRole(role))));
  });

  app.patch("/api/v1/users/:user", {
    config: { role: "authenticated" },
    schema: { summary: "Change a password (your own, with currentPassword; any as an Admin), a role, or disable a user", params: UserParamsSchema, body: UserChangeRequestSchema, response: responses({ 200: UserSchema }, 401, 403, 404, 429) },
  }, async (request) => {
    const principal = principalOf(request);
    const { user } = request.params;
    const { currentPassword, ...change } = request.body;
    const self = principal.user === user;
    const admin = principal.role === "Admin";
    if (!admin && !(self && change.role === undefined && change.disabled === undefined)) throw new VmctlError("forbidden", `changing ${self ? "your own role or status" : `user "${user}"`} needs the role Admin`, { role: "Admin" });
    if (change.password !== undefined && self) {
      if (currentPassword === undefined) throw new VmctlError("forbidden", "changing your own password needs currentPassword, your password now", { field: "currentPassword" });
      if (!(await guard.check(user, sourceOf(request), () => auth.checkLogin(user, currentPassword)))) throw new VmctlError("forbidden", "currentPassword is not your password now; nothing changed", { field: "currentPassword" });
    }
    const role = change.role === undefined ? undefined : checkRole(change.role);
    return userView(await auth.updateUser(user, { password: change.password, role, disabled: change.disabled }));
  });

  app.delete("/api/v1/users/:user", { config: { role: "Admin" }, schema: { summary: "Delete a vmcenter user and its API tokens", params: UserParamsSchema, response: responses({ 200: UserSchema }, 401, 403, 404) } }, async (request) => {
    return userView(await auth.deleteUser(request.params.user));
  });

  app.get("/api/v1/tokens", { config: { role: "authenticated" }, schema: { summary: "API tokens: yours, or everyone's for an Admin", response: responses({ 200: TokenListSchema }, 401) } }, async (request) => {
    const principal = principalOf(request);
    return { tokens: (await auth.tokens(principal.role === "Admin" ? undefined : principal.user)).map((token) => tokenView(token)) };
  });

  app.post("/api/v1/tokens", {
    config: { role: "authenticated" },
    schema: { summary: "Create an API token (vmcenter_…); the secret is answered once and stored only hashed", body: TokenCreateRequestSchema, response: responses({ 201: TokenCreatedSchema }, 401, 403) },
  }, async (request, reply) => {
    const principal = principalOf(request);
    const body = request.body;
    const ownerName = body.user ?? principal.user;
    if (ownerName !== principal.user && principal.role !== "Admin") throw new VmctlError("forbidden", "a token for another user needs the role Admin", { role: "Admin" });
    const owner = await auth.user(ownerName);
    if (owner.disabled) throw new VmctlError("forbidden", `user "${ownerName}" is disabled: enable it before making it a token`, { user: ownerName });
    const role = checkRole(body.role);
    // A credential never hands out more than it holds, nor more than the token's user holds.
    if (roleRank(role) > roleRank(principal.role)) throw new VmctlError("forbidden", `${principal.name} (role ${principal.role}) cannot make a token with the role ${role}`, { role });
    if (roleRank(role) > roleRank(owner.role)) throw new VmctlError("forbidden", `user "${ownerName}" has the role ${owner.role}: a token of theirs cannot have the role ${role}`, { role });
    const { token, record } = await auth.createToken(owner, body.name, role, body.expires);
    return reply.status(201).send({ token, ...tokenView(record) });
  });

  app.delete("/api/v1/tokens/:id", { config: { role: "authenticated" }, schema: { summary: "Revoke a token: it stops working at once", params: TokenParamsSchema, response: responses({ 200: TokenSchema }, 401, 403, 404) } }, async (request) => {
    const principal = principalOf(request);
    const token = await auth.token(request.params.id);
    if (token.user !== principal.user && principal.role !== "Admin") throw new VmctlError("forbidden", "revoking another user's token needs the role Admin", { role: "Admin" });
    return tokenView(await auth.revokeToken(token.id), true);
  });
}
