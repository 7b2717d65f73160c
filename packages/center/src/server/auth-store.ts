// vmcenter's users, API tokens and browser sessions, all in etcd so that every replica sees the same:
// users/<name> (scrypt hash), tokens/<id> (the secret's SHA-256 only), sessions/<sha256 of the
// cookie> under a lease of the session's lifetime (etcd forgets it when it expires).
import { VmctlError, type Token, type User } from "@vmctl/api-types";
import { keys, type SessionRecord, type TokenRecord, type UserRecord } from "../cluster-keys.js";
import type { ClusterStore } from "../cluster-store.js";
import { CLUSTER_ROLES, type ClusterRole } from "../cluster-token.js";
import type { ClusterPrincipal } from "../center-context.js";
import { hashPassword, makeApiToken, parseApiToken, randomSecret, sameSecret, sha256, verifyPassword } from "./secrets.js";

export const SESSION_TTL_SECONDS = 8 * 3600;
/** A user name: what a cluster token's `sub` may hold, so every user can reach the hosts. */
export const USER_NAME_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;
/** Names a user may not take: the controller's own identity on hosts. */
const RESERVED_USERS = new Set(["vmcenter", "root"]);

/** A token as stored: the lead's TokenRecord plus the role it was made with (capped by its user's). */
export interface StoredToken extends TokenRecord { role: ClusterRole }

/** Who asks, with how: the shared ClusterPrincipal plus what vmcenter's own routes need. */
export interface CenterPrincipal extends ClusterPrincipal {
  kind: "session" | "token";
  tokenId?: string;
  csrf?: string;
}

const RANK: Record<ClusterRole, number> = { ReadOnly: 1, Operator: 2, Admin: 3 };
export const roleRank = (role: ClusterRole): number => RANK[role];
export const lowerRole = (a: ClusterRole, b: ClusterRole): ClusterRole => (RANK[a] <= RANK[b] ? a : b);

export function checkRole(role: string, field = "role"): ClusterRole {
  if (!CLUSTER_ROLES.includes(role as ClusterRole)) throw new VmctlError("bad_request", `${field}: "${role.slice(0, 64)}" is not a vmcenter role; use one of ${CLUSTER_ROLES.join(", ")}`, { field });
  return role as ClusterRole;
}

export function userView(user: UserRecord): User {
  return { name: user.name, role: user.role, disabled: user.disabled, createdAt: user.createdAt, grants: {} };
}

export function tokenView(token: StoredToken, revoked = false): Token {
  return { id: token.id, name: token.label, user: token.user, role: token.role, parent: null, createdAt: token.createdAt, expiresAt: token.expiresAt, lastUsedAt: null, revoked };
}

export class AuthStore {
  private dummy: Promise<string> | undefined;

  constructor(private readonly store: ClusterStore) {}

  async user(name: string): Promise<UserRecord> {
    const found = USER_NAME_PATTERN.test(name) ? await this.store.get<UserRecord>(keys.user(name)) : null;
    if (!found) throw new VmctlError("user_not_found", `no vmcenter user "${name.slice(0, 64)}"; GET /api/v1/users lists them`, { user: name.slice(0, 64) });
    return found.value;
  }

