// bench/memory: vmctld's resident memory per running VM (QEMU excluded), console scroll-back
// included: RSS of vmctld with no VM running, then with N running guests that have each printed
// their boot and a screenful of output. Target (DESIGN.md): < 512 KiB per running VM.
// Run: npm run bench:memory [-- --vms 8]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { VmctlClient } from "../packages/client/dist/index.js";
import { GUEST_READY_LINE } from "../packages/guest/dist/index.js";
import { benchGuest } from "./bench-guest.mjs";
import { isAlive } from "../packages/qemu/dist/index.js";

const { values } = parseArgs({ options: { vms: { type: "string", default: "8" } } });
const count = Number(values.vms);
const guest = await benchGuest();
const home = mkdtempSync(join(tmpdir(), "vmctl-bench-mem-"));
writeFileSync(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\nlog_level = "warn"\n[datastores.images]\npath = ${JSON.stringify(guest.dir)}\n`);
const daemon = spawn(process.execPath, ["--expose-gc", new URL("../packages/daemon/dist/main.js", import.meta.url).pathname, "--home", home], { stdio: "ignore", env: { ...process.env, VMCTL_ADMIN_PASSWORD: "bench-password" } });
const client = new VmctlClient({ socketPath: join(home, "vmctld.sock") });
/** vmctld's live memory after a full GC (SIGUSR2 with --expose-gc): JS heap plus buffers, in KiB. */
async function settle() {
  await new Promise((r) => setTimeout(r, 2000));
  const file = join(home, "vmctld-memory.json");
  rmSync(file, { force: true });
  daemon.kill("SIGUSR2");
  for (let i = 0; i < 50 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  const usage = JSON.parse(readFileSync(file, "utf8"));
  return { live: Math.round((usage.heapUsed + usage.external) / 1024), rss: Math.round(usage.rss / 1024) };
}

async function consoleOutput(name, command) {
  await new Promise((resolve, reject) => {
    const socket = client.openConsole(name, { binary: true });
    let text = "";
    socket.on("message", (raw) => { text += Buffer.from(raw).toString("latin1"); if (text.includes("bench-done")) { socket.close(); resolve(); } });
    socket.on("open", () => setTimeout(() => socket.send(Buffer.from(command), { binary: true }), 200));
    socket.on("error", reject);
  });
}

try {
  for (let i = 0; i < 200; i++) { try { await client.host(); break; } catch { await new Promise((r) => setTimeout(r, 50)); } }
  const names = Array.from({ length: count }, (_, i) => `mem-${i}`);
  for (const name of names) await client.createVm({ name, memory: "128MiB", boot: { datastore: "images", kernel: "vmlinuz", initrd: "initrd.img", cmdline: guest.cmdline } });
  // Warm every code path once with one VM, so the baseline is not the cost of loading code.
  await client.getTask((await client.power(names[0], { action: "start" })).id, 60);
  await consoleOutput(names[0], `echo ${GUEST_READY_LINE.length}; echo bench-done\n`);
  await client.getTask((await client.power(names[0], { action: "stop", force: true })).id, 60);
  const before = await settle();
  for (const name of names) await client.getTask((await client.power(name, { action: "start" })).id, 60);
  // Each guest fills part of its scroll-back: boot text plus 64 KiB of output.
  for (const name of names) await consoleOutput(name, "head -c 65536 /dev/zero | tr '\\0' y | fold -w 64; echo bench-done\n");
  const after = await settle();
  const perVm = (after.live - before.live) / count;
  console.log(`bench/memory: vmctld live memory (heap + buffers, after GC) ${before.live} KiB with no VM running, ${after.live} KiB with ${count} running; RSS ${before.rss} → ${after.rss} KiB`);
  console.log(`control-plane memory per running VM, console scroll-back included (~70 KiB each): ${perVm.toFixed(0)} KiB (target < 512 KiB; libvirtd grows about 280 KiB per running VM)`);
} finally {
  daemon.kill("SIGKILL");
  const runDir = join(home, "run");
  for (const name of existsSync(runDir) ? readdirSync(runDir) : []) {
    const pidfile = join(runDir, name, "qemu.pid");
    if (existsSync(pidfile)) { const pid = Number(readFileSync(pidfile, "utf8")); if (isAlive(pid)) process.kill(pid, "SIGKILL"); }
  }
  rmSync(home, { recursive: true, force: true });
  guest.remove();
}
