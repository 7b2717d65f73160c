// Whether a pid is a live process (a zombie counts as gone) and whether it is our QEMU.
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** True when pid is a QEMU whose command line names this QMP socket: a recycled pid is not ours. */
export function isOurQemu(pid: number, qmpSocket: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return /qemu-system/.test(argv[0] ?? "") && argv.some((arg) => arg.includes(qmpSocket));
  } catch {
    return false;
  }
}

let scan: { at: number; lines: Promise<Map<number, string[]>> } | undefined;

/** The command lines of the QEMUs running now: one walk of /proc, shared by the calls of the next two seconds (reconcile asks once per VM). */
function qemuCommandLines(): Promise<Map<number, string[]>> {
  if (scan && Date.now() - scan.at < 2000) return scan.lines;
  const lines = (async () => {
    const found = new Map<number, string[]>();
    for (const entry of await readdir("/proc").catch(() => [] as string[])) {
      if (!/^\d+$/.test(entry)) continue;
      const argv = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
      if (/qemu-system/.test(argv[0] ?? "")) found.set(Number(entry), argv);
    }
    return found;
  })();
  scan = { at: Date.now(), lines };
  return lines;
}

/** The live QEMU whose command line names this QMP socket, found without its pidfile (one it had not written yet). */
export async function findOurQemu(qmpSocket: string): Promise<number | undefined> {
  for (const [pid, argv] of await qemuCommandLines()) {
    if (argv.some((arg) => arg.includes(qmpSocket)) && isOurQemu(pid, qmpSocket) && isAlive(pid)) return pid;
  }
  return undefined;
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
