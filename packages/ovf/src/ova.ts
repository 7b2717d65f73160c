// OVF packages as files: reading an OVF folder (descriptor, manifest, referenced files), extracting
// and reading an OVA, and writing a VM out as an OVA that vmctl (and VMware) read back.
import { readdir, readFile, stat } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { VmDefinition } from "@vmctl/api-types";
import { OvfError } from "./errors.js";
import { parseOvf } from "./ovf-parse.js";
import { buildOvf } from "./ovf-build.js";
import { digestFile, formatManifest, verifyManifest, type FileDigests } from "./manifest.js";
import { extractTar, type ExtractOptions } from "./tar-extract.js";
import { createTarStream, tarSize, type TarWriteEntry } from "./tar-write.js";
import type { TarSource } from "./tar-source.js";
import { lstatInside, quote } from "./safe-path.js";
import { MAX_XML_CHARS } from "./xml.js";
import type { ImportedVm } from "./model.js";

export interface OvfPackage {
  folder: string;
  /** The descriptor's file name inside the folder. */
  descriptor: string;
  vm: ImportedVm;
  /** Absolute path of every file a disk or CD drive refers to, by its href. */
  files: Record<string, string>;
  /** "verified" when a manifest was there and every file matched it. */
  manifest: "verified" | "absent";
}

export interface ReadPackageOptions {
  /** Refuse a package without a manifest (default: accept it, as VMware does). */
  requireManifest?: boolean;
}

function invalid(message: string): OvfError {
  return new OvfError("package_invalid", message);
}

/**
 * Reads the one .ovf at the top of `folder`, checks the manifest and the files it refers to.
 * `known` holds digests already taken of files in the folder (by name), which are then not read.
 */
export async function readOvfFolder(folder: string, options: ReadPackageOptions = {}, known?: ReadonlyMap<string, FileDigests>): Promise<OvfPackage> {
  const names = (await readdir(folder)).filter((name) => /\.ovf$/i.test(name));
  if (names.length !== 1) throw invalid(`${quote(folder)} holds ${names.length} .ovf descriptors; an OVF package has exactly one`);
  const descriptor = names[0]!;
  const descriptorStat = await lstatInside(folder, descriptor);
  if (!descriptorStat?.isFile()) throw invalid(`${quote(descriptor)} is not a regular file`);
  if (descriptorStat.size > MAX_XML_CHARS) throw invalid(`${quote(descriptor)} is ${descriptorStat.size} bytes; a descriptor is at most ${MAX_XML_CHARS}`);
  const vm = parseOvf(await readFile(join(folder, descriptor), "utf8"));

  const manifestName = descriptor.replace(/\.ovf$/i, ".mf");
  const manifestStat = await lstatInside(folder, manifestName);
  let covered: Set<string> | undefined;
  if (manifestStat?.isFile()) {
    if (manifestStat.size > 1024 * 1024) throw invalid(`${quote(manifestName)} is larger than 1 MiB`);
    const entries = await verifyManifest(folder, await readFile(join(folder, manifestName), "utf8"), known);
    covered = new Set(entries.map((entry) => entry.file));
    if (!covered.has(descriptor)) throw invalid(`the manifest ${quote(manifestName)} does not cover the descriptor ${quote(descriptor)}`);
  } else if (options.requireManifest) {
    throw invalid(`the package has no manifest ${quote(manifestName)}, and one is required`);
  }

  const files: Record<string, string> = {};
  const referenced = [
    ...vm.disks.flatMap((disk) => (disk.fileHref === undefined ? [] : [{ href: disk.fileHref, size: disk.fileSizeBytes }])),
    ...vm.cdroms.flatMap((cdrom) => (cdrom.fileHref === undefined ? [] : [{ href: cdrom.fileHref, size: undefined }])),
  ];
  for (const { href, size } of referenced) {
    const fileStat = await lstatInside(folder, href);
    if (!fileStat?.isFile()) throw invalid(`the descriptor refers to ${quote(href)}, which is not a file of the package`);
    if (size !== undefined && fileStat.size !== size) throw invalid(`${quote(href)} is ${fileStat.size} bytes; the descriptor says ${size}`);
    if (covered && !covered.has(href)) throw invalid(`${quote(href)} is not in the manifest, so it cannot be checked`);
    files[href] = join(folder, href);
  }
  return { folder, descriptor, vm, files, manifest: covered ? "verified" : "absent" };
}

/**
 * Extracts an OVA into `target` and reads it as an OVF folder. Any refusal, of the archive or of
 * the package inside it, removes everything extracted.
 */
export async function extractOva(source: TarSource, target: string, options: ExtractOptions & ReadPackageOptions): Promise<OvfPackage> {
  let result: OvfPackage | undefined;
  await extractTar(source, target, {
    ...options,
    accept: async (members) => {
      const first = members[0];
      if (!first || first.type !== "file" || !/\.ovf$/i.test(first.name) || first.name.includes("/")) {
        throw invalid(`the first member of an OVA must be its .ovf descriptor; it is ${quote(first?.name ?? "nothing")}`);
      }
      // The digests taken while extracting spare reading every disk back before the answer.
      const known = new Map(members.flatMap((member) => (member.digests ? [[member.name, member.digests] as const] : [])));
      result = await readOvfFolder(target, options, known);
      await options.accept?.(members);
    },
  });
  return result!;
}

export interface OvaDisk {
  /** The vmctl disk id. */
  id: string;
  /** A stream-optimized VMDK already converted from the disk (qemu-img convert -O vmdk -o subformat=streamOptimized). */
  path: string;
  capacityBytes: number;
}

export interface CreateOvaInput {
  definition: VmDefinition;
  definitionToml?: string;
  disks: OvaDisk[];
  mtime?: Date;
}

/**
 * The OVA of a VM as a stream: descriptor, manifest (SHA256 of each file), then the disks, in the
 * order ovftool writes them. The disks are read twice, once for their digests before streaming.
 */
export async function createOva(input: CreateOvaInput): Promise<{ name: string; size: number; stream: Readable }> {
  const base = input.definition.name;
  const files: Array<OvaDisk & { href: string; size: number; sha256: string }> = [];
  for (const disk of input.disks) {
    // One disk after another: reading several large files at once only makes the disk seek.
    files.push({ ...disk, href: `${base}-${disk.id}.vmdk`, size: (await stat(disk.path)).size, sha256: await digestFile(disk.path) });
  }
  const descriptorName = `${base}.ovf`;
  const descriptor = Buffer.from(buildOvf({
    definition: input.definition,
    disks: files.map((file) => ({ id: file.id, href: file.href, fileSizeBytes: file.size, capacityBytes: file.capacityBytes })),
    ...(input.definitionToml === undefined ? {} : { definitionToml: input.definitionToml }),
  }));
  const manifest = Buffer.from(formatManifest([
    { file: descriptorName, sha256: createHash("sha256").update(descriptor).digest("hex") },
    ...files.map((file) => ({ file: file.href, sha256: file.sha256 })),
  ]));
  const fromBuffer = (buffer: Buffer) => (async function* () { yield buffer; })();
  const entries: TarWriteEntry[] = [
    { name: descriptorName, size: descriptor.length, open: () => fromBuffer(descriptor) },
    { name: `${base}.mf`, size: manifest.length, open: () => fromBuffer(manifest) },
    ...files.map((file) => ({ name: file.href, size: file.size, open: () => createReadStream(file.path, { highWaterMark: 1024 * 1024 }) })),
  ];
  return { name: `${base}.ova`, size: tarSize(entries), stream: createTarStream(entries, input.mtime ? { mtime: input.mtime } : {}) };
}
