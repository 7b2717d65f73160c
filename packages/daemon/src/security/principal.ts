// Who is asking, and what they may do: the privileges of their role at host scope, plus per-VM grants.
import { VM_SCOPED, type Privilege } from "./privileges.js";

export interface Principal {
  /** For tasks, events and the audit log: "admin", "admin (token ci)", "root (unix socket)". */
  name: string;
  user: string;
  kind: "root" | "session" | "token" | "ticket";
  role: string;
  host: ReadonlySet<Privilege>;
  vms: ReadonlyMap<string, ReadonlySet<Privilege>>;
  csrf?: string;
}

export function can(principal: Principal, privilege: Privilege, vm?: string): boolean {
  if (principal.host.has(privilege)) return true;
  return vm !== undefined && VM_SCOPED.has(privilege) && (principal.vms.get(vm)?.has(privilege) ?? false);
}

export function listPrivileges(principal: Principal): { host: Privilege[]; vms: Record<string, Privilege[]> } {
  return { host: [...principal.host].sort(), vms: Object.fromEntries([...principal.vms].map(([vm, set]) => [vm, [...set].sort()])) };
}
