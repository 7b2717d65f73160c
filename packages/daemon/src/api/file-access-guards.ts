// The file-access rules (security/file-access.ts) bound to a request: the routes that make a VM use
// a datastore file, and the datastore browser, ask here before they act.
import type { FastifyRequest } from "fastify";
import { VmctlError } from "@vmctl/api-types";
import type { Host } from "../host.js";
import type { Located } from "../domain/datastore-browser.js";
import type { CreateAuthorizer, UpdateAuthorizer } from "../domain/vm-service.js";
import type { Principal } from "../security/principal.js";
import {
  assertFileAccessDeep, changedFileRefs, fileRefsOf, missingForBrowse, reservedFor, visibleInListing,
  type FileAccessContext, type FileRef,
} from "../security/file-access.js";

export function principalOf(request: FastifyRequest): Principal {
  // Every route that reaches these guards is authenticated by the onRequest hook.
  if (!request.principal) throw new VmctlError("unauthenticated", "log in (POST /api/v1/login) or send Authorization: Bearer <token>");
  return request.principal;
}

function context(host: Host): FileAccessContext {
  return { entries: host.inventory.list(), datastores: host.datastores };
}

/** For POST /api/v1/vms: every file of the new definition. */
export function createGuard(host: Host, request: FastifyRequest): CreateAuthorizer {
  const principal = principalOf(request);
  return (def, datastore, dir) => assertFileAccessDeep(principal, def.name, fileRefsOf(def, datastore), context(host), dir);
}

/** For the definition edits: only the files the edit adds (or now lets the guest write). */
export function updateGuard(host: Host, request: FastifyRequest, name: string): UpdateAuthorizer {
  const principal = principalOf(request);
  return (before, after, datastore) => assertFileAccessDeep(principal, name, changedFileRefs(before, after, datastore), context(host));
}

/** For the disk, CD-ROM, clone and import routes: the files they name. */
export function assertFiles(host: Host, request: FastifyRequest, self: string, refs: readonly FileRef[]): Promise<void> {
  return assertFileAccessDeep(principalOf(request), self, refs, context(host));
}

/** The datastore browser: a VM's folder, disks and memory need rights on that VM. */
export function assertBrowse(host: Host, request: FastifyRequest, at: Located, action: "list" | "read" | "change"): void {
  const principal = principalOf(request);
  const missing = missingForBrowse(principal, at.absolute, action, context(host));
  if (!missing) return;
  const verb = action === "list" ? "list" : action === "read" ? "read" : "change";
  throw new VmctlError("forbidden", `${principal.name} may not ${verb} "${at.path}" of datastore "${at.datastore}": ${missing.reason}, which needs the privilege "${missing.privilege}" on VM "${missing.vm ?? ""}"`, {
    path: at.path, datastore: at.datastore, privilege: missing.privilege, ...(missing.vm === undefined ? {} : { vm: missing.vm }),
  });
}

/** Uploads and new directories never take the place of a file only vmctld writes (reservedFor). */
export function assertNotReserved(host: Host, at: Located): void {
  const reason = reservedFor(at.absolute, host.datastores.root(at.datastore));
  if (reason) throw new VmctlError("forbidden", `"${at.path}" of datastore "${at.datastore}" cannot be uploaded or made: ${reason}`, { path: at.path, datastore: at.datastore });
}

/** Which entries of a listing the principal may see. */
export function listingFilter(host: Host, request: FastifyRequest): (absolute: string) => boolean {
  const principal = principalOf(request);
  const ctx = context(host);
  return (absolute) => visibleInListing(principal, absolute, ctx);
}
