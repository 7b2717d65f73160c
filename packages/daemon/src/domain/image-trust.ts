// Every byte of a disk image comes from where its user may read: before qemu-img or QEMU opens an
// image, every file it would read (backing chain, VMDK extents, data files) must resolve, symlinks
// followed, inside the allowed roots: an import's package, or the datastores for a VM's own disks.
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { VmctlError } from "@vmctl/api-types";
import { inspectImage, type ImageFile, type InspectFormat } from "@vmctl/qemu";
import type { DiskFormat } from "@vmctl/ovf";
import { within, type Datastores } from "./datastores.js";
import type { InventoryEntry } from "./inventory.js";
import { canonical, claimsOn } from "../security/file-access.js";

export interface TrustScope {
  /** Folders every file must lie in (already free of symlinks, or resolved here). */
  roots: string[];
  /** Where that is, and the rule, for the message: "outside the package: an imported disk may only read files of its package". */
  where: string;
  rule: string;
  /** Refuse a raw image whose bytes announce another format (an import declaring the wrong one). */
  exactFormat?: boolean;
  /**
   * Whose a file the image reads (not the image itself) must not be: answers why it is refused
   * ("it is a disk of VM \"b\""), or null. Set by vmDiskScope for a VM's own disk chain.
   */
  foreign?: (realPath: string) => string | null;
}

/** The scope of an import: only the files of its package. */
export function packageScope(folder: string): TrustScope {
  return { roots: [realpathSync(folder)], where: "the package", rule: "an imported disk may only read files of its package", exactFormat: true };
}

/** The scope of a VM's disks: the datastores (which datastore files a user may reach is checked where the request is authorised). */
export function datastoreScope(datastores: Datastores, rule = "a disk may only read files in a datastore"): TrustScope {
  return { roots: datastores.names().map((name) => datastores.root(name)), where: "every datastore", rule };
}

/**
 * The scope of VM `vm`'s own disk chains (start, attach, clone, export, disk list, resize,
 * snapshots): every file in a datastore, and none that belongs to another VM. A qcow2 header is
 * written by the VM's QEMU (an escaped guest), so a backing or data file it names is nobody's
 * request: it may be the VM's own (its folder, its definition's files), a shared file no VM owns
 * (a base image, media someone attached on purpose), or a disk of a template (what a linked clone
 * reads through to); never another VM's disk, folder file or saved memory (`.vmstate`).
 */
export function vmDiskScope(datastores: Datastores, entries: readonly InventoryEntry[], vm: string, rule?: string): TrustScope {
  const ctx = { entries, datastores };
  const isDiskOf = (owner: InventoryEntry, path: string) => Object.values(owner.def?.disks ?? {}).some((disk) => {
    try { return canonical(datastores.resolve(disk.datastore ?? owner.datastore, disk.file)) === path; } catch { return false; }
  });
  const foreign = (realPath: string): string | null => {
    const path = canonical(realPath);
    for (const claim of claimsOn(path, vm, ctx)) {
      if (claim.as === "media") continue; // another VM only reads it: shared media
      const owner = entries.find((entry) => entry.name === claim.vm);
      if (!owner) continue;
      const disk = isDiskOf(owner, path);
      if (disk && owner.def?.template === true) continue; // a template's disk, read through by its linked clones
      const what = disk ? "a disk" : path === canonical(join(owner.dir, `${owner.name}.vmstate`)) ? "the memory file (.vmstate)" : "a file in the folder";
      return `it is ${what} of VM "${owner.name}"`;
    }
    return null;
  };
  return { ...datastoreScope(datastores, rule), foreign };
}

/**
 * Inspects `path` in `format` (never probed) and refuses it, naming `label` (e.g. `disk "evil.vmdk"`),
 * the file it refers to and the reason, when any file it reads lies outside the scope.
 */
export async function assertImageTrusted(path: string, format: InspectFormat, scope: TrustScope, label: string): Promise<ImageFile[]> {
  const check = (file: ImageFile) => {
    if (scope.roots.some((root) => within(root, file.realPath))) {
      const why = file.role === "image" ? null : scope.foreign?.(file.realPath);
      if (!why) return;
      const named = file.reference ?? file.path;
      throw new VmctlError("image_unsafe",
        `${label} refers to "${named}" (a ${file.role}${file.realPath !== named ? `, resolving to "${file.realPath}"` : ""}), and ${why}: a VM's disk may only read its own files, the disks of the template it is a linked clone of, and datastore files no VM owns`,
        { image: path, file: named, resolved: file.realPath, role: file.role, reason: why });
    }
    const named = file.reference ?? file.path;
    const resolved = file.realPath !== named ? `, resolving to "${file.realPath}"` : "";
    const what = file.role === "image" ? `is "${file.realPath}"` : `refers to "${named}" (a ${file.role}${resolved})`;
    throw new VmctlError("image_unsafe", `${label} ${what}, outside ${scope.where}: ${scope.rule}`, {
      image: path, file: file.reference ?? file.path, resolved: file.realPath, role: file.role,
    });
  };
  let files: ImageFile[];
  try {
    files = await inspectImage(path, format, { check });
  } catch (error) {
    if (error instanceof VmctlError && error.code === "image_unsafe" && !(error.details as { role?: string } | undefined)?.role) {
      const { reason } = error.details as { reason: string };
      throw new VmctlError("image_unsafe", `${label} cannot be used: ${reason}`, { image: path, reason });
    }
    throw error;
  }
  const looksLike = files[0]?.looksLike;
  // A whole-disk LUKS volume is a raw disk like any other; the other magics mean a mislabelled image.
  if (scope.exactFormat && format === "raw" && looksLike && looksLike !== "luks") {
    throw new VmctlError("image_unsafe", `${label} is declared raw but its content is a ${looksLike} image; declare its real format (vmctl never guesses one)`, { image: path, reason: "format mismatch", looksLike });
  }
  return files;
}

/** The format qemu-img reads an imported disk in; an unknown one is refused rather than probed. */
export function importFormat(format: DiskFormat, label: string): InspectFormat {
  if (format === "vmdk" || format === "vmdk-stream" || format === "vmdk-flat") return "vmdk";
  if (format === "raw" || format === "qcow2") return format;
  throw new VmctlError("image_unsafe", `${label} has no format vmctl knows (it imports VMDK, qcow2 and raw disks); vmctl never guesses a format from the content, so declare it in the descriptor`, { reason: "unknown format" });
}
