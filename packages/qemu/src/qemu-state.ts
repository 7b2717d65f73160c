// Saving a VM's whole state (memory and devices) to a file and loading it back. QEMU's sandbox
// forbids the exec: migration (it runs a shell), and QEMU 7.2 has no file: URI, so the stream
// passes through a unix socket: vmctld writes (or reads) the file itself, opened with no link
// following, and QEMU never sees the file.
import { createServer, connect, type Socket } from "node:net";
import { constants, createReadStream, createWriteStream, open as openCallback } from "node:fs";
import { chmod, lstat, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { VmctlError } from "@vmctl/api-types";
import { qmpCommands as qmp } from "@vmctl/qmp";
import type { QemuProcess } from "./qemu-process.js";

const NOFOLLOW = constants.O_NOFOLLOW;
/** A plain descriptor (the streams own and close it), opened with flags fs/promises' streams cannot take. */
const openFd = promisify(openCallback) as (path: string, flags: number, mode?: number) => Promise<number>;

async function waitForMigration(proc: QemuProcess, onProgress: (percent: number) => void, what: string): Promise<void> {
  for (;;) {
    const info = await qmp.queryMigrate(proc.qmp);
    if (info.status === "completed") return;
    if (info.status === "failed" || info.status === "cancelled") {
      throw new VmctlError("qemu_failed", `${what} failed: ${info["error-desc"] ?? info.status}`);
    }
    if (info.ram && info.ram.total > 0) onProgress(Math.min(99, (info.ram.transferred / (info.ram.transferred + info.ram.remaining)) * 100));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Where vmctld listens for a saved state: beside the run dir, in run/ (root's, traverse-only for
 * the QEMU user), so no QEMU can swap the name for a link before vmctld opens the socket to it.
 */
function saveSocket(proc: QemuProcess): string {
  return `${proc.paths.dir}.migrate.sock`;
}

/** Where QEMU listens for a state to load: io/, the one folder it may still create names in. */
function loadSocket(proc: QemuProcess): string {
  return join(proc.paths.scratch, "migrate.sock");
}

/** Pauses the guest and writes its state to `path`; the caller then ends QEMU. */
export async function saveState(proc: QemuProcess, path: string, onProgress: (percent: number) => void = () => {}): Promise<void> {
  const socketPath = saveSocket(proc);
  await rm(socketPath, { force: true });
  const file = createWriteStream("", { fd: await openFd(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | NOFOLLOW, 0o600) });
  const server = createServer();
  try {
    // One connection is taken: the first, which QEMU makes when told to migrate.
    const received = new Promise<void>((resolve, reject) => {
      server.once("connection", (socket: Socket) => {
        server.close();
        pipeline(socket, file).then(resolve, reject);
      });
      server.once("error", reject);
    });
    received.catch(() => {}); // awaited below once QEMU says it is done; a failed save is reported by QEMU
    await new Promise<void>((resolve, reject) => { server.once("error", reject); server.listen(socketPath, () => resolve()); });
    // The QEMU user must be able to connect; run/ lets no one else reach the socket.
    await chmod(socketPath, 0o666);
    await proc.pause();
    await qmp.migrate(proc.qmp, `unix:${socketPath}`);
    await waitForMigration(proc, onProgress, "saving the VM's state");
    await received;
  } finally {
    server.close();
    if (!file.closed) await new Promise<void>((resolve) => file.destroy().once("close", () => resolve()));
    await rm(socketPath, { force: true });
  }
}

/** Loads the state into a QEMU started with -incoming defer; the guest stays paused until resumed. */
export async function loadState(proc: QemuProcess, path: string, onProgress: (percent: number) => void = () => {}): Promise<void> {
  const socketPath = loadSocket(proc);
  const file = createReadStream("", { fd: await openFd(path, constants.O_RDONLY | NOFOLLOW) });
  let socket: Socket | undefined;
  try {
    await rm(socketPath, { force: true });
    await qmp.migrateIncoming(proc.qmp, `unix:${socketPath}`);
    // QEMU's own folder: what is there must at least be a socket, not a link to one of root's.
    if (!(await lstat(socketPath)).isSocket()) throw new VmctlError("qemu_failed", `loading the VM's saved state failed: ${socketPath} is not QEMU's socket`);
    socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(socketPath);
      s.once("connect", () => { s.off("error", reject); resolve(s); });
      s.once("error", reject);
    });
    const sent = pipeline(file, socket);
    sent.catch(() => {}); // QEMU closing its end early is reported by its migration status
    for (;;) {
      const status = await proc.status();
      if (status.status !== "inmigrate") break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await waitForMigration(proc, onProgress, "loading the VM's saved state");
  } finally {
    socket?.destroy();
    if (!file.closed) file.destroy();
    await rm(socketPath, { force: true });
  }
}
