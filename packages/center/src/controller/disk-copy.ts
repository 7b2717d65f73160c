// Cold migration on local storage: the VM folder's files copied from the source host to the target
// through each host's datastore file API (download to a private temp dir, upload, with progress).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { VmctlError, type VmDetail } from "@vmctl/api-types";
import type { VmctlClient } from "@vmctl/client";
import type { ClusterTaskContext } from "../center-context.js";

export interface CopyFile { path: string; size: number }

/** The files of the VM's folder (relative to its datastore), without the definition (the target writes its own at register) and hidden files. */
export async function folderFiles(source: VmctlClient, detail: VmDetail): Promise<{ folder: string; files: CopyFile[] }> {
  const { datastores } = await source.datastores();
  const ds = datastores.find((d) => d.name === detail.datastore);
  if (!ds) throw new VmctlError("datastore_not_found", `the source host lists no datastore "${detail.datastore}" for ${detail.name}`);
  const folder = relative(ds.path, dirname(detail.definitionPath));
  if (!folder || folder.startsWith("..")) throw new VmctlError("migration_incompatible", `${detail.name}'s definition is not inside a folder of datastore ${detail.datastore}: it cannot be copied`);
  const definitionName = basename(detail.definitionPath);
  const files: CopyFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    const listing = await source.listFiles(detail.datastore, dir);
    for (const entry of listing.entries) {
      if (entry.name.startsWith(".")) continue;
      const path = `${dir}/${entry.name}`;
      if (entry.type === "dir") await walk(path);
      else if (!(dir === folder && entry.name === definitionName)) files.push({ path, size: entry.size });
    }
  };
  await walk(folder);
  return { folder, files };
}

/** Copies each file, logging it and moving the task's progress across [from, to]; answers the bytes sent. */
export async function copyFiles(source: VmctlClient, target: VmctlClient, datastore: string, files: CopyFile[], tctx: ClusterTaskContext, range: { from: number; to: number }): Promise<number> {
  const total = files.reduce((sum, f) => sum + f.size, 0) || 1;
  const dir = await mkdtemp(join(tmpdir(), "vmcenter-copy-"));
  let done = 0;
  try {
    // The folders first (an upload may not make them); one that exists already is fine.
    const folders = [...new Set(files.map((f) => dirname(f.path)))].sort((a, b) => a.length - b.length);
    for (const folder of folders) {
      const parts = folder.split("/");
      for (let i = 1; i <= parts.length; i++) await target.makeDirectory(datastore, parts.slice(0, i).join("/")).catch(() => undefined);
    }
    for (const [index, file] of files.entries()) {
      if (tctx.signal.aborted) throw new VmctlError("internal", "cancelled while copying disk files; the VM stays on the source");
      tctx.log(`copying ${datastore}:${file.path} (${Math.round(file.size / 2 ** 20)} MiB)`);
      const local = join(dir, String(index));
      const report = (bytes: number) => tctx.progress(range.from + ((range.to - range.from) * (done + bytes)) / total);
      await source.downloadFile(datastore, file.path, local, { onProgress: (p) => report(p.done / 2) });
      await target.uploadFile(datastore, file.path, local, { overwrite: true, onProgress: (p) => report(file.size / 2 + p.done / 2) });
      await rm(local, { force: true });
      done += file.size;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return done;
}

/** Removes what a failed copy left on the target (best effort). */
export async function removeCopied(target: VmctlClient, datastore: string, files: CopyFile[], folder: string): Promise<void> {
  for (const file of files) await target.deleteFile(datastore, file.path).catch(() => undefined);
  await target.deleteFile(datastore, folder).catch(() => undefined);
}
