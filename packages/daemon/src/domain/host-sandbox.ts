// vmctld's home as the QEMU user sees it: it may pass through the home, run/ and datastores/
// (root's, group QEMU user, 0710) to reach VM files, and may read nothing else there: the
// database, TLS key and tokens stay root's alone. Datastores it cannot reach are reported, and
// no descriptor vmctld inherited passes on to QEMU.
import { isAbsolute, join, relative, sep } from "node:path";
import { closeSync, readdirSync, readFileSync } from "node:fs";
import { chmod, lstat, mkdir, readdir } from "node:fs/promises";
import type { Logger } from "pino";
import { QEMU_USER, folderBlockingQemu, qemuIdentity, shareDirWithQemu } from "../security/qemu-user.js";

/** The folders of the home that QEMU passes through; everything else there is private to root. */
const SHARED = new Set(["run", "datastores"]);

export async function secureHome(home: string, runDir: string, datastoreRoots: Record<string, string>, log: Logger): Promise<void> {
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  if (!qemuIdentity()) return;
  // Datastores inside the home (datastores/local, or e.g. `path = "vms"` in vmctld.toml): each
  // folder from the home down to their root lets QEMU pass.
  const passages = new Set<string>();
  for (const root of Object.values(datastoreRoots)) {
    const inside = relative(home, root);
    if (!inside || inside.startsWith("..") || isAbsolute(inside)) continue;
    const parts = inside.split(sep);
    for (let i = 1; i <= parts.length; i++) passages.add(join(home, ...parts.slice(0, i)));
  }
  await shareDirWithQemu(home);
  await shareDirWithQemu(runDir);
  for (const entry of await readdir(home)) {
    const path = join(home, entry);
    const info = await lstat(path);
    if (SHARED.has(entry) || passages.has(path)) continue;
    // Made before vmctld set its umask (or by an older vmctld): no group or other access.
    if (!info.isSymbolicLink() && (info.mode & 0o077) !== 0) await chmod(path, info.mode & 0o7700);
  }
  for (const dir of new Set([join(home, "datastores"), ...[...passages].sort()])) await shareDirWithQemu(dir).catch(() => {});
  for (const [name, root] of Object.entries(datastoreRoots)) {
    // A name inside the root: the root itself must let QEMU pass too.
    const problem = await folderBlockingQemu(join(root, "vm")).catch(() => null);
    if (problem) {
      log.warn({ datastore: name, path: root, folder: problem.dir },
        `datastore "${name}": the QEMU user "${QEMU_USER}" cannot traverse "${problem.dir}" (mode ${problem.mode.toString(8).padStart(4, "0")}), so VMs with files in "${root}" will not start; move the datastore out of private folders (e.g. to /srv/vmstore) or \`chgrp ${QEMU_USER} ${problem.dir} && chmod g+x ${problem.dir}\``);
    }
  }
}

const O_CLOEXEC = 0o2000000;

/**
 * Closes what vmctld inherited without close-on-exec (beyond stdin, stdout and stderr): a shell
 * or supervisor's stray descriptor (a pipe, a file) would otherwise pass through vmctld into every
 * QEMU it starts. Node's own descriptors are all close-on-exec.
 */
export function closeInheritedDescriptors(): void {
  let fds: string[];
  try {
    fds = readdirSync("/proc/self/fd");
  } catch {
    return; // no /proc: nothing to learn the flags from
  }
  for (const name of fds) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd <= 2) continue;
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))?.[1];
      if (flags !== undefined && (Number.parseInt(flags, 8) & O_CLOEXEC) === 0) closeSync(fd);
    } catch {
      // Gone meanwhile (the directory listing's own descriptor).
    }
  }
}
