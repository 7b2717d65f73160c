// The ISO library: iso/*.iso (any case) of every datastore, each with a SHA-256 computed once in the
// background (by @vmctl/ovf's digestFile, in a worker thread, so hashing a DVD image never stalls
// the API) and cached in SQLite for as long as the file keeps its size and mtime.
import { readdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Iso } from "@vmctl/api-types";
import { digestFile } from "@vmctl/ovf";
import type { Db } from "../store/database.js";
import { within, type Datastores } from "./datastores.js";
import { isHiddenTemp } from "./upload-parts.js";

const ISO_NAME = /\.iso$/i;

interface Cached { size: number; mtime_ms: number; sha256: string }

export class IsoLibrary {
  private readonly queue: string[] = [];
  private hashing = false;

  constructor(private readonly db: Db, private readonly datastores: Datastores, private readonly log: Logger) {}

  list(): Iso[] {
    const isos: Iso[] = [];
    for (const datastore of this.datastores.names()) {
      const root = this.datastores.root(datastore);
      const dir = join(root, "iso");
      let names: string[];
      try {
        if (!within(root, realpathSync(dir))) continue;
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names.filter((n) => ISO_NAME.test(n) && !isHiddenTemp(n)).sort()) {
        const path = join(dir, name);
        let info;
        try {
          if (!within(root, realpathSync(path))) continue;
          info = statSync(path);
        } catch {
          continue;
        }
        if (!info.isFile()) continue;
        const cached = this.db.prepare("SELECT size, mtime_ms, sha256 FROM iso_checksums WHERE path = ?").get(path) as Cached | undefined;
        const fresh = cached && cached.size === info.size && cached.mtime_ms === info.mtimeMs ? cached.sha256 : null;
        if (fresh === null) this.enqueue(path);
        isos.push({ datastore, path: `iso/${name}`, name, size: info.size, mtime: info.mtime.toISOString(), sha256: fresh, checksumPending: fresh === null });
      }
    }
    return isos;
  }

  /** After an upload lands: an ISO's checksum starts at once rather than at the next listing. */
  noteUploaded(path: string, absolute: string): void {
    if (/^iso\/[^/]+$/.test(path) && ISO_NAME.test(path)) this.enqueue(absolute);
  }

  /** Resolves when every queued checksum is done (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.hashing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  private enqueue(path: string): void {
    if (!this.queue.includes(path)) this.queue.push(path);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.hashing) return;
    this.hashing = true;
    try {
      for (let path = this.queue.shift(); path !== undefined; path = this.queue.shift()) {
        try {
          const before = statSync(path);
          const cached = this.db.prepare("SELECT size, mtime_ms FROM iso_checksums WHERE path = ?").get(path) as Cached | undefined;
          if (cached && cached.size === before.size && cached.mtime_ms === before.mtimeMs) continue;
          const sha256 = await digestFile(path, "SHA256");
          const after = statSync(path);
          // Changed while it was read (still being copied in): the next listing tries again.
          if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) continue;
          this.db.prepare(`INSERT INTO iso_checksums (path, size, mtime_ms, sha256, computed_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, sha256 = excluded.sha256, computed_at = excluded.computed_at`)
            .run(path, after.size, after.mtimeMs, sha256, new Date().toISOString());
        } catch (error) {
          this.log.warn({ path, err: error }, "could not compute an ISO's checksum");
        }
      }
    } finally {
      this.hashing = false;
    }
  }
}
