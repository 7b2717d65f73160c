// Privileges and the built-in roles. Every route names the privilege it needs in route-privileges.ts.

import { PRIVILEGES, type Privilege } from "@vmctl/api-types";

// Declared once with the wire types (a UI shows what it may do by them).
export { PRIVILEGES, type Privilege };

export const BUILTIN_ROLES: Record<string, readonly Privilege[]> = {
  Admin: PRIVILEGES,
  Operator: ["host.read", "vm.read", "vm.power", "vm.snapshot", "vm.console.view", "vm.console.input", "task.read", "task.cancel", "event.read", "token.own", "datastore.read"],
  ReadOnly: ["host.read", "vm.read", "vm.console.view", "task.read", "event.read", "token.own", "datastore.read"],
};

/** Privileges that make sense on one VM (a grant on a VM gives only these). */
export const VM_SCOPED: ReadonlySet<Privilege> = new Set(["vm.read", "vm.edit", "vm.delete", "vm.power", "vm.snapshot", "vm.console.view", "vm.console.input"]);

export function isPrivilege(value: string): value is Privilege {
  return (PRIVILEGES as readonly string[]).includes(value);
}
