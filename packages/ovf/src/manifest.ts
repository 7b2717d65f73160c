// The OVA manifest (.mf): one "SHA256(file)= hex" line per file. vmctl writes SHA256 and reads
// SHA1 and SHA512 too, since older VMware exports use SHA1.
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { OvfError } from "./errors.js";
import { checkRelativeName, lstatInside, quote } from "./safe-path.js";

export const MANIFEST_ALGORITHMS = ["SHA1", "SHA256", "SHA512"] as const;
export type ManifestAlgorithm = (typeof MANIFEST_ALGORITHMS)[number];
/** One file's digest in each algorithm, lower-case hex. */
export type FileDigests = Record<ManifestAlgorithm, string>;
export interface ManifestEntry { algorithm: ManifestAlgorithm; file: string; digest: string }

const HEX_LENGTH: Record<ManifestAlgorithm, number> = { SHA1: 40, SHA256: 64, SHA512: 128 };

export function parseManifest(text: string): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  const seen = new Set<string>();
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const match = /^(SHA1|SHA256|SHA512)\((.+)\)\s*=\s*([0-9a-fA-F]+)$/.exec(line);
    if (!match) throw new OvfError("manifest_invalid", `manifest line ${index + 1} is not "SHA256(file)= digest": ${quote(line)}`);
    const algorithm = match[1] as ManifestAlgorithm;
    const digest = match[3]!.toLowerCase();
    const checked = checkRelativeName(match[2]!);
    if (!checked.ok) throw new OvfError("manifest_invalid", `manifest line ${index + 1}: file ${quote(match[2]!)} ${checked.reason}`);
    if (digest.length !== HEX_LENGTH[algorithm]) throw new OvfError("manifest_invalid", `manifest line ${index + 1}: a ${algorithm} digest has ${HEX_LENGTH[algorithm]} hex digits, not ${digest.length}`);
    if (seen.has(checked.name)) throw new OvfError("manifest_invalid", `manifest line ${index + 1}: ${quote(checked.name)} is listed twice`);
    seen.add(checked.name);
    entries.push({ algorithm, file: checked.name, digest });
  }
  return entries;
}

export function formatManifest(entries: Array<{ file: string; sha256: string }>): string {
  return entries.map((entry) => `SHA256(${entry.file})= ${entry.sha256}\n`).join("");
}

/** CommonJS, as eval'd workers are: streams workerData.path through the hash and posts the hex digest. */
const DIGEST_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { createReadStream } = require("node:fs");
const hash = createHash(workerData.algorithm);
createReadStream(workerData.path, { highWaterMark: 1 << 20 })
  .on("data", (chunk) => hash.update(chunk))
  .on("end", () => parentPort.postMessage(hash.digest("hex")))
  .on("error", (error) => { throw error; });
`;

/**
 * A file's digest as lower-case hex, computed in a worker thread so that hashing a disk or a DVD
 * image of many GiB never stalls the event loop of the process that asks (vmctld's API).
 */
export function digestFile(path: string, algorithm: ManifestAlgorithm = "SHA256"): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(DIGEST_WORKER, { eval: true, workerData: { path, algorithm: algorithm.toLowerCase() } });
    worker.once("message", (digest: string) => resolve(digest));
    worker.once("error", reject);
    worker.once("exit", (code) => { if (code !== 0) reject(new Error(`the digest worker for ${quote(path)} exited with ${code}`)); });
  });
}

/**
 * Checks every file the manifest lists, inside `folder`. Throws OvfError naming the first file
 * that is missing, not a regular file, or whose digest differs. A file with an entry in `known`
 * (by its name in the folder) is not read again: its digests were taken as it was written.
 */
export async function verifyManifest(folder: string, text: string, known?: ReadonlyMap<string, FileDigests>): Promise<ManifestEntry[]> {
  const entries = parseManifest(text);
  for (const entry of entries) {
    const path = join(folder, entry.file);
    const stat = await lstatInside(folder, entry.file);
    if (!stat?.isFile()) throw new OvfError("manifest_mismatch", `the manifest lists ${quote(entry.file)}, which is not a file of the package`);
    const actual = known?.get(entry.file)?.[entry.algorithm] ?? await digestFile(path, entry.algorithm);
    if (actual !== entry.digest) {
      throw new OvfError("manifest_mismatch", `${quote(entry.file)} does not match the manifest: ${entry.algorithm} is ${actual}, the manifest says ${entry.digest}; the file is damaged or was changed`, { file: entry.file });
    }
  }
  return entries;
}
