// Extracts a tar (an OVA) into a folder, all or nothing: members go to temporary names in the
// folder itself and are renamed only when the whole archive has been read and accepted, so a
// refused or broken archive leaves nothing behind. Each file is hashed as it is written, so a
// manifest check after extraction need not read the files back.
import { createHash, randomBytes } from "node:crypto";
import { lstat, mkdir, open, rename, rmdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { OvfError } from "./errors.js";
import { MANIFEST_ALGORITHMS, type FileDigests } from "./manifest.js";
import { readTarMembers, type TarMember, type TarReadOptions } from "./tar-read.js";
import type { TarSource } from "./tar-source.js";
import { quote } from "./safe-path.js";

export interface ExtractOptions extends TarReadOptions {
  /** Required for extraction: the most bytes the members may add up to. */
  maxBytes: number;
  /**
   * Runs on the extracted files before extractTar returns (an OVA's manifest check, say); when it
   * throws, everything extracted is removed as for a refused archive.
   */
  accept?: (members: ExtractedMember[]) => Promise<void>;
}

export interface ExtractedMember extends TarMember {
  /** Absolute path of the extracted file or folder. */
  path: string;
  /** A file's digests in every algorithm a manifest may use, computed while it was written. */
  digests?: FileDigests;
}

/** Undo steps registered as side effects happen, run newest first when a later step fails. */
class Undo {
  private readonly steps: Array<() => Promise<unknown>> = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch(() => undefined);
  }
}

export async function extractTar(source: TarSource, target: string, options: ExtractOptions): Promise<ExtractedMember[]> {
  if (!(options.maxBytes >= 0)) throw new RangeError("extractTar: maxBytes must be a byte count");
  const undo = new Undo();
  try {
    await ensureTarget(target, undo);
    const tag = randomBytes(6).toString("hex");
    const written: Array<{ member: TarMember; temp?: string; digests?: FileDigests }> = [];
    for await (const { member, body } of readTarMembers(source, options)) {
      if (member.type === "directory") {
        written.push({ member });
        continue;
      }
      // Members' own modes are not applied: extracted files are readable by vmctld alone.
      const temp = join(target, `.vmctl-extract-${tag}-${written.length}.part`);
      const handle = await open(temp, "wx", 0o600);
      undo.add(() => unlink(temp));
      const hashes = MANIFEST_ALGORITHMS.map((algorithm) => createHash(algorithm.toLowerCase()));
      try {
        for await (const chunk of body) {
          for (const hash of hashes) hash.update(chunk);
          await handle.write(chunk);
        }
      } finally {
        await handle.close();
      }
      const digests = Object.fromEntries(MANIFEST_ALGORITHMS.map((algorithm, i) => [algorithm, hashes[i]!.digest("hex")])) as FileDigests;
      written.push({ member, temp, digests });
    }
    const result: ExtractedMember[] = [];
    for (const { member, temp, digests } of written) {
      const path = join(target, member.name);
      const parts = member.name.split("/");
      await ensureFolders(target, member.type === "directory" ? parts : parts.slice(0, -1), undo);
      if (temp !== undefined) {
        if (await lstat(path).then(() => true, () => false)) {
          throw new OvfError("tar_refused", `tar member ${quote(member.name)} would replace a file already in the target folder; the archive is refused`);
        }
        await rename(temp, path);
        undo.add(() => unlink(path));
      }
      result.push(digests === undefined ? { ...member, path } : { ...member, path, digests });
    }
    await options.accept?.(result);
    return result;
  } catch (error) {
    await undo.run();
    throw error;
  }
}

async function ensureTarget(target: string, undo: Undo): Promise<void> {
  try {
    await mkdir(target);
    undo.add(() => rmdir(target));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const stat = await lstat(target);
    if (!stat.isDirectory()) throw new Error(`extractTar: target ${quote(target)} exists and is not a folder`);
  }
}

/** Creates each folder component in turn, refusing one that exists as a link or a file. */
async function ensureFolders(target: string, parts: string[], undo: Undo): Promise<void> {
  let path = target;
  for (const part of parts) {
    path = join(path, part);
    const stat = await lstat(path).catch(() => undefined);
    if (stat === undefined) {
      const created = path;
      await mkdir(created);
      undo.add(() => rmdir(created));
    } else if (!stat.isDirectory()) {
      throw new OvfError("tar_refused", `${quote(path)} already exists in the target and is not a folder; the archive is refused`);
    }
  }
}
