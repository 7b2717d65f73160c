// The one place where every route names what it needs. vmctld refuses to start with a route that is
// missing here (route-privileges.test.ts and the startup check both hold it to that).
import type { Privilege } from "./privileges.js";

/** "public": no credentials; "authenticated": any logged-in principal; else a privilege. */
export type RouteNeed = Privilege | "public" | "authenticated";

export const ROUTE_PRIVILEGES: Record<string, RouteNeed> = {
  "GET /healthz": "public",
  // The Host Client's files: the login page and its assets; the data behind them needs a login.
  "GET /": "public",
  "GET /ui": "public",
  "GET /ui/*": "public",
  "GET /ui/vms/*": "public",
  "GET /ui/host": "public",
  "GET /ui/events": "public",
  "GET /ui/admin": "public",
  "GET /ui/storage": "public",
  "GET /ui/storage/*": "public",
  "GET /ui/networks": "public",
  "POST /api/v1/login": "public",
  "POST /api/v1/logout": "authenticated",
  "GET /api/v1/me": "authenticated",
  "GET /api/v1/host": "host.read",
  "GET /api/v1/datastores": "host.read",
  "POST /api/v1/datastores": "datastore.write",
  "DELETE /api/v1/datastores/:ds": "datastore.write",
  "GET /api/v1/datastores/:ds/files": "datastore.read",
  "GET /api/v1/datastores/:ds/files/*": "datastore.read",
  "PUT /api/v1/datastores/:ds/files/*": "datastore.write",
  "POST /api/v1/datastores/:ds/files/*": "datastore.write",
  "DELETE /api/v1/datastores/:ds/files/*": "datastore.write",
  "GET /api/v1/isos": "datastore.read",
  "GET /api/v1/networks": "host.read",
  "GET /api/v1/networks/:network": "host.read",
  "POST /api/v1/networks": "network.write",
  "PATCH /api/v1/networks/:network": "network.write",
  "DELETE /api/v1/networks/:network": "network.write",
  // A forward below port 1024 also needs network.write (checked by the handler).
  "GET /api/v1/vms/:name/port-forwards": "vm.read",
  "POST /api/v1/vms/:name/port-forwards": "vm.edit",
  "DELETE /api/v1/vms/:name/port-forwards/:id": "vm.edit",
  "GET /api/v1/openapi.json": "host.read",
  // Lists the VMs the principal may read (all with vm.read at host scope; else those of its grants).
  "GET /api/v1/vms": "authenticated",
  "POST /api/v1/vms": "vm.create",
  "POST /api/v1/vms::batch": "vm.power",
  "GET /api/v1/vms/:name": "vm.read",
  "PUT /api/v1/vms/:name": "vm.edit",
  "PATCH /api/v1/vms/:name": "vm.edit",
  // The VM keeps its uuid, so its grants, forwards and history; the new name must be free.
  "POST /api/v1/vms/:name/rename": "vm.edit",
  "DELETE /api/v1/vms/:name": "vm.delete",
  "GET /api/v1/vms/:name/definition": "vm.read",
  "PUT /api/v1/vms/:name/definition": "vm.edit",
  "POST /api/v1/vms/:name/power": "vm.power",
  "PUT /api/v1/vms/:name/state": "vm.power",
  "GET /api/v1/vms/:name/screenshot": "vm.console.view",
  "POST /api/v1/vms/:name/sendkey": "vm.console.input",
  // Setting a guest user's password lets one log in there, as typing into the console does.
  "POST /api/v1/vms/:name/guest/password": "vm.console.input",
  "POST /api/v1/vms/:name/console": "vm.console.view",
  "GET /api/v1/vms/:name/disks": "vm.read",
  "POST /api/v1/vms/:name/disks": "vm.edit",
  "DELETE /api/v1/vms/:name/disks/:id": "vm.edit",
  "POST /api/v1/vms/:name/disks/:id/resize": "vm.edit",
  "POST /api/v1/vms/:name/cdroms": "vm.edit",
  "PUT /api/v1/vms/:name/cdroms/:id/media": "vm.edit",
  "GET /api/v1/vms/:name/nics": "vm.read",
  "POST /api/v1/vms/:name/nics": "vm.edit",
  "DELETE /api/v1/vms/:name/nics/:id": "vm.edit",
  "PUT /api/v1/vms/:name/nics/:id/link": "vm.edit",
  "GET /api/v1/vms/:name/snapshots": "vm.read",
  "POST /api/v1/vms/:name/snapshots": "vm.snapshot",
  "POST /api/v1/vms/:name/snapshots/:snap/revert": "vm.snapshot",
  "DELETE /api/v1/vms/:name/snapshots/:snap": "vm.snapshot",
  "POST /api/v1/vms/:name/clone": "vm.create",
  "POST /api/v1/vms/:name/template": "vm.edit",
  "DELETE /api/v1/vms/:name/template": "vm.edit",
  // Import and export make copies of whole VMs, disks included.
  "POST /api/v1/import": "vm.create",
  "GET /api/v1/vms/:name/export": "vm.create",
  "GET /api/v1/tasks": "task.read",
  "GET /api/v1/tasks/:id": "task.read",
  "DELETE /api/v1/tasks/:id": "task.cancel",
  "GET /api/v1/events": "event.read",
  "GET /ws/events": "event.read",
  "GET /ws/vms/:name": "vm.read",
  "GET /ws/vms/:name/console": "vm.console.view",
  "GET /ws/vms/:name/vnc": "vm.console.view",
  "GET /api/v1/users": "user.admin",
  "POST /api/v1/users": "user.admin",
  // Changing one's own password needs no more than being logged in; the handler checks who.
  "PATCH /api/v1/users/:user": "authenticated",
  "PUT /api/v1/users/:user/grants/:vm": "user.admin",
  "DELETE /api/v1/users/:user/grants/:vm": "user.admin",
  "GET /api/v1/roles": "authenticated",
  "POST /api/v1/roles": "user.admin",
  "GET /api/v1/tokens": "token.own",
  "POST /api/v1/tokens": "token.own",
  "DELETE /api/v1/tokens/:id": "token.own",
  "GET /api/v1/audit": "audit.read",
  // Moving VMs between hosts (vmcenter drives them): a VM comes or goes whole, so Admin only.
  "POST /api/v1/migrations/incoming": "vm.migrate",
  "GET /api/v1/migrations/:id": "vm.migrate",
  "DELETE /api/v1/migrations/:id": "vm.migrate",
  "POST /api/v1/migrations/register": "vm.migrate",
  "POST /api/v1/vms/:name/migrate-out": "vm.migrate",
};

/** Routes added by plugins (the API reference page) are read-only documentation. */
export function needOf(method: string, url: string): RouteNeed | undefined {
  const key = `${method === "HEAD" ? "GET" : method} ${url}`;
  if (ROUTE_PRIVILEGES[key]) return ROUTE_PRIVILEGES[key];
  if (url === "/api/docs" || url.startsWith("/api/docs/")) return "host.read";
  return undefined;
}
