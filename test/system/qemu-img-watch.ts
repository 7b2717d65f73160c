// Catching qemu-img in /proc while vmctld runs it: who it runs as (uid, gid, capabilities,
// no_new_privs) and with what environment. Shared by the system tests that hold "qemu-img never
// parses an image as root" (attack-import-sandbox, attack-vm-qemu-img).
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, writeSync } from "node:fs";
import { basename } from "node:path";

/** `fd3`: what the process's descriptor 3 is (a convert's target handed over as /dev/fd/3), or null. */
export interface Sighting { pid: string; argv: string[]; uid: string[]; gid: string[]; capEff: string; capBnd: string; noNewPrivs: string; env: string[]; fd3: string | null }

const MIB = 1024 ** 2;

function sight(pid: string): { argv: string[]; sighting?: Sighting } | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    if (basename(argv[0] ?? "") !== "qemu-img") return { argv };
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1]?.trim() ?? "";
    const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
    let fd3: string | null = null;
    try { fd3 = readlinkSync(`/proc/${pid}/fd/3`); } catch { /* no descriptor 3 */ }
    return { argv, sighting: { pid, argv, uid: field("Uid").split(/\s+/), gid: field("Gid").split(/\s+/), capEff: field("CapEff"), capBnd: field("CapBnd"), noNewPrivs: field("NoNewPrivs"), env, fd3 } };
  } catch {
    return null; // gone between the listing and the read
  }
}

/** Every running qemu-img (exec'd: argv[0] is qemu-img, not setpriv) with an argument containing `fragment`. */
export function qemuImgs(fragment: string): Sighting[] {
  const found: Sighting[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const seen = sight(pid)?.sighting;
    if (seen?.argv.some((arg) => arg.includes(fragment))) found.push(seen);
  }
  return found;
}

/**
 * Watches /proc until stopped, keeping every qemu-img whose arguments contain `fragment`. A process
 * that is neither node (a fork not yet exec'd), setpriv (exec's qemu-img in place) nor qemu-img is
 * not read again, so a sweep is quick enough to catch a qemu-img that lives some tens of ms.
 */
export function watchQemuImgs(fragment: string): { stop: () => Promise<Sighting[]> } {
  const found: Sighting[] = [];
  const settled = new Set<string>();
  let watching = true;
  const loop = (async () => {
    while (watching) {
      for (const pid of readdirSync("/proc")) {
        if (!/^\d+$/.test(pid) || settled.has(pid)) continue;
        const seen = sight(pid);
        if (!seen) continue;
        const program = basename(seen.argv[0] ?? "");
        if (seen.sighting) {
          if (seen.argv.some((arg) => arg.includes(fragment)) && !found.some((f) => f.pid === pid && f.argv.join(" ") === seen.argv.join(" "))) found.push(seen.sighting);
        } else if (program !== "node" && program !== "setpriv" && seen.argv.length > 0) settled.add(pid);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return { stop: async () => { watching = false; await loop; return found; } };
}

/** Writes `bytes` of data no zero detection or compression can skip (a pattern that changes every word). */
export function patternFile(path: string, bytes: number): void {
  const fd = openSync(path, "w");
  try {
    const block = Buffer.alloc(MIB);
    for (let offset = 0; offset < bytes; offset += MIB) {
      for (let i = 0; i < MIB; i += 4) block.writeUInt32LE(((offset / MIB) * 2654435761 + i * 40503 + 1) >>> 0, i);
      writeSync(fd, block);
    }
  } finally {
    closeSync(fd);
  }
}
