// The ISO library: iso/*.iso (any case) of every datastore, each with a SHA-256 computed once in the
// background (by @vmctl/ovf's digestFile, in a worker thread, so hashing a DVD image never stalls
// the API) and cached in SQLite for as long as the file keeps its size and mtime.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Iso } from "@vmctl/api-types";
import { digestFile } from "@vmctl/ovf";
import type { Db } from "../store/database.js";
import type { Datastores } from "./datastores.js";
import { assertStillInside, fdPath, openDirInside, openInside } from "./datastore-safe-open.js";
import { isHiddenTemp } from "./upload-parts.js";

const ISO_NAME = /\.iso$/i;

interface Cached { size: number; mtime_ms: number; sha256: string }
/** An ISO to hash: `key` (its path below the root, as cached) is only a name; it is opened again from the root. */
interface Queued { datastore: string; root: string; path: string; key: string }

// Every file is opened below its datastore's root without following a link out (datastore-safe-open.ts),
// and its size, mtime and bytes are read through that descriptor: a symlink to a host file, or one
// swapped in after a check, can never show its size or checksum.
export class IsoLibrary {
  private readonly queue: Queued[] = [];
  private hashing = false;

  constructor(private readonly db: Db, private readonly datastores: Datastores, private readonly log: Logger) {}

  async list(): Promise<Iso[]> {
    const isos: Iso[] = [];
    for (const datastore of this.datastores.names()) {
      const root = this.datastores.root(datastore);
      let names: string[];
      try {
        const dir = await openDirInside(root, "iso", { where: `"iso" in datastore "${datastore}"` });
        try {
          names = await readdir(fdPath(dir));
        } finally {
          await dir.close();
        }
      } catch {
        continue;
      }
      for (const name of names.filter((n) => ISO_NAME.test(n) && !isHiddenTemp(n)).sort()) {
        const item = { datastore, root, path: `iso/${name}`, key: join(root, "iso", name) };
        let info;
        try {
          const { handle } = await openInside(root, item.path, { where: `"${item.path}" in datastore "${datastore}"` });
          try {
            info = await handle.stat();
          } finally {
            await handle.close();
          }
        } catch {
          continue; // gone, not a regular file, or leading out of the datastore: not an ISO of it
        }
        if (!info.isFile()) continue;
        const cached = this.db.prepare("SELECT size, mtime_ms, sha256 FROM iso_checksums WHERE path = ?").get(item.key) as Cached | undefined;
        const fresh = cached && cached.size === info.size && cached.mtime_ms === info.mtimeMs ? cached.sha256 : null;
        if (fresh === null) this.enqueue(item);
        isos.push({ datastore, path: item.path, name, size: info.size, mtime: info.mtime.toISOString(), sha256: fresh, checksumPending: fresh === null });
      }
    }
    return isos;
  }

  /** After an upload lands: an ISO's checksum starts at once rather than at the next listing. */
  noteUploaded(path: string, absolute: string): void {
    if (!/^iso\/[^/]+$/.test(path) || !ISO_NAME.test(path)) return;
    const datastore = this.datastores.names().find((name) => join(this.datastores.root(name), path) === absolute);
    if (datastore !== undefined) this.enqueue({ datastore, root: this.datastores.root(datastore), path, key: absolute });
  }

  /** Resolves when every queued checksum is done (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.hashing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  private enqueue(item: Queued): void {
    if (!this.queue.some((queued) => queued.key === item.key)) this.queue.push(item);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.hashing) return;
    this.hashing = true;
    try {
      for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) {
        try {
          await this.hash(item);
        } catch (error) {
          this.log.warn({ datastore: item.datastore, path: item.path, err: error }, "could not compute an ISO's checksum");
        }
      }
    } finally {
      this.hashing = false;
    }
  }

  /** Hashes the file through its open descriptor: the worker thread reads /proc/self/fd/N, this very file. */
  private async hash({ datastore, root, path, key }: Queued): Promise<void> {
    const where = `"${path}" in datastore "${datastore}"`;
    const { handle } = await openInside(root, path, { where });
    try {
      const before = await handle.stat();
      if (!before.isFile()) return;
      const cached = this.db.prepare("SELECT size, mtime_ms FROM iso_checksums WHERE path = ?").get(key) as Cached | undefined;
      if (cached && cached.size === before.size && cached.mtime_ms === before.mtimeMs) return;
      const sha256 = await digestFile(fdPath(handle), "SHA256");
      const after = await handle.stat();
      // Changed while it was read (still being copied in): the next listing tries again.
      if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) return;
      await assertStillInside(root, handle, where);
      this.db.prepare(`INSERT INTO iso_checksums (path, size, mtime_ms, sha256, computed_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256, computed_at = excluded.computed_at`)
        .run(key, after.size, after.mtimeMs, sha256, new Date().toISOString());
    } finally {
      await handle.close();
    }
  }
}
