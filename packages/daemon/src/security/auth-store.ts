// Users, roles, per-VM grants, sessions and API tokens in SQLite. Passwords are scrypt hashes;
// session ids and token secrets are stored only as SHA-256 hashes, so the database holds no secret.
import { randomUUID } from "node:crypto";
import { VmctlError, type User, type Token, type Role } from "@vmctl/api-types";
import type { Db } from "../store/database.js";
import { BUILTIN_ROLES, VM_SCOPED, isPrivilege, type Privilege } from "./privileges.js";
import { hashPassword, verifyPassword, randomSecret, sha256, sameSecret, dummyHash } from "./passwords.js";
import { ROOT_PRINCIPAL, narrowTo, type Credential, type Principal } from "./principal.js";

export const SESSION_TTL_MS = 8 * 3600_000;
const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}$/;

/** The wire shapes, declared once in @vmctl/api-types (auth-wire.ts). */
export type UserInfo = User;
/** `parent`: the token that made this one; it caps this one and takes it along when revoked or expired. */
export type TokenInfo = Token;

interface UserRow { name: string; password_hash: string; role: string; disabled: number; created_at: string }
interface TokenRow { id: string; name: string; user: string; role: string; secret_hash: string; parent_id: string | null; created_at: string; expires_at: string | null; last_used_at: string | null; revoked_at: string | null }
/** A chain of tokens made by tokens is walked at each use; no sane chain is longer. */
const MAX_TOKEN_DEPTH = 16;

export class AuthStore {
  /** Made once, with the parameters of a real hash, for the logins of users who do not exist. */
  private readonly dummyHash: Promise<string> = dummyHash();

  /**
   * `vmIdentity`: the uuid of the VM of that name now (undefined: no such VM, or one vmctld has not
   * written yet); with `assign`, one is given to it. A grant binds to it and applies to no other VM.
   */
  constructor(private readonly db: Db, private readonly vmIdentity: (vm: string, assign: boolean) => string | undefined = () => undefined) {}

  // Roles

  privilegesOf(role: string): ReadonlySet<Privilege> {
    const builtin = BUILTIN_ROLES[role];
    if (builtin) return new Set(builtin);
    const row = this.db.prepare("SELECT privileges FROM roles WHERE name = ?").get(role) as { privileges: string } | undefined;
    if (!row) throw new VmctlError("bad_request", `no role "${role}"; built in: ${Object.keys(BUILTIN_ROLES).join(", ")}`);
    return new Set(JSON.parse(row.privileges) as Privilege[]);
  }

  roles(): Role[] {
    const custom = this.db.prepare("SELECT name, privileges FROM roles ORDER BY name").all() as Array<{ name: string; privileges: string }>;
    return [
      ...Object.entries(BUILTIN_ROLES).map(([name, privileges]) => ({ name, builtin: true, privileges: [...privileges] })),
      ...custom.map((r) => ({ name: r.name, builtin: false, privileges: JSON.parse(r.privileges) as Privilege[] })),
    ];
  }

