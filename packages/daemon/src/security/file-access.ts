// May this principal make a VM use this datastore file, or read or change it through the datastore
// browser? One answer for every route that names a file: a VM's folder and the disks it writes
// belong to that VM and need rights on it; other files need the datastore privileges at host scope.
import { realpathSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { VmctlError, type VmDefinition } from "@vmctl/api-types";
import { inspectImage } from "@vmctl/qemu";
import { within, type Datastores } from "../domain/datastores.js";
import type { InventoryEntry } from "../domain/inventory.js";
import { filesUsedBy } from "../domain/vm-file-usage.js";
import { can, type Principal } from "./principal.js";
import type { Privilege } from "./privileges.js";

/** "read": the guest (or a copy) reads the file; "write": the guest may change it, or it is created. */
export type FileMode = "read" | "write";

/** A file a VM is to use, as the definition or the request names it; a disk's format says what QEMU reads through it. */
export interface FileRef { field: string; datastore: string; file: string; mode: FileMode; format?: "qcow2" | "raw" }

export interface FileAccessContext { entries: readonly InventoryEntry[]; datastores: Datastores }

/** Who a file belongs to: the VM whose folder holds it, or that uses it as a disk it writes. */
interface Claim { vm: string; as: "folder" | "disk" | "media" }

/** What is missing: a privilege at host scope, or on a VM. */
export interface Missing { privilege: Privilege; vm?: string; reason: string }

/** The path with every symlink of its existing part resolved, so a link cannot hide whose file it is. */
export function canonical(path: string): string {
  let existing = path;
  const rest: string[] = [];
  while (dirname(existing) !== existing) {
    try {
      return join(realpathSync(existing), ...rest.reverse());
    } catch {
      rest.push(basename(existing));
      existing = dirname(existing);
    }
  }
  return path;
}

/** Who claims what, resolved once per context: folders by their real path, and the files VMs use. */
interface ClaimIndex { folders: Map<string, string>; uses: Map<string, Array<{ vm: string; writes: boolean }>> }
const indexes = new WeakMap<FileAccessContext, ClaimIndex>();

function indexOf(ctx: FileAccessContext): ClaimIndex {
  let index = indexes.get(ctx);
  if (index) return index;
  index = { folders: new Map(), uses: new Map() };
  for (const entry of ctx.entries) {
    index.folders.set(canonical(entry.dir), entry.name);
    for (const use of filesUsedBy(entry, ctx.datastores)) {
      if (use.use === "folder") continue;
      const writes = use.use.startsWith("disks.") && !entry.def?.disks[use.use.split(".")[1]!]?.readonly;
      const path = canonical(use.path);
      index.uses.set(path, [...(index.uses.get(path) ?? []), { vm: entry.name, writes }]);
    }
  }
  indexes.set(ctx, index);
  return index;
}

/** Every VM (but `self`) with a claim on the path, and what claim. */
export function claimsOn(path: string, self: string | undefined, ctx: FileAccessContext): Claim[] {
  const target = canonical(path);
  const index = indexOf(ctx);
  const claims: Claim[] = [];
  for (let at = target; ; at = dirname(at)) {
    const vm = index.folders.get(at);
    if (vm !== undefined && vm !== self) claims.push({ vm, as: "folder" });
    if (dirname(at) === at) break;
  }
  const byVm = new Map<string, boolean>();
  for (const use of index.uses.get(target) ?? []) byVm.set(use.vm, (byVm.get(use.vm) ?? false) || use.writes);
  for (const [vm, writes] of byVm) {
    if (vm !== self && !claims.some((claim) => claim.vm === vm)) claims.push({ vm, as: writes ? "disk" : "media" });
  }
  return claims;
}

function inFolderOf(path: string, vm: string | undefined, ctx: FileAccessContext): boolean {
  const entry = ctx.entries.find((e) => e.name === vm);
  return entry !== undefined && within(canonical(entry.dir), canonical(path));
}

/** What `principal` lacks for VM `self` to use the file (`selfDir`: the folder of a VM not yet in the inventory). */
export function missingForUse(principal: Principal, self: string, path: string, mode: FileMode, ctx: FileAccessContext, selfDir?: string): Missing | null {
  const claims = claimsOn(path, self, ctx);
  for (const claim of claims) {
    // Shared media (an ISO another VM has inserted) stays shared for reading; changing it changes that VM.
    if (claim.as === "media" && mode === "read") continue;
    if (!can(principal, "vm.edit", claim.vm)) {
      const reason = claim.as === "folder" ? `it lies in the folder of VM "${claim.vm}"` : claim.as === "disk" ? `it is a disk of VM "${claim.vm}"` : `VM "${claim.vm}" uses it`;
      return { privilege: "vm.edit", vm: claim.vm, reason };
    }
  }
  const own = inFolderOf(path, self, ctx) || (selfDir !== undefined && within(canonical(selfDir), canonical(path)));
  // A file of the VM's own folder, or of a folder whose VM the principal may edit (checked above).
  if (own || claims.some((claim) => claim.as === "folder")) return null;
  if (!can(principal, "datastore.read")) return { privilege: "datastore.read", reason: "it is a datastore file outside the VM's folder" };
  if (mode === "write" && !can(principal, "datastore.write")) return { privilege: "datastore.write", reason: "the guest could change a datastore file outside the VM's folder" };
  return null;
}

export function forbiddenFile(principal: Principal, ref: FileRef, missing: Missing): VmctlError {
  const on = missing.vm === undefined ? "" : ` on VM "${missing.vm}"`;
  const verb = ref.mode === "write" ? "give a VM write access to" : "give a VM";
  return new VmctlError("forbidden", `${ref.field}: ${principal.name} may not ${verb} "${ref.file}" of datastore "${ref.datastore}": ${missing.reason}, which needs the privilege "${missing.privilege}"${on}`, {
    field: ref.field, file: ref.file, datastore: ref.datastore, privilege: missing.privilege, ...(missing.vm === undefined ? {} : { vm: missing.vm }),
  });
}

/** Refuses the first file `self` may not use, naming the field, the file and the privilege (and VM) it needs. */
export function assertFileAccess(principal: Principal, self: string, refs: readonly FileRef[], ctx: FileAccessContext, selfDir?: string): void {
  for (const ref of refs) {
    const path = ctx.datastores.resolve(ref.datastore, ref.file);
    const missing = missingForUse(principal, self, path, ref.mode, ctx, selfDir);
    if (missing) throw forbiddenFile(principal, ref, missing);
  }
}

/**
 * assertFileAccess, and then for every existing qcow2 disk the files its header makes QEMU read
 * (backing chain, external data file): each must be one the principal may give the VM too, or a
 * qcow2 uploaded into one's own folder could read another VM's disk as its backing file.
 */
export async function assertFileAccessDeep(principal: Principal, self: string, refs: readonly FileRef[], ctx: FileAccessContext, selfDir?: string): Promise<void> {
  assertFileAccess(principal, self, refs, ctx, selfDir);
  for (const ref of refs) {
    if (ref.format !== "qcow2") continue;
    const path = ctx.datastores.resolve(ref.datastore, ref.file);
    if (!isFile(path)) continue; // a disk still to be created has no header yet
    await inspectImage(path, "qcow2", {
      check: (file) => {
        if (file.role === "image") return;
        const missing = missingForUse(principal, self, file.realPath, "read", ctx, selfDir);
        if (missing) throw forbiddenFile(principal, ref, { ...missing, reason: `its ${file.role} "${file.reference ?? file.path}" ${missing.reason.replace(/^it /, "")}` });
      },
    });
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Every file a definition makes its VM use, in the VM's datastore unless named otherwise. */
export function fileRefsOf(def: VmDefinition, datastore: string): FileRef[] {
  const refs: FileRef[] = Object.entries(def.disks).map(([id, d]) => ({ field: `disks.${id}.file`, datastore: d.datastore ?? datastore, file: d.file, mode: d.readonly ? "read" : "write", format: d.format }));
  for (const [id, c] of Object.entries(def.cdroms)) if (c.iso !== undefined) refs.push({ field: `cdroms.${id}.iso`, datastore: c.datastore ?? datastore, file: c.iso, mode: "read" });
  for (const key of ["kernel", "initrd"] as const) {
    const file = def.boot[key];
    if (file !== undefined) refs.push({ field: `boot.${key}`, datastore: def.boot.datastore ?? datastore, file, mode: "read" });
  }
  return refs;
}

/**
 * The files `after` uses that `before` did not (or now writes where it only read, or reads in
 * another format: raw bytes the guest wrote become a qcow2 header naming a backing file): only
 * those need checking.
 */
export function changedFileRefs(before: VmDefinition | undefined, after: VmDefinition, datastore: string): FileRef[] {
  const held = new Map<string, FileMode>();
  const key = (ref: FileRef) => `${ref.datastore}\0${ref.file}\0${ref.format ?? ""}`;
  for (const ref of before ? fileRefsOf(before, datastore) : []) if (held.get(key(ref)) !== "write") held.set(key(ref), ref.mode);
  return fileRefsOf(after, datastore).filter((ref) => {
    const had = held.get(key(ref));
    return had === undefined || (had === "read" && ref.mode === "write");
  });
}

/**
 * What the datastore browser needs beyond the route's datastore privilege, for a path of a VM:
 * listing its folder or reading its definition needs vm.read on it; its disks, memory (.vmstate),
 * UEFI variables and anything else in it need vm.edit (they hold everything the guest holds), as does
 * any change. Other paths need nothing more.
 */
export function missingForBrowse(principal: Principal, path: string, action: "list" | "read" | "change", ctx: FileAccessContext): Missing | null {
  const target = canonical(path);
  for (const claim of claimsOn(path, undefined, ctx)) {
    if (claim.as === "media") continue;
    const entry = ctx.entries.find((e) => e.name === claim.vm)!;
    // The definition as written holds any cloud-init password hashes and user-data, which a reader
    // without vm.edit sees hidden through GET /vms/{name}/definition, never here in the raw.
    const definition = canonical(entry.file) === target;
    const secrets = definition && holdsCloudInitSecrets(entry);
    const metadata = action === "list" || (action === "read" && definition && !secrets);
    const privilege: Privilege = metadata ? "vm.read" : "vm.edit";
    if (!can(principal, privilege, claim.vm)) {
      if (secrets && action === "read") return { privilege, vm: claim.vm, reason: `it is the definition of VM "${claim.vm}" with cloud-init secrets (GET /api/v1/vms/${claim.vm}/definition shows it with them hidden)` };
      const what = claim.as === "disk" ? `a disk of VM "${claim.vm}"` : canonical(entry.dir) === target ? `the folder of VM "${claim.vm}"` : `in the folder of VM "${claim.vm}"`;
      return { privilege, vm: claim.vm, reason: `it is ${what}` };
    }
  }
  return null;
}

/**
 * Whether a definition as written holds [cloud_init] password hashes or user-data, which only
 * holders of vm.edit may read: by its data (a key spelt with escapes is still that key), or by its
 * text when it does not validate.
 */
export function holdsCloudInitSecrets(entry: Pick<InventoryEntry, "text" | "def">): boolean {
  if (!entry.def) return /password_hash|user_data|\\[uU]/.test(entry.text);
  const ci = entry.def.cloud_init;
  return ci !== undefined && (ci.user_data !== undefined || ci.users.some((u) => u.password_hash !== undefined));
}

/**
 * Why a datastore path may not be uploaded or made through the browser, if it is a file only vmctld
 * writes: where a VM's definition lives (<ds>/<name>/<name>.toml: a VM defined by upload would name
 * any file unchecked), or a VM's snapshot tree and saved memory (a revert or resume would load them).
 */
export function reservedFor(path: string, datastoreRoot: string): string | undefined {
  const folder = dirname(path);
  const name = basename(folder);
  const file = basename(path);
  if (dirname(folder) !== datastoreRoot) return undefined;
  if (file === `${name}.toml`) return `it is where the definition of VM "${name}" lives; define and change VMs through /api/v1/vms`;
  if (file === "snapshots.json" || file === `${name}.vmstate`) return `it is VM "${name}"'s ${file === "snapshots.json" ? "snapshot tree" : "saved memory"}, which only vmctld writes`;
  return undefined;
}

/** Whether a listing shows the path: not a VM's folder or disk the principal may not read. */
export function visibleInListing(principal: Principal, path: string, ctx: FileAccessContext): boolean {
  return claimsOn(path, undefined, ctx).every((claim) => claim.as === "media" || can(principal, "vm.read", claim.vm));
}
