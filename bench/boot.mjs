// bench/boot: start → the guest's ready line on the serial console, through vmctld's API and through
// the CLI a user types (`vmctl start`, bin/vmctl), against the same QEMU argv launched by hand,
// measured alternately in one run. Prints the medians and the ratios.
// Run: npm run bench:boot [-- --runs 10]   (needs `npm run build` and the demo guest: npm start or npm test set them up)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, watch, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { VmctlClient } from "../packages/client/dist/index.js";
import { GUEST_READY_LINE } from "../packages/guest/dist/index.js";
import { benchGuest } from "./bench-guest.mjs";
import { validateDefinition } from "../packages/definition/dist/index.js";
import { buildQemuArgv, isAlive } from "../packages/qemu/dist/index.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" } } });
const runs = Number(values.runs);
const guest = await benchGuest();
const home = mkdtempSync(join(tmpdir(), "vmctl-bench-"));
writeFileSync(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\nlog_level = "warn"\n[networks.default]\nkind = "user"\n[datastores.images]\npath = ${JSON.stringify(guest.dir)}\n`);
const input = { name: "bench", memory: "256MiB", boot: { datastore: "images", kernel: "vmlinuz", initrd: "initrd.img", cmdline: guest.cmdline } };

// What `npm start` links into /usr/local/bin as vmctl.
const vmctlBin = new URL("../bin/vmctl", import.meta.url).pathname;
const daemon = spawn(process.execPath, [new URL("../packages/daemon/dist/main.js", import.meta.url).pathname, "--home", home], { stdio: "ignore" });
const client = new VmctlClient({ socketPath: join(home, "vmctld.sock") });
const rawPids = [];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function waitForDaemon() {
  for (let i = 0; i < 200; i++) {
    try { return await client.host(); } catch { await new Promise((r) => setTimeout(r, 50)); }
  }
  throw new Error("vmctld did not start");
}

/** The shared console's scroll-back holds everything since boot: answers once the ready line is in it. */
function readyLine() {
  return new Promise((resolve, reject) => {
    const socket = client.openConsole("bench");
    let text = "";
    const timer = setTimeout(() => reject(new Error(`no ready line: ${text.slice(-500)}`)), 60_000);
    socket.on("message", (raw) => {
      const message = JSON.parse(raw.toString());
      if (message.type === "console" && message.data.content) text += Buffer.from(message.data.content, "base64").toString("latin1");
      if (text.includes(GUEST_READY_LINE)) { clearTimeout(timer); socket.close(); resolve(); }
    });
    socket.on("error", reject);
  });
}

async function forceStop() {
  const stop = await client.power("bench", { action: "stop", force: true });
  await client.getTask(stop.id, 60);
}

/** Through vmctld: POST start, then the shared console. */
async function bootThroughVmctld() {
  const t0 = performance.now();
  const task = await client.power("bench", { action: "start" });
  const done = await client.getTask(task.id, 60);
  if (done.state !== "success") throw new Error(`start failed: ${done.error?.message}`);
  await readyLine();
  const elapsed = performance.now() - t0;
  await forceStop();
  return elapsed;
}

/** Through the CLI: `vmctl start bench`, which returns once the VM runs, then the shared console. */
async function bootThroughCli() {
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const child = spawn(vmctlBin, ["--home", home, "start", "bench"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => { stderr += chunk; });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`vmctl start exited ${code}: ${stderr}`))));
  });
  await readyLine();
  const elapsed = performance.now() - t0;
  await forceStop();
  return elapsed;
}

/** By hand: the same argv (without -S and -daemonize), the ready line read from the console log. */
async function bootByHand(argvFor, index) {
  const runDir = join(home, "raw", String(index));
  mkdirSync(runDir, { recursive: true });
  const argv = argvFor(runDir);
  const log = join(runDir, "serial.log");
  writeFileSync(log, "");
  const t0 = performance.now();
  const child = spawn("qemu-system-x86_64", argv, { stdio: "ignore" });
  rawPids.push(child.pid);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { watcher.close(); reject(new Error("raw QEMU: no ready line")); }, 60_000);
    const check = () => {
      if (readFileSync(log, "latin1").includes(GUEST_READY_LINE)) { clearTimeout(timer); watcher.close(); resolve(); }
    };
    const watcher = watch(log, check);
    check();
  });
  const elapsed = performance.now() - t0;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
  return elapsed;
}

try {
  const info = await waitForDaemon();
  await client.createVm(input);
  const accel = (await client.host()).accelerator.kind;
  const def = validateDefinition(input);
  const argvFor = (runDir) => buildQemuArgv(def, { runDir, accel, resolvePath: (_ds, p) => join(guest.dir, p), startPaused: false, daemonize: false });
  console.log(`bench/boot: ${runs} runs each, accelerator ${accel} (${info.accelerator.reason}), QEMU ${info.qemuVersion}`);
  await bootThroughVmctld(); // warm-up: caches, page cache
  await bootThroughCli();
  await bootByHand(argvFor, "warm");
  const vmctld = [];
  const cli = [];
  const byHand = [];
  for (let i = 0; i < runs; i++) {
    byHand.push(await bootByHand(argvFor, i));
    vmctld.push(await bootThroughVmctld());
    cli.push(await bootThroughCli());
    process.stderr.write(`  run ${i + 1}: by hand ${byHand.at(-1).toFixed(0)} ms, vmctld ${vmctld.at(-1).toFixed(0)} ms, vmctl start ${cli.at(-1).toFixed(0)} ms\n`);
  }
  const m = { byHand: median(byHand), vmctld: median(vmctld), cli: median(cli) };
  const ratio = m.vmctld / m.byHand;
  const cliRatio = m.cli / m.byHand;
  console.log(`raw QEMU by hand   median ${m.byHand.toFixed(0)} ms  (min ${Math.min(...byHand).toFixed(0)}, max ${Math.max(...byHand).toFixed(0)})`);
  console.log(`through vmctld     median ${m.vmctld.toFixed(0)} ms  (min ${Math.min(...vmctld).toFixed(0)}, max ${Math.max(...vmctld).toFixed(0)})`);
  console.log(`ratio vmctld / by hand: ${ratio.toFixed(3)}  (target ≤ 1.05)`);
  console.log(`through vmctl start median ${m.cli.toFixed(0)} ms  (min ${Math.min(...cli).toFixed(0)}, max ${Math.max(...cli).toFixed(0)})`);
  console.log(`ratio vmctl start / by hand: ${cliRatio.toFixed(3)}  (target ≤ 1.05)`);
  mkdirSync(new URL("results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("results/boot.json", import.meta.url), JSON.stringify({ date: new Date().toISOString(), accel, runs, byHand, vmctld, cli, medians: m, ratio, cliRatio }, null, 2));
} finally {
  daemon.kill("SIGKILL");
  for (const pid of rawPids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  const pidfile = join(home, "run", "bench", "qemu.pid");
  if (existsSync(pidfile)) { const pid = Number(readFileSync(pidfile, "utf8")); if (isAlive(pid)) process.kill(pid, "SIGKILL"); }
  rmSync(home, { recursive: true, force: true });
  guest.remove();
}