  async users(): Promise<UserRecord[]> {
    return (await this.store.list<UserRecord>(keys.users())).map((entry) => entry.value).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A new user record (not written): for the first admin, which main.ts writes with create(). */
  static async newUser(name: string, password: string, role: ClusterRole): Promise<UserRecord> {
    if (!USER_NAME_PATTERN.test(name) || RESERVED_USERS.has(name)) throw new VmctlError("bad_request", `username: "${name.slice(0, 64)}" is not allowed: 1-64 letters, digits, '_', '.', '@' or '-', and not "vmcenter" or "root"`, { field: "username" });
    if (password.length < 8 || password.length > 1024) throw new VmctlError("bad_request", "password: use 8 to 1024 characters", { field: "password" });
    return { name, role, passwordHash: await hashPassword(password), createdAt: new Date().toISOString(), disabled: false };
  }

  async createUser(name: string, password: string, role: ClusterRole): Promise<UserRecord> {
    const record = await AuthStore.newUser(name, password, role);
    if (!(await this.store.create(keys.user(name), record))) throw new VmctlError("user_exists", `a vmcenter user "${name}" already exists; change it with PATCH /api/v1/users/${name}`, { user: name });
    return record;
  }

  async updateUser(name: string, change: { password?: string | undefined; role?: ClusterRole | undefined; disabled?: boolean | undefined }): Promise<UserRecord> {
    await this.user(name);
    const passwordHash = change.password === undefined ? undefined : (await AuthStore.newUser(name, change.password, "ReadOnly")).passwordHash;
    if (change.role !== undefined || change.disabled === true) await this.keepAnAdmin(name, change.role, change.disabled);
    const updated = await this.store.update<UserRecord>(keys.user(name), (current) => {
      if (!current) return undefined;
      return { ...current, ...(passwordHash ? { passwordHash } : {}), ...(change.role ? { role: change.role } : {}), ...(change.disabled === undefined ? {} : { disabled: change.disabled }) };
    });
    if (!updated) throw new VmctlError("user_not_found", `no vmcenter user "${name}"`, { user: name });
    return updated;
  }

  async deleteUser(name: string): Promise<UserRecord> {
    const user = await this.user(name);
    await this.keepAnAdmin(name, undefined, true);
    await this.store.delete(keys.user(name));
    for (const token of await this.tokens(name)) await this.store.delete(keys.token(token.id));
    return user;
  }

  /** Refuses a change that would leave the cluster with no enabled Admin (nobody could manage users again). */
  private async keepAnAdmin(name: string, role: ClusterRole | undefined, disabled: boolean | undefined): Promise<void> {
    const admins = (await this.users()).filter((u) => u.role === "Admin" && !u.disabled);
    const losing = admins.some((u) => u.name === name) && ((role !== undefined && role !== "Admin") || disabled === true);
    if (losing && admins.length === 1) throw new VmctlError("forbidden", `"${name}" is the last enabled Admin: make another Admin first`, { user: name });
  }

  /** The user when the password is theirs and the account enabled; costs a hash check either way. */
  async checkLogin(name: string, password: string): Promise<UserRecord | null> {
    const found = USER_NAME_PATTERN.test(name) ? await this.store.get<UserRecord>(keys.user(name)) : null;
    if (!found) {
      this.dummy ??= hashPassword(randomSecret(24));
      await verifyPassword(password, await this.dummy);
      return null;
    }
    const ok = await verifyPassword(password, found.value.passwordHash);
    return ok && !found.value.disabled ? found.value : null;
  }

  async createSession(user: string): Promise<{ id: string; csrf: string; expiresAt: string }> {
    const id = randomSecret(32);
    const csrf = randomSecret(24);
    const expiresAt = new Date(Date.now() + SESSION_TTL_SECONDS * 1000).toISOString();
    const lease = this.store.etcd.lease(SESSION_TTL_SECONDS, { autoKeepAlive: false });
    lease.on("lost", () => {});
    try {
      await this.store.put(keys.session(sha256(id)), { user, csrf, expiresAt } satisfies SessionRecord, lease);
    } finally {
      // The session lives as long as the lease's TTL; this process stops holding the lease object only.
      lease.release();
    }
    return { id, csrf, expiresAt };
  }

  async endSession(id: string): Promise<void> {
    await this.store.delete(keys.session(sha256(id)));
  }

  /** The principal of a session cookie, or null for an unknown, expired or disabled one. */
  async principalForSession(id: string): Promise<CenterPrincipal | null> {
    if (id.length > 128) return null;
    const found = await this.store.get<SessionRecord>(keys.session(sha256(id)));
    if (!found || Date.parse(found.value.expiresAt) < Date.now()) return null;
    const user = await this.store.get<UserRecord>(keys.user(found.value.user));
    if (!user || user.value.disabled) return null;
    return { user: user.value.name, role: user.value.role, name: user.value.name, kind: "session", csrf: found.value.csrf };
  }

  async createToken(owner: UserRecord, label: string, role: ClusterRole, expires: string | null): Promise<{ token: string; record: StoredToken }> {
    if (!/^[\w .@:-]{1,64}$/.test(label)) throw new VmctlError("bad_request", "name: 1-64 letters, digits, spaces or '_', '.', '@', ':', '-'", { field: "name" });
    if (expires !== null && !(Date.parse(expires) > Date.now())) throw new VmctlError("bad_request", "expires: an ISO 8601 time in the future, or null for none", { field: "expires" });
    const made = makeApiToken();
    const record: StoredToken = { id: made.id, user: owner.name, label, role, secretHash: made.secretHash, createdAt: new Date().toISOString(), expiresAt: expires === null ? null : new Date(expires).toISOString() };
    if (!(await this.store.create(keys.token(made.id), record))) throw new VmctlError("internal", "a token id was drawn twice; retry");
    return { token: made.token, record };
  }

  async tokens(user?: string): Promise<StoredToken[]> {
    const all = (await this.store.list<StoredToken>(keys.tokens())).map((entry) => entry.value);
    return all.filter((token) => user === undefined || token.user === user).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async token(id: string): Promise<StoredToken> {
    const found = /^[0-9a-f]{16}$/.test(id) ? await this.store.get<StoredToken>(keys.token(id)) : null;
    if (!found) throw new VmctlError("token_not_found", `no vmcenter API token "${id.slice(0, 16)}"; GET /api/v1/tokens lists them`, { id: id.slice(0, 16) });
    return found.value;
  }

  async revokeToken(id: string): Promise<StoredToken> {
    const token = await this.token(id);
    await this.store.delete(keys.token(id));
    return token;
  }

  /** The principal of a bearer token: its user's, at the lower of the token's and the user's role. */
  async principalForToken(text: string): Promise<CenterPrincipal | null> {
    const parsed = parseApiToken(text);
    if (!parsed) return null;
    const found = await this.store.get<StoredToken>(keys.token(parsed.id));
    if (!found || !sameSecret(sha256(parsed.secret), found.value.secretHash)) return null;
    if (found.value.expiresAt !== null && Date.parse(found.value.expiresAt) < Date.now()) return null;
    const user = await this.store.get<UserRecord>(keys.user(found.value.user));
    if (!user || user.value.disabled) return null;
    return { user: user.value.name, role: lowerRole(found.value.role, user.value.role), name: `${user.value.name} (token ${found.value.label})`, kind: "token", tokenId: found.value.id };
  }
}
