// A VM's folder while vmctld makes it (create, clone, import) holds a marker: a vmctld killed before
// the definition was written (a clone copies disks for minutes) would otherwise leave a folder that
// is no VM, takes the space of its half-copied disks and refuses the name ("folder already exists")
// until someone removes it by hand. At the next start a marked folder without its definition is
// removed, and the temp files of a definition write cut off are dropped from every VM folder.
import { readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";

export const UNFINISHED_MARKER = ".vmctl-unfinished";

/** Marks a VM folder just made as not finished: what is in it goes at the next start unless markFinished runs. */
export async function markUnfinished(dir: string): Promise<void> {
  await writeFile(join(dir, UNFINISHED_MARKER), `made by vmctld ${process.pid}; removed once the definition is written\n`, { flag: "wx", mode: 0o600 });
}

/** The VM's definition is written: its folder stays whatever happens next. */
export async function markFinished(dir: string): Promise<void> {
  await rm(join(dir, UNFINISHED_MARKER), { force: true });
}

const exists = (path: string) => stat(path).then(() => true, () => false);
/** writeFileAtomic's temp name for <vm>.toml: .<vm>.toml.<pid>.<ms>.tmp */
const isDefinitionTemp = (vm: string, file: string) => file.startsWith(`.${vm}.toml.`) && /\.\d+\.\d+\.tmp$/.test(file);

/**
 * At start-up, before the inventory is read and before any write: removes the VM folders a vmctld
 * exit left unfinished (marked, no definition) and the temp files of cut-off definition writes.
 * Answers the folders removed.
 */
export async function removeUnfinishedVmFolders(roots: readonly string[], log: Logger): Promise<string[]> {
  const removed: string[] = [];
  for (const root of roots) {
    for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      const dir = join(root, entry.name);
      const files = await readdir(dir).catch(() => [] as string[]);
      try {
        for (const file of files.filter((f) => isDefinitionTemp(entry.name, f))) {
          log.warn({ file: join(dir, file) }, "removing the temp file of a definition write cut off by the last vmctld exit");
          await rm(join(dir, file), { force: true });
        }
        if (!files.includes(UNFINISHED_MARKER)) continue;
        if (await exists(join(dir, `${entry.name}.toml`))) {
          await markFinished(dir);
          continue;
        }
        log.warn({ dir }, "removing the folder of a VM whose create, clone or import the last vmctld exit cut off");
        await rm(dir, { recursive: true, force: true });
        removed.push(dir);
      } catch (error) {
        log.warn({ dir, err: error }, "could not clean up an unfinished VM folder");
      }
    }
  }
  return removed;
}
