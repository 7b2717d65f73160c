// vmctl ds ls|add|rm|files|upload|download|delete|mkdir and vmctl iso ls|upload: the datastores, the
// files in them and the ISO library. Uploads show progress on stderr and continue an upload that
// was cut off, by a dropped connection or by an earlier run.
import { existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { Command } from "commander";
import { humanSize } from "@vmctl/definition/sizes";
import type { Datastore, DatastoreAddRequest } from "@vmctl/api-types";
import { apiPaths, type VmctlClient } from "@vmctl/client";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson, printTable, progressLine } from "../output.js";

/** REMOTE as given, in a directory when it ends with "/", or the local file's name at the root. */
export function remotePath(local: string, remote: string | undefined): string {
  if (remote === undefined || remote === "") return basename(local);
  return remote.endsWith("/") ? `${remote}${basename(local)}` : remote;
}

async function upload(client: VmctlClient, datastore: string, local: string, remote: string, options: { overwrite?: boolean; restart?: boolean }, json: boolean) {
  if (!existsSync(local) || !statSync(local).isFile()) throw new CliError(`"${local}" is not a file on this machine`, "bad_request", 2);
  const progress = progressLine(`uploading ${basename(local)}`, json);
  try {
    return await client.uploadFile(datastore, remote, resolve(local), {
      ...(options.overwrite ? { overwrite: true } : {}),
      resume: !options.restart,
      onProgress: ({ done, total }) => progress.update(done, total),
      onResume: (offset, total) => {
        progress.end();
        process.stderr.write(`resuming the upload of ${remote} at ${humanSize(offset)} of ${humanSize(total)}\n`);
      },
    });
  } finally {
    progress.end();
  }
}

