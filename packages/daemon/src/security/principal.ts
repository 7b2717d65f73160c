// Who is asking, and what they may do: the privileges of their role at host scope, plus per-VM grants,
// and the credential they were derived from, so that a change re-reads them and a credential they
// hand out (a token, a ticket) is capped by what they hold.
import { PRIVILEGES, VM_SCOPED, type Privilege } from "./privileges.js";

/** What a principal was derived from: re-read on every use and after every change (revocation). */
export type Credential =
  | { kind: "root" }
  | { kind: "session"; sessionHash: string }
  /**
   * A local API token; or, with `cluster`, a cluster token (cluster/cluster-auth.ts) good until exp
   * (seconds), whose tokenId "cluster:<jti>" names no token of this host: whatever reads it as a
   * local token finds none (refused). Only auth-hooks' resolveCredential reads `cluster`.
   */
  | { kind: "token"; tokenId: string; cluster?: { user: string; role: string; exp: number } };

export type TicketPurpose = "console" | "vnc" | "monitor";

export interface Principal {
  /** For tasks, events and the audit log: "admin", "admin (token ci)", "root (unix socket)". */
  name: string;
  user: string;
  /** A cluster token's principal is a "token" whose credential (via) carries `cluster`. */
  kind: "root" | "session" | "token" | "ticket";
  role: string;
  host: ReadonlySet<Privilege>;
  vms: ReadonlyMap<string, ReadonlySet<Privilege>>;
  /** For a ticket: the session or token that minted it. */
  via: Credential;
  /** For a ticket: the one VM and purpose it was minted for. */
  ticket?: { vm: string; purpose: TicketPurpose };
  csrf?: string;
}

export const ROOT_PRINCIPAL: Principal = { name: "root (unix socket)", user: "root", kind: "root", role: "Admin", host: new Set(PRIVILEGES), vms: new Map(), via: { kind: "root" } };

export function can(principal: Principal, privilege: Privilege, vm?: string): boolean {
  if (principal.host.has(privilege)) return true;
  return vm !== undefined && VM_SCOPED.has(privilege) && (principal.vms.get(vm)?.has(privilege) ?? false);
}

export function listPrivileges(principal: Principal): { host: Privilege[]; vms: Record<string, Privilege[]> } {
  return { host: [...principal.host].sort(), vms: Object.fromEntries([...principal.vms].map(([vm, set]) => [vm, [...set].sort()])) };
}

/**
 * The principal cut to what `limit` holds: a host privilege that `limit` has only on some VMs
 * becomes a grant on those VMs. A token made by a token is its own role cut to its parent's.
 */
export function narrowTo(principal: Principal, limit: Principal): Principal {
  const host = new Set([...principal.host].filter((p) => limit.host.has(p)));
  const vms = new Map<string, Set<Privilege>>();
  const add = (vm: string, p: Privilege) => {
    const set = vms.get(vm) ?? new Set<Privilege>();
    set.add(p);
    vms.set(vm, set);
  };
  for (const p of principal.host) {
    if (host.has(p) || !VM_SCOPED.has(p)) continue;
    for (const [vm, set] of limit.vms) if (set.has(p)) add(vm, p);
  }
  for (const [vm, set] of principal.vms) for (const p of set) if (can(limit, p, vm)) add(vm, p);
  return { ...principal, host, vms };
}

/** What `candidate` holds that `holder` does not, as "vm.create" or `vm.power on VM "web"`; empty when it holds no more. */
export function gainedOver(candidate: Principal, holder: Principal): string[] {
  const gained: string[] = [...candidate.host].filter((p) => !holder.host.has(p)).sort();
  for (const [vm, set] of [...candidate.vms].sort(([a], [b]) => a.localeCompare(b))) {
    for (const p of [...set].sort()) if (!candidate.host.has(p) && !can(holder, p, vm)) gained.push(`${p} on VM "${vm}"`);
  }
  return gained;
}

/** The privileges `before` held (at host scope, or on `vm`) that `after` no longer holds there. */
export function lostSince(before: Principal, after: Principal, vm?: string): Privilege[] {
  const held = new Set([...before.host, ...(vm === undefined ? [] : before.vms.get(vm) ?? [])]);
  return [...held].filter((p) => !(vm === undefined ? after.host.has(p) : can(after, p, vm))).sort();
}
