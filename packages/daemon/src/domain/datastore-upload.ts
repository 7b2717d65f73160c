// Uploads into a datastore land atomically and resume: the bytes go to a hidden part file beside the
// target (named with the announced total) and are renamed onto it at the end. A client that lost
// its connection asks how much arrived (status) and continues with Content-Range. Every check that
// can refuse an upload runs before the first byte is written. Everything is done in the target's
// folder as opened once inside the datastore (datastore-safe-open.ts): the part file is created
// there (O_NOFOLLOW, 0600) and renamed onto its name there, so no symlink can send the bytes out.
import { constants } from "node:fs";
import { lstat, open, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { VmctlError, type DatastorePathResult, type UploadStatus } from "@vmctl/api-types";
import { humanSize } from "@vmctl/definition";
import type { Datastores } from "./datastores.js";
import { type DatastoreBrowser, type Located } from "./datastore-browser.js";
import { assertStillInside, fdPath } from "./datastore-safe-open.js";
import { PRIVATE_FILE_MODE } from "./private-files.js";
import { parseContentRange, type ContentRange } from "./byte-ranges.js";
import { partFileName, parsePartFileName } from "./upload-parts.js";

export interface UploadInput {
  at: Located;
  overwrite: boolean;
  /** The raw Content-Length and Content-Range headers. */
  contentLength: string | undefined;
  contentRange: string | undefined;
  body: Readable;
}

interface Part { name: string; total: number; size: number }

/** How long a new request for a path waits for the one before it (a dropped connection) to wind down. */
const WAIT_FOR_RUNNING_MS = 5000;

export class Uploads {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly datastores: Datastores,
    private readonly browser: DatastoreBrowser,
    private readonly maxBytes: number,
    private readonly onLanded: (at: Located) => void = () => {},
  ) {}

  async status(at: Located): Promise<UploadStatus> {
    const base = { datastore: at.datastore, path: at.path, inProgress: this.running.has(at.absolute) };
    const dir = await this.openFolder(at);
    if (!dir) return { ...base, received: 0, total: null, complete: false };
    try {
      const [part] = await this.parts(at, dir);
      if (part) return { ...base, received: part.size, total: part.total, complete: false };
      const info = await lstat(fdPath(dir, basename(at.path))).catch(() => undefined);
      if (info?.isFile()) return { ...base, received: info.size, total: info.size, complete: true };
      return { ...base, received: 0, total: null, complete: false };
    } finally {
      await dir.close();
    }
  }

  /** Drops an unfinished upload to this path; says whether there was one. */
  async cancel(at: Located): Promise<boolean> {
    if (this.running.has(at.absolute)) throw inProgress(at);
    const dir = await this.openFolder(at);
    if (!dir) return false;
    try {
      const parts = await this.parts(at, dir);
      await Promise.all(parts.map((part) => rm(fdPath(dir, part.name), { force: true })));
      return parts.length > 0;
    } finally {
      await dir.close();
    }
  }

  /** Deletes a file or an empty directory, or else the unfinished upload to that path. */
  async delete(at: Located): Promise<DatastorePathResult> {
    try {
      return await this.browser.delete(at);
    } catch (error) {
      if (error instanceof VmctlError && error.code === "file_not_found" && await this.cancel(at)) return { datastore: at.datastore, path: at.path, type: "file" };
      throw error;
    }
  }

  async receive(input: UploadInput): Promise<UploadStatus> {
    const { at } = input;
    if (at.path === "") throw new VmctlError("bad_request", `path: give the file to write inside datastore "${at.datastore}", e.g. "iso/debian-12.iso"`, { field: "path" });
    const length = parseLength(input.contentLength);
    const range = input.contentRange === undefined ? { start: 0, end: length - 1, total: length } : parseContentRange(input.contentRange);
    if (input.contentRange !== undefined && length !== range.end - range.start + 1) {
      throw new VmctlError("bad_request", `Content-Length: ${length} bytes, but Content-Range "${input.contentRange}" announces ${range.end - range.start + 1}; send exactly the bytes of the range`, { header: "content-length" });
    }
    if (range.total > this.maxBytes) {
      throw new VmctlError("payload_too_large", `the file is ${humanSize(range.total)}, more than max_upload_size (${humanSize(this.maxBytes)}); raise max_upload_size in vmctld.toml to take it`, { total: range.total, limit: this.maxBytes });
    }
    await this.waitForRunning(at);
    let settle = () => {};
    this.running.set(at.absolute, new Promise<void>((resolve) => { settle = resolve; }));
    try {
      return await this.write(input, range, length);
    } finally {
      this.running.delete(at.absolute);
      settle();
    }
  }

  private async write(input: UploadInput, range: ContentRange, length: number): Promise<UploadStatus> {
    // The folder is made only once every check has passed; until then a missing one holds nothing.
    const existing = await this.openFolder(input.at);
    let made: FileHandle | undefined;
    try {
      return await this.writeIn(input, range, length, existing, async () => (made = await this.browser.openParent(input.at, true)));
    } finally {
      await existing?.close();
      await made?.close();
    }
  }

  private async writeIn(input: UploadInput, range: ContentRange, length: number, existing: FileHandle | undefined, makeFolder: () => Promise<FileHandle>): Promise<UploadStatus> {
    const { at } = input;
    const name = basename(at.path);
    if (existing) await this.checkTarget(at, existing, input.overwrite);
    const parts = existing ? await this.parts(at, existing) : [];
    if (range.start > 0) {
      const part = parts.find((p) => p.total === range.total);
      if (!part || part.size !== range.start) {
        const received = part?.size ?? 0;
        throw new VmctlError("upload_offset_mismatch", part
          ? `Content-Range starts at byte ${range.start}, but ${received} bytes of "${at.path}" are stored; continue with Content-Range: bytes ${received}-${range.total - 1}/${range.total}`
          : `no unfinished ${range.total}-byte upload of "${at.path}" is stored in datastore "${at.datastore}"; start from byte 0`, { received, total: range.total });
      }
    } else if (existing) {
      await Promise.all(parts.map((part) => rm(fdPath(existing, part.name), { force: true })));
    }
    const free = this.datastores.describeOne(at.datastore).freeBytes;
    if (range.total - range.start > free) {
      throw new VmctlError("payload_too_large", `the upload needs ${humanSize(range.total - range.start)} more, but datastore "${at.datastore}" has ${humanSize(free)} free; free some space or choose another datastore`, { needed: range.total - range.start, free });
    }
    const dir = existing ?? await makeFolder();
    const root = this.datastores.root(at.datastore);
    const partPath = fdPath(dir, partFileName(name, range.total));
    // O_NOFOLLOW: a symlink planted under the part's name cannot send the bytes elsewhere.
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (range.start === 0 ? constants.O_TRUNC : constants.O_APPEND);
    const handle = await open(partPath, flags, PRIVATE_FILE_MODE);
    let received = 0;
    try {
      // A part file left by an older vmctld (0644) is private from now on too.
      await handle.chmod(PRIVATE_FILE_MODE);
      for await (const chunk of input.body as AsyncIterable<Buffer>) {
        for (let offset = 0; offset < chunk.length;) {
          const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
          offset += bytesWritten;
          received += bytesWritten;
        }
      }
      if (received !== length) throw new VmctlError("bad_request", `the body had ${received} bytes, not the ${length} of its Content-Length`);
      await handle.sync();
    } catch (error) {
      // A dropped connection keeps the part: the client asks for the status and resumes.
      if ((error as NodeJS.ErrnoException).code === "ENOSPC") {
        throw new VmctlError("payload_too_large", `datastore "${at.datastore}" ran out of space after ${range.start + received} bytes of "${at.path}"; free some and resume from there`, { received: range.start + received });
      }
      throw error;
    } finally {
      await handle.close();
    }
    const stored = range.start + received;
    const status = { datastore: at.datastore, path: at.path, received: stored, total: range.total, inProgress: false };
    if (stored < range.total) return { ...status, complete: false };
    await this.checkTarget(at, dir, input.overwrite); // a file may have appeared there meanwhile
    // The folder may have been moved out of the datastore while the bytes arrived.
    await assertStillInside(root, dir, `"${at.path}" in datastore "${at.datastore}"`);
    await rename(partPath, fdPath(dir, name));
    await dir.sync();
    this.onLanded(at);
    return { ...status, complete: true };
  }

  /** The target's folder opened inside the datastore, or undefined when it does not exist yet. */
  private async openFolder(at: Located): Promise<FileHandle | undefined> {
    try {
      return await this.browser.openParent(at);
    } catch (error) {
      if (error instanceof VmctlError && error.code === "file_not_found") return undefined;
      throw error;
    }
  }

  /** What stands at the target's name (never followed: a symlink there is replaced, not written through). */
  private async checkTarget(at: Located, dir: FileHandle, overwrite: boolean): Promise<void> {
    const existing = await lstat(fdPath(dir, basename(at.path))).catch(() => undefined);
    if (!existing) return;
    if (existing.isDirectory()) throw new VmctlError("file_exists", `"${at.path}" is a directory in datastore "${at.datastore}"; upload to a file path inside it, e.g. "${at.path}/name"`, { path: at.path });
    if (!overwrite) throw new VmctlError("file_exists", `"${at.path}" already exists in datastore "${at.datastore}" (${humanSize(existing.size)}); add ?overwrite=true to replace it`, { path: at.path });
    this.browser.refuseIfUsed(at, "overwrite");
  }

  private async waitForRunning(at: Located): Promise<void> {
    const deadline = Date.now() + WAIT_FOR_RUNNING_MS;
    for (let running = this.running.get(at.absolute); running; running = this.running.get(at.absolute)) {
      const left = deadline - Date.now();
      const settled = left > 0 && await Promise.race([running.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), left).unref())]);
      if (!settled) throw inProgress(at);
    }
  }

  /** The part files of uploads to this path, newest first. */
  private async parts(at: Located, dir: FileHandle): Promise<Part[]> {
    const names = await readdir(fdPath(dir)).catch(() => [] as string[]);
    const parts: Array<Part & { mtimeMs: number }> = [];
    for (const name of names) {
      const parsed = parsePartFileName(name);
      if (parsed?.target !== basename(at.path)) continue;
      const info = await lstat(fdPath(dir, name)).catch(() => undefined);
      if (info?.isFile()) parts.push({ name, total: parsed.total, size: info.size, mtimeMs: info.mtimeMs });
    }
    return parts.sort((a, b) => b.mtimeMs - a.mtimeMs);
  }
}

function parseLength(header: string | undefined): number {
  if (header === undefined) throw new VmctlError("length_required", "an upload needs a Content-Length header: send the file as the body with its length (curl -T FILE does)", { header: "content-length" });
  if (!/^\d{1,16}$/.test(header)) throw new VmctlError("bad_request", `Content-Length: "${header}" is not a byte count`, { header: "content-length" });
  return Number(header);
}

function inProgress(at: Located): VmctlError {
  return new VmctlError("upload_in_progress", `another request is uploading "${at.path}" to datastore "${at.datastore}"; wait for it to end (GET …?upload=status shows inProgress)`, { path: at.path });
}
