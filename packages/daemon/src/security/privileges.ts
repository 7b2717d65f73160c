// Privileges and the built-in roles. Every route names the privilege it needs in route-privileges.ts.

export const PRIVILEGES = [
  "host.read", "vm.read", "vm.create", "vm.edit", "vm.delete", "vm.power", "vm.console.view", "vm.console.input",
  "vm.snapshot", "task.read", "task.cancel", "event.read", "user.admin", "audit.read", "token.own",
  "datastore.read", "datastore.write",
] as const;
export type Privilege = (typeof PRIVILEGES)[number];

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
