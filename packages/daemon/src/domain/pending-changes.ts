// What QEMU was started with, kept in the run dir beside qemu.pid (so a vmctld restart that
// re-attaches keeps it), and the definition fields changed since then: they apply only at the next
// start (cpus, memory, machine, firmware, boot, console). Live CPU and memory changes are not made here.
import { openSync, readSync, closeSync, constants } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { PendingChange, VmDefinition } from "@vmctl/api-types";
import { writeFileAtomic } from "./atomic-write.js";

export const STARTED_WITH_FILE = "started-with.json";
const MAX_BYTES = 64 * 1024;

/** The fields a running QEMU keeps until it is started again, as the definition writes them. */
export function startedWith(def: VmDefinition): Record<string, string> {
  return {
    cpus: String(def.cpus),
    memory: def.memory,
    machine: def.machine,
    firmware: def.firmware,
    "boot.order": def.boot.kernel ? "" : def.boot.order.join(", "),
    "boot.kernel": def.boot.kernel ?? "",
    "boot.initrd": def.boot.initrd ?? "",
    "boot.cmdline": def.boot.cmdline ?? "",
    "console.serial": String(def.console.serial),
    "console.vnc": String(def.console.vnc),
  };
}

/** Written by vmctld (root) once QEMU runs and its run dir is vmctld's again. */
export async function writeStartedWith(runDir: string, def: VmDefinition): Promise<void> {
  await mkdir(runDir, { recursive: true, mode: 0o700 }); // there already under QEMU; a driver that makes none (the tests' fake) gets one
  await writeFileAtomic(join(runDir, STARTED_WITH_FILE), `${JSON.stringify({ memoryBytes: def.memoryBytes, fields: startedWith(def) })}\n`, 0o600);
}

/** What the running QEMU was started with, or undefined (none recorded: started by an older vmctld, or unreadable). */
export function readStartedWith(runDir: string): { memoryBytes: number; fields: Record<string, string> } | undefined {
  let fd: number;
  try {
    fd = openSync(join(runDir, STARTED_WITH_FILE), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(MAX_BYTES);
    const length = readSync(fd, buffer, 0, MAX_BYTES, 0);
    const parsed = JSON.parse(buffer.subarray(0, length).toString("utf8")) as { memoryBytes?: unknown; fields?: unknown };
    if (typeof parsed.memoryBytes !== "number" || typeof parsed.fields !== "object" || parsed.fields === null) return undefined;
    const fields = Object.fromEntries(Object.entries(parsed.fields).filter((pair): pair is [string, string] => typeof pair[1] === "string"));
    return { memoryBytes: parsed.memoryBytes, fields };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The fields that differ between what runs and what the next start will use. */
export function pendingChanges(running: { memoryBytes: number; fields: Record<string, string> }, next: VmDefinition): PendingChange[] {
  const wanted = startedWith(next);
  const changes: PendingChange[] = [];
  for (const [field, value] of Object.entries(wanted)) {
    const was = running.fields[field];
    if (was === undefined) continue;
    if (field === "memory" ? running.memoryBytes === next.memoryBytes : was === value) continue;
    changes.push({ field, running: was, next: value });
  }
  return changes;
}