  defineRole(name: string, privileges: string[]): void {
    if (BUILTIN_ROLES[name]) throw new VmctlError("bad_request", `"${name}" is a built-in role and cannot change`);
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(name)) throw new VmctlError("bad_request", `role name "${name}": letters, digits, _ and -, starting with a letter`);
    const unknown = privileges.filter((p) => !isPrivilege(p));
    if (unknown.length) throw new VmctlError("bad_request", `unknown privileges ${unknown.map((p) => `"${p}"`).join(", ")}`);
    this.db.prepare("INSERT INTO roles (name, privileges) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET privileges = excluded.privileges").run(name, JSON.stringify(privileges));
  }

  // Users

  countUsers(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM users").get() as { n: number }).n;
  }

  async createUser(name: string, password: string, role: string): Promise<UserInfo> {
    if (!USER_NAME.test(name)) throw new VmctlError("bad_request", `user name "${name}": lower case letters, digits, _ . -, at most 32`);
    checkPassword(password);
    this.privilegesOf(role);
    if (this.db.prepare("SELECT 1 FROM users WHERE name = ?").get(name)) throw new VmctlError("user_exists", `a user named "${name}" already exists`);
    this.db.prepare("INSERT INTO users (name, password_hash, role, created_at) VALUES (?, ?, ?, ?)").run(name, await hashPassword(password), role, new Date().toISOString());
    return this.user(name);
  }

  user(name: string): UserInfo {
    const row = this.db.prepare("SELECT * FROM users WHERE name = ?").get(name) as UserRow | undefined;
    if (!row) throw new VmctlError("user_not_found", `no user named "${name}"`);
    const grants = this.db.prepare("SELECT vm, role FROM grants WHERE user = ?").all(name) as Array<{ vm: string; role: string }>;
    return { name: row.name, role: row.role, disabled: row.disabled === 1, createdAt: row.created_at, grants: Object.fromEntries(grants.map((g) => [g.vm, g.role])) };
  }

  users(): UserInfo[] {
    return (this.db.prepare("SELECT name FROM users ORDER BY name").all() as Array<{ name: string }>).map((r) => this.user(r.name));
  }

  async updateUser(name: string, change: { password?: string; role?: string; disabled?: boolean }): Promise<UserInfo> {
    this.user(name);
    if (change.password !== undefined) {
      checkPassword(change.password);
      this.db.prepare("UPDATE users SET password_hash = ? WHERE name = ?").run(await hashPassword(change.password), name);
      this.db.prepare("DELETE FROM sessions WHERE user = ?").run(name); // a new password ends every session
    }
    if (change.role !== undefined) {
      this.privilegesOf(change.role);
      this.db.prepare("UPDATE users SET role = ? WHERE name = ?").run(change.role, name);
    }
    if (change.disabled !== undefined) {
      this.db.prepare("UPDATE users SET disabled = ? WHERE name = ?").run(change.disabled ? 1 : 0, name);
      if (change.disabled) this.db.prepare("DELETE FROM sessions WHERE user = ?").run(name);
    }
    return this.user(name);
  }

  grant(user: string, vm: string, role: string | null): UserInfo {
    this.user(user);
    if (role === null) this.db.prepare("DELETE FROM grants WHERE user = ? AND vm = ?").run(user, vm);
    else {
      this.privilegesOf(role);
      // Bound to the VM's identity: a VM made later under the same name does not inherit it.
      const uuid = this.vmIdentity(vm, true) ?? null;
      this.db.prepare("INSERT INTO grants (user, vm, role, vm_uuid) VALUES (?, ?, ?, ?) ON CONFLICT(user, vm) DO UPDATE SET role = excluded.role, vm_uuid = excluded.vm_uuid").run(user, vm, role, uuid);
    }
    return this.user(user);
  }

  /** The user if name and password match and the account is enabled; null otherwise (no hint which). */
  async checkLogin(name: string, password: string): Promise<UserInfo | null> {
    const row = this.db.prepare("SELECT * FROM users WHERE name = ?").get(name) as UserRow | undefined;
    // Hash even for unknown users, with a well-formed hash of the same cost, so timing does not tell which names exist.
    const ok = await verifyPassword(password, row?.password_hash ?? await this.dummyHash);
    return ok && row && row.disabled === 0 ? this.user(name) : null;
  }

  principalFor(user: string, via: Exclude<Credential, { kind: "root" }>, role?: string, label?: string): Principal | null {
    const row = this.db.prepare("SELECT * FROM users WHERE name = ?").get(user) as UserRow | undefined;
    if (!row || row.disabled) return null;
    const userPrivileges = this.privilegesOf(row.role);
    // A token never holds more than its user: its role's privileges are cut to the user's.
    const host = role ? new Set([...this.privilegesOf(role)].filter((p) => userPrivileges.has(p))) : userPrivileges;
    const tokenLimit = role ? this.privilegesOf(role) : undefined;
    const vms = new Map<string, Set<Privilege>>();
    for (const g of this.db.prepare("SELECT vm, role, vm_uuid FROM grants WHERE user = ?").all(user) as Array<{ vm: string; role: string; vm_uuid: string | null }>) {
      if (!this.grantApplies(user, g.vm, g.vm_uuid)) continue;
      vms.set(g.vm, new Set([...this.privilegesOf(g.role)].filter((p) => VM_SCOPED.has(p) && (tokenLimit?.has(p) ?? true))));
    }
    return { name: label ?? user, user, kind: via.kind, role: role ?? row.role, host, vms, via };
  }

  /**
   * A grant applies to the VM it was made on, by uuid. One made before the VM had a uuid (an older
   * grant, or one made on a name before its VM existed) binds to the first VM it meets with one.
   */
  private grantApplies(user: string, vm: string, bound: string | null): boolean {
    const current = this.vmIdentity(vm, false);
    if (bound !== null) return bound === current;
    if (current !== undefined) this.db.prepare("UPDATE grants SET vm_uuid = ? WHERE user = ? AND vm = ? AND vm_uuid IS NULL").run(current, user, vm);
    return true;
  }

  /**
   * A renamed VM's grants follow it to its new name. Grants made on the new name before (bound to no
   * VM yet, or to one gone) are dropped: they were given for some other VM, not this one.
   */
  moveGrants(from: string, to: string, uuid: string | undefined): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM grants WHERE vm = ?").run(to);
      this.db.prepare("UPDATE grants SET vm = ?, vm_uuid = COALESCE(vm_uuid, ?) WHERE vm = ? AND (vm_uuid IS NULL OR vm_uuid = ?)").run(to, uuid ?? null, from, uuid ?? null);
    })();
  }

  /** The grants on a destroyed VM go with it (a new VM of that name would not honour them anyway). */
  dropGrantsOn(vm: string, uuid: string | undefined): void {
    this.db.prepare("DELETE FROM grants WHERE vm = ? AND (vm_uuid IS NULL OR vm_uuid = ?)").run(vm, uuid ?? null);
  }

  // Sessions

  createSession(user: string): { id: string; csrf: string; expiresAt: string } {
    const id = randomSecret();
    const csrf = randomSecret(24);
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS).toISOString();
    this.db.prepare("INSERT INTO sessions (id_hash, user, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)").run(sha256(id), user, csrf, new Date().toISOString(), expiresAt);
    return { id, csrf, expiresAt };
  }

  session(id: string): { user: string; csrf: string; hash: string } | null {
    const hash = sha256(id);
    const row = this.db.prepare("SELECT user, csrf, expires_at FROM sessions WHERE id_hash = ?").get(hash) as { user: string; csrf: string; expires_at: string } | undefined;
    if (!row || row.expires_at < new Date().toISOString()) return null;
    return { user: row.user, csrf: row.csrf, hash };
  }

  /** The principal of a live session (by the hash of its id), or null once it ended, expired or its user was disabled. */
  principalForSession(hash: string): Principal | null {
    const row = this.db.prepare("SELECT user, expires_at FROM sessions WHERE id_hash = ?").get(hash) as { user: string; expires_at: string } | undefined;
    if (!row || row.expires_at < new Date().toISOString()) return null;
    return this.principalFor(row.user, { kind: "session", sessionHash: hash });
  }

  /** A credential re-read as it is now: null once it was revoked, ended or expired, or its user disabled. */
  resolve(via: Credential): Principal | null {
    if (via.kind === "root") return ROOT_PRINCIPAL;
    return via.kind === "session" ? this.principalForSession(via.sessionHash) : this.principalForTokenId(via.tokenId);
  }

  endSession(id: string): void {
    this.db.prepare("DELETE FROM sessions WHERE id_hash = ?").run(sha256(id));
  }

  // Tokens

  createToken(user: string, name: string, role: string, expiresAt: string | null, parent: string | null = null): { token: string; info: TokenInfo } {
    this.privilegesOf(role);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new VmctlError("bad_request", `token name "${name}": letters, digits, _ . -, at most 64`);
    if (expiresAt !== null && !(Date.parse(expiresAt) > Date.now())) throw new VmctlError("bad_request", `expires "${expiresAt}" is not a future ISO 8601 time`);
    const id = randomUUID().slice(0, 8);
    const secret = randomSecret();
    this.db.prepare("INSERT INTO tokens (id, name, user, role, secret_hash, parent_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(id, name, user, role, sha256(secret), parent, new Date().toISOString(), expiresAt);
    return { token: `vmctl_${id}_${secret}`, info: this.token(id) };
  }

  token(id: string): TokenInfo {
    const row = this.db.prepare("SELECT * FROM tokens WHERE id = ?").get(id) as TokenRow | undefined;
    if (!row) throw new VmctlError("token_not_found", `no token with id "${id}"`);
    return { id: row.id, name: row.name, user: row.user, role: row.role, parent: row.parent_id, createdAt: row.created_at, expiresAt: row.expires_at, lastUsedAt: row.last_used_at, revoked: row.revoked_at !== null };
  }

  tokens(user?: string): TokenInfo[] {
    const rows = (user ? this.db.prepare("SELECT id FROM tokens WHERE user = ? ORDER BY created_at").all(user) : this.db.prepare("SELECT id FROM tokens ORDER BY created_at").all()) as Array<{ id: string }>;
    return rows.map((r) => this.token(r.id));
  }

  /** Revokes the token and every token made from it (they would fail at their next use anyway: listed as revoked). */
  revokeToken(id: string): TokenInfo {
    this.token(id);
    this.db.prepare(`WITH RECURSIVE family(id) AS (SELECT ? UNION SELECT tokens.id FROM tokens JOIN family ON tokens.parent_id = family.id)
      UPDATE tokens SET revoked_at = ? WHERE id IN (SELECT id FROM family) AND revoked_at IS NULL`).run(id, new Date().toISOString());
    return this.token(id);
  }

  /** The principal of a presented bearer token, or null if it is unknown, wrong, expired or revoked. */
  principalForToken(presented: string): Principal | null {
    const match = /^vmctl_([0-9a-f]{8})_([A-Za-z0-9_-]{20,})$/.exec(presented);
    if (!match) return null;
    const row = this.db.prepare("SELECT * FROM tokens WHERE id = ?").get(match[1]) as TokenRow | undefined;
    if (!row || row.revoked_at || (row.expires_at && row.expires_at < new Date().toISOString())) return null;
    if (!sameSecret(sha256(match[2]!), row.secret_hash)) return null;
    const principal = this.principalForTokenId(row.id);
    if (principal) this.db.prepare("UPDATE tokens SET last_used_at = ? WHERE id = ?").run(new Date().toISOString(), row.id);
    return principal;
  }

  /** A token's principal as it is now: its role, cut to its user's privileges and to its parent's, re-read up the chain. */
  principalForTokenId(id: string, depth = 0): Principal | null {
    const row = this.db.prepare("SELECT * FROM tokens WHERE id = ?").get(id) as TokenRow | undefined;
    if (!row || row.revoked_at || (row.expires_at && row.expires_at < new Date().toISOString()) || depth > MAX_TOKEN_DEPTH) return null;
    const own = this.principalFor(row.user, { kind: "token", tokenId: row.id }, row.role, `${row.user} (token ${row.name})`);
    if (!own || row.parent_id === null) return own;
    const parent = this.principalForTokenId(row.parent_id, depth + 1);
    return parent ? narrowTo(own, parent) : null;
  }
}

function checkPassword(password: string): void {
  if (password.length < 8) throw new VmctlError("bad_request", "password: at least 8 characters");
  if (password.length > 1024) throw new VmctlError("bad_request", "password: at most 1024 characters");
}
