// A credential never hands out more than it holds: whoever creates a token or a user, changes a
// role, a grant, a custom role or another user's account, must hold every right it gives or
// takes over. user.admin alone is not a key to everything (a token limited to user.admin cannot
// make an Admin user, nor take over the admin's account).
import { VmctlError } from "@vmctl/api-types";
import type { AuthStore, UserInfo } from "./auth-store.js";
import { VM_SCOPED, isPrivilege, type Privilege } from "./privileges.js";
import { gainedOver, type Principal } from "./principal.js";

export interface Rights { host: Iterable<Privilege>; vms?: Record<string, Iterable<Privilege>> }

/** Throws forbidden, naming what would be handed out, unless `caller` holds all of `rights`. */
export function refuseGain(caller: Principal, rights: Rights, what: string): void {
  const candidate: Principal = { ...caller, host: new Set(rights.host), vms: new Map(Object.entries(rights.vms ?? {}).map(([vm, set]) => [vm, new Set(set)])) };
  const gained = gainedOver(candidate, caller);
  if (gained.length) throw new VmctlError("forbidden", `${caller.name} cannot ${what}: that hands out ${gained.join(", ")}, which it does not hold itself`, { privileges: gained });
}

/** What a user holds through their role and grants (disabled or not). */
export function rightsOfUser(auth: AuthStore, info: UserInfo): Rights {
  return {
    host: auth.privilegesOf(info.role),
    vms: Object.fromEntries(Object.entries(info.grants).map(([vm, role]) => [vm, [...auth.privilegesOf(role)].filter((p) => VM_SCOPED.has(p))])),
  };
}

/** What a role gives at host scope, or, granted on one VM, there. */
export function rightsOfRole(auth: AuthStore, role: string, vm?: string): Rights {
  const privileges = [...auth.privilegesOf(role)];
  return vm === undefined ? { host: privileges } : { host: [], vms: { [vm]: privileges.filter((p) => VM_SCOPED.has(p)) } };
}

export function knownPrivileges(names: string[]): Privilege[] {
  return names.filter(isPrivilege);
}