export function registerDatastore(program: Command, globals: () => GlobalOptions): void {
  const json = () => globals().json ?? false;
  const client = () => clientFor(globals());
  const ds = program.command("ds").alias("datastore").description("datastores and the files in them");

  ds.command("ls").alias("list").description("list datastores with capacity and free space").action(async () => {
    const { datastores } = await client().datastores();
    if (json()) return printJson(datastores);
    printTable(["NAME", "ORIGIN", "SHARED", "CAPACITY", "FREE", "PATH"], datastores.map((d) => [d.name, d.origin, d.shared ? "yes" : "-", humanSize(d.capacityBytes), humanSize(d.freeBytes), d.path]));
  });

  ds.command("add").description("add a datastore: a directory on this host (made when missing)").argument("<name>").argument("<path>")
    .option("--shared", "the same storage is mounted under this name on every host of the cluster (NFS, a cluster filesystem)")
    .action(async (name: string, path: string, options: { shared?: boolean }) => {
      const api = client();
      const request: DatastoreAddRequest = { name, path: resolve(path), ...(options.shared ? { shared: true } : {}) };
      const added = options.shared ? await api.call<Datastore>("POST", apiPaths.datastores(), request) : await api.addDatastore(request.name, request.path);
      if (json()) return printJson(added);
      process.stdout.write(`added ${added.shared ? "shared " : ""}datastore ${added.name} at ${added.path} (${humanSize(added.freeBytes)} free)\n`);
    });

  ds.command("rm").alias("remove").description("remove a datastore added with `vmctl ds add` (its files stay)").argument("<name>")
    .action(async (name: string) => {
      const removed = await client().removeDatastore(name);
      if (json()) return printJson(removed);
      process.stdout.write(`removed datastore ${removed.name}; its files stay in ${removed.path}\n`);
    });

  ds.command("files").alias("browse").description("list a directory of a datastore").argument("<datastore>").argument("[path]", "a directory in it", "")
    .action(async (datastore: string, path: string) => {
      const listing = await client().listFiles(datastore, path);
      if (json()) return printJson(listing);
      if (listing.entries.length === 0) {
        process.stdout.write(`${datastore}:${listing.path || "/"} is empty\n`);
        return;
      }
      printTable(["TYPE", "SIZE", "MODIFIED", "NAME"], listing.entries.map((e) => [e.type, e.type === "dir" ? "-" : humanSize(e.size), e.mtime.slice(0, 19).replace("T", " "), e.type === "dir" ? `${e.name}/` : e.name]));
    });

  ds.command("upload").description("upload a file; an upload cut off earlier continues where it stopped").argument("<datastore>").argument("<local>", "the file on this machine")
    .argument("[remote]", "its path in the datastore (default: the file's name; ending in / means into that directory)")
    .option("--overwrite", "replace a file that exists").option("--restart", "start over instead of continuing an unfinished upload")
    .action(async (datastore: string, local: string, remote: string | undefined, options: { overwrite?: boolean; restart?: boolean }) => {
      const target = remotePath(local, remote);
      const status = await upload(client(), datastore, local, target, options, json());
      if (json()) return printJson(status);
      process.stdout.write(`uploaded ${local} to ${datastore}:${status.path} (${humanSize(status.received)})\n`);
    });

  ds.command("download").description("download a file").argument("<datastore>").argument("<remote>", "its path in the datastore")
    .argument("[local]", "where to write it (default: its name, here)").option("--overwrite", "replace a local file that exists")
    .action(async (datastore: string, remote: string, local: string | undefined, options: { overwrite?: boolean }) => {
      let target = resolve(local ?? basename(remote));
      if (existsSync(target) && statSync(target).isDirectory()) target = resolve(target, basename(remote));
      finishDownload(await download(client(), datastore, remote, target, options, json()), json());
    });

  ds.command("delete").description("delete a file or an empty directory (not a VM's folder or a file a VM uses)").argument("<datastore>").argument("<path>")
    .action(async (datastore: string, path: string) => {
      const deleted = await client().deleteFile(datastore, path);
      if (json()) return printJson(deleted);
      process.stdout.write(`deleted ${deleted.type === "dir" ? "directory" : "file"} ${datastore}:${deleted.path}\n`);
    });

  ds.command("mkdir").description("make a directory (and its missing parents)").argument("<datastore>").argument("<path>")
    .action(async (datastore: string, path: string) => {
      const made = await client().makeDirectory(datastore, path);
      if (json()) return printJson(made);
      process.stdout.write(`made directory ${datastore}:${made.path}\n`);
    });

  const iso = program.command("iso").description("the ISO library: iso/*.iso of every datastore");
  iso.command("ls").alias("list").description("list ISO images with size and SHA-256").action(async () => {
    const isos = await client().listIsos();
    if (json()) return printJson(isos);
    if (isos.length === 0) {
      process.stdout.write("no ISO images; `vmctl iso upload FILE.iso` adds one\n");
      return;
    }
    printTable(["DATASTORE", "PATH", "SIZE", "MODIFIED", "SHA256"], isos.map((i) => [i.datastore, i.path, humanSize(i.size), i.mtime.slice(0, 19).replace("T", " "), i.sha256 ?? "(computing)"]));
  });

  iso.command("upload").description("upload an ISO image into <datastore>/iso/").argument("<local>", "an .iso file on this machine")
    .option("--datastore <name>", "the datastore (default: local)", "local").option("--overwrite", "replace an image of that name").option("--restart", "start over instead of continuing an unfinished upload")
    .action(async (local: string, options: { datastore: string; overwrite?: boolean; restart?: boolean }) => {
      if (!/\.iso$/i.test(local)) throw new CliError(`"${local}" does not end in .iso; the library lists only .iso files (\`vmctl ds upload\` takes any file)`, "bad_request", 2);
      const status = await upload(client(), options.datastore, local, `iso/${basename(local)}`, options, json());
      if (json()) return printJson(status);
      process.stdout.write(`uploaded ${basename(local)} to ${options.datastore}:${status.path}; its checksum is being computed (\`vmctl iso ls\`)\n`);
    });
}

async function download(client: VmctlClient, datastore: string, remote: string, local: string, options: { overwrite?: boolean }, json: boolean) {
  if (existsSync(local) && !options.overwrite) throw new CliError(`"${local}" exists; add --overwrite to replace it`, "file_exists", 1);
  const progress = progressLine(`downloading ${basename(remote)}`, json);
  try {
    return await client.downloadFile(datastore, remote, local, { onProgress: ({ done, total }) => progress.update(done, total) });
  } finally {
    progress.end();
  }
}

function finishDownload(result: { path: string; size: number }, json: boolean): void {
  if (json) return printJson(result);
  process.stdout.write(`downloaded ${result.path} (${humanSize(result.size)})\n`);
}
