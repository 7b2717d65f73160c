// Saving a VM's whole state (memory and devices) to a file and loading it back, through QEMU's
// migration to and from a command (QEMU 7.2 has no file: migration URI yet).
import { VmctlError } from "@vmctl/api-types";
import type { QemuProcess } from "./qemu-process.js";

interface MigrationInfo { status?: string; "error-desc"?: string; ram?: { transferred: number; remaining: number; total: number } }

const shellQuote = (path: string) => `'${path.replace(/'/g, `'\\''`)}'`;

async function waitForMigration(proc: QemuProcess, onProgress: (percent: number) => void, what: string): Promise<void> {
  for (;;) {
    const info = await proc.qmp.execute<MigrationInfo>("query-migrate");
    if (info.status === "completed") return;
    if (info.status === "failed" || info.status === "cancelled") {
      throw new VmctlError("qemu_failed", `${what} failed: ${info["error-desc"] ?? info.status}`);
    }
    if (info.ram && info.ram.total > 0) onProgress(Math.min(99, (info.ram.transferred / (info.ram.transferred + info.ram.remaining)) * 100));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Pauses the guest and writes its state to `path`; the caller then ends QEMU. */
export async function saveState(proc: QemuProcess, path: string, onProgress: (percent: number) => void = () => {}): Promise<void> {
  await proc.pause();
  await proc.qmp.execute("migrate", { uri: `exec:cat > ${shellQuote(path)}` });
  await waitForMigration(proc, onProgress, "saving the VM's state");
}

/** Loads the state into a QEMU started with -incoming defer; the guest stays paused until resumed. */
export async function loadState(proc: QemuProcess, path: string, onProgress: (percent: number) => void = () => {}): Promise<void> {
  await proc.qmp.execute("migrate-incoming", { uri: `exec:cat ${shellQuote(path)}` });
  for (;;) {
    const status = await proc.status();
    if (status.status !== "inmigrate") break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await waitForMigration(proc, onProgress, "loading the VM's saved state");
}
