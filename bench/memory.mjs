// bench/memory: what vmctld holds per running VM (QEMU excluded) once every console's scroll-back is
// full and its viewers have come and gone. N real test guests (TCG) each print more than the
// 256 KiB scroll-back twice: once watched through WebSockets (a JSON viewer, a binary viewer and a
// viewer that stops reading), once typed through `vmctl console` with piped input, as a user does.
// Target (issue 11): ≤ 384 KiB per running VM in total, i.e. ≤ 128 KiB beyond the scroll-back.
//
// How it measures: vmctld is started as users start it (bin/vmctld, whose malloc setting counts),
// with --expose-gc; SIGUSR2 makes it run a full GC and write process.memoryUsage() and V8's heap
// statistics to vmctld-memory.json in its home (main.ts; only who may signal vmctld, root here, can
// ask). The bench asks twice per point (so what the first GC freed is swept), waits until V8 has
// shrunk its young generation back (see measure()), and reads VmRSS from /proc/<pid>/status. Each
// figure is the growth over a baseline taken with no VM running, after two VMs have been run through
// every code path (so loading and compiling code is not counted), divided by N; the VMs are defined
// after the baseline, so a VM's definition and records count.
//   resident = VmRSS − V8's resident heap + JS heap in use (V8's free heap pages are its sizing);
//   held     = the same, measured right after malloc_trim(0) was called in vmctld (through gdb).
// held is the pinned figure (≤ 384 KiB per VM; ≤ 128 KiB beyond the ring): what vmctld's objects
// and buffers take. resident also counts what glibc malloc keeps of what was freed — chunks freed
// inside its heap stay resident (Node never calls malloc_trim) — so it follows the busiest moment
// (N VMs starting and printing at once) and where the allocator happened to place things: that is
// why the figure went 321–732 KiB per VM from run to run on the same code (malloc_info() showed
// the rings as the only growth in use, the rest as free chunks; with glibc's default settings
// malloc_trim(0) gave back 23 MiB of vmctld's 148 MiB VmRSS after this bench). Two fixes keep resident close to held: a viewer's output
// goes out from a staging buffer of its own (serial-console.ts), so a busy console allocates nothing
// per message, and vmctld's bin (packages/daemon/bin/vmctld) fixes glibc's mmap threshold at
// 128 KiB (see there: why not 32), so blocks of 128 KiB and more are given back when freed. Without
// gdb, held is not measured (printed as resident).
// The warm-up runs as many VMs as are measured: V8 compiles and optimizes code as paths get hot,
// once per vmctld. With a warm-up of two VMs, ~120 KiB per measured VM was such code (heap
// snapshots, HEAP_SNAPSHOTS=DIR: over 8 VMs, 841 KiB of (code) in 3175 objects, ~19 KiB per VM of
// JS objects: the VMs' sockets, QMP clients, consoles). With it, quiet, 8 VMs: held 305–351 KiB per
// VM, resident 50–117 KiB (4 runs; resident is below held because the warm-up left free pages that
// the measured VMs reuse).
// Run: npm run bench:memory [-- --vms 8 --bytes 409600]
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { VmctlClient } from "../packages/client/dist/index.js";
import { GUEST_READY_LINE } from "../packages/guest/dist/index.js";
import { benchGuest } from "./bench-guest.mjs";
import { isAlive } from "../packages/qemu/dist/index.js";

const SCROLLBACK_KIB = 256;
const { values } = parseArgs({ options: { vms: { type: "string", default: "8" }, bytes: { type: "string", default: String(400 * 1024) } } });
const count = Number(values.vms);
const bytes = Number(values.bytes);
const started = Date.now();
const guest = await benchGuest();
const home = mkdtempSync(join(tmpdir(), "vmctl-bench-mem-"));
writeFileSync(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\nlog_level = "warn"\n[datastores.images]\npath = ${JSON.stringify(guest.dir)}\n`);
// vmctld as users start it (bin/vmctld: its malloc settings included), with --expose-gc for SIGUSR2.
const daemon = spawn(new URL("../bin/vmctld", import.meta.url).pathname, ["--home", home], { stdio: "ignore", cwd: process.env.HEAP_SNAPSHOTS ?? process.cwd(), env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --expose-gc${process.env.HEAP_SNAPSHOTS ? " --heapsnapshot-signal=SIGUSR1" : ""}`.trim(), VMCTL_ADMIN_PASSWORD: "bench-password" } });
const client = new VmctlClient({ socketPath: join(home, "vmctld.sock") });
const CLI = new URL("../packages/cli/dist/main.js", import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * vmctld's memory after a full GC, in KiB, once V8 has shrunk its young generation back (it grows
 * its semi-spaces to 2 × 16 MiB while much is allocated and gives them back when vmctld is idle: a
 * swing of 32 MiB, which V8's account of its resident pages does not follow to the page).
 */
async function measure() {
  let point;
  for (let i = 0; i < 15; i++) {
    point = await measureOnce();
    if (point.heapPhysical - point.heap < 12 * 1024) return point;
    await sleep(2000);
  }
  console.log(`  (V8 kept ${point.heapPhysical - point.heap} KiB of free heap pages resident: this point is less exact)`);
  return point;
}

/** One reading: VmRSS from /proc, the V8 heap and buffers vmctld reports, malloc's share. */
async function measureOnce() {
  const file = join(home, "vmctld-memory.json");
  let usage;
  for (let round = 0; round < 2; round++) {
    await sleep(1000);
    rmSync(file, { force: true });
    daemon.kill("SIGUSR2");
    for (let i = 0; i < 100 && !existsSync(file); i++) await sleep(50);
    await sleep(50);
    usage = JSON.parse(readFileSync(file, "utf8"));
  }
  const status = readFileSync(`/proc/${daemon.pid}/status`, "utf8");
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)[1]);
  // malloc's main heap (the [heap] mapping, grown with brk): where small allocations live and
  // where what is freed below its top stays resident.
  const heapLine = /^[0-9a-f]+-[0-9a-f]+ [^\n]*\[heap\]\n(?:[^\n]*\n)*?Rss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${daemon.pid}/smaps`, "utf8"));
  const point = { rss: kib("VmRSS"), heapTotal: Math.round(usage.heapTotal / 1024), heapPhysical: Math.round(usage.v8.total_physical_size / 1024), heap: Math.round(usage.heapUsed / 1024), external: Math.round(usage.external / 1024), arrayBuffers: Math.round(usage.arrayBuffers / 1024), mallocHeap: heapLine ? Number(heapLine[1]) : 0 };
  if (process.env.TRACE_MEMORY) {
    const groups = {};
    let current = "";
    for (const line of readFileSync(`/proc/${daemon.pid}/smaps`, "utf8").split("\n")) {
      const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) { const size = (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024; current = head[3] || (size === 260 ? "anon260K" : size >= 60000 ? "anon>=60M" : size >= 1024 ? "anon>=1M" : size === 256 ? "anon256K" : "anon<1M"); if (current.includes(".so") || current.includes("node")) current = "code/libs"; if (size === 260) groups.n260 = (groups.n260 ?? 0) + 1; continue; }
      const rss = /^Rss:\s+(\d+)/.exec(line);
      if (rss) groups[current] = (groups[current] ?? 0) + Number(rss[1]);
    }
    console.log("smaps", JSON.stringify(groups));
  }
  // What malloc keeps free, then what stays resident once malloc_trim(0) has given every free page back.
  point.mallocFree = mallocFree(true)?.freeKiB ?? 0;
  point.rssTrimmed = HAVE_GDB ? Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${daemon.pid}/status`, "utf8"))[1]) : point.rss;
  if (process.env.TRACE_MEMORY) console.log("point", JSON.stringify(point), "v8phys", Math.round(usage.v8.total_physical_size / 1024), "malloced", Math.round(usage.v8.malloced_memory / 1024), "rss-heapTotal", point.rss - point.heapTotal, `${((Date.now() - started) / 1000).toFixed(0)} s`);
  return point;
}

/**
 * How much of what malloc holds is free (in its bins, all arenas: resident but unused), from glibc's
 * malloc_info() called in vmctld through gdb; with `trim`, then malloc_trim(0). Undefined without gdb.
 */
function mallocFree(trim = false) {
  if (!HAVE_GDB) return undefined;
  const out = join(home, "malloc-info.xml");
  rmSync(out, { force: true });
  const calls = [`call (void*)fopen("${out}", "w")`, "call (int)malloc_info(0, $1)", "call (int)fclose($1)", ...(trim ? ["call (int)malloc_trim(0)"] : [])];
  const result = spawnSync("gdb", ["-p", String(daemon.pid), "-batch", "-nx", ...calls.flatMap((c) => ["-ex", c])], { encoding: "utf8" });
  if (!existsSync(out)) throw new Error(`gdb could not ask vmctld's malloc_info(): ${result.stderr.slice(-300)}`);
  const xml = readFileSync(out, "utf8");
  // The totals over every arena follow the last </heap>.
  const all = xml.slice(xml.lastIndexOf("</heap>"));
  const size = (type) => Number(new RegExp(`<total type="${type}" count="\\d+" size="(\\d+)"`).exec(all)?.[1] ?? 0);
  const main = xml.slice(xml.indexOf('<heap nr="0">'), xml.indexOf("</heap>"));
  const system = Number(/<system type="current" size="(\d+)"/.exec(main)?.[1] ?? 0);
  return { freeKiB: Math.round((size("fast") + size("rest")) / 1024), mainHeapKiB: Math.round(system / 1024) };
}
/** HEAP_SNAPSHOTS: vmctld writes a heap snapshot (--heapsnapshot-signal) into `dir`; waits until it is complete. */
async function heapSnapshot(dir) {
  const before = new Set(readdirSync(dir));
  daemon.kill("SIGUSR1");
  for (let i = 0; i < 240; i++) {
    await sleep(500);
    const file = readdirSync(dir).find((f) => !before.has(f));
    if (file && readFileSync(join(dir, file), "utf8").trimEnd().endsWith("]}")) return;
  }
  throw new Error("vmctld wrote no complete heap snapshot in 2 minutes");
}
const HAVE_GDB = spawnSync("gdb", ["--version"]).status === 0;

/** A JSON (or binary) viewer of a console that collects the text it shows. */
function viewer(name, { binary = false, stalled = false } = {}) {
  const socket = client.openConsole(name, { binary });
  const state = { socket, text: "", closed: false };
  socket.on("message", (raw, isBinary) => {
    const buffer = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    if (isBinary) { state.text += buffer.toString("latin1"); return; }
    const message = JSON.parse(buffer.toString());
    if (message.type === "console" && message.data.content) state.text += Buffer.from(message.data.content, "base64").toString("latin1");
  });
  socket.on("close", () => { state.closed = true; });
  socket.on("error", () => { state.closed = true; });
  state.opened = new Promise((resolve, reject) => { socket.once("open", resolve); socket.once("error", reject); });
  // A viewer that stops reading: its socket is paused, so vmctld's send queue for it fills.
  if (stalled) void state.opened.then(() => socket._socket.pause());
  state.waitFor = async (needle, what) => {
    for (let i = 0; i < 2400 && !state.text.includes(needle); i++) await sleep(100);
    if (!state.text.includes(needle)) throw new Error(`${name}: ${what} never showed "${needle}"; last output: ${state.text.slice(-300)}`);
  };
  state.close = () => (state.closed ? undefined : (binary || stalled ? socket.terminate() : socket.close()));
  return state;
}

/** The command that makes the guest print `bytes` of text; its marker is computed so the echo of the typed line does not match. */
const printCommand = (round) => `head -c ${bytes} /dev/zero | tr '\\0' y | fold -w 79; echo bench-$((${round}*1000+1))-done\n`;
const printed = (round) => `bench-${round * 1000 + 1}-done`;

async function cliConsole(name, input) {
  const child = spawn(process.execPath, [CLI, "--home", home, "console", name], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c) => { stderr += c; });
  child.stdin.end(input);
  const code = await new Promise((r) => child.on("exit", (c) => r(c ?? 1)));
  if (code !== 0) throw new Error(`vmctl console ${name} exited with ${code}: ${stderr}`);
}

/** Resident memory less the JS heap's free pages, and of it what vmctld holds (see the top of this file). */
const resident = (point) => point.rss - point.heapPhysical + point.heap;
const perVm = (point, base, n) => {
  const d = Object.fromEntries(Object.keys(point).map((key) => [key, (point[key] - base[key]) / n]));
  const held = (p) => p.rssTrimmed - p.heapPhysical + p.heap;
  return { ...d, resident: (resident(point) - resident(base)) / n, held: (held(point) - held(base)) / n, trimmed: (point.rss - point.rssTrimmed - base.rss + base.rssTrimmed) / n };
};
const kib = (n) => `${n.toFixed(0).padStart(5)} KiB`;
const show = (label, d) => console.log(`  ${label.padEnd(42)}held ${kib(d.held)}, resident ${kib(d.resident)} before malloc_trim; live JS heap ${kib(d.heap)}, buffers ${kib(d.arrayBuffers)}, raw VmRSS ${kib(d.rss)}`);
const phases = [];
let phaseStart = Date.now();
const phase = (name) => { phases.push(`${name} ${((Date.now() - phaseStart) / 1000).toFixed(0)} s`); phaseStart = Date.now(); };

async function startAll(names) {
  await Promise.all(names.map(async (name) => {
    const task = await client.power(name, { action: "start" });
    const done = await client.getTask(task.id, 120);
    if (done.state !== "success") throw new Error(`start ${name}: ${done.state} ${done.error?.message ?? ""}`);
  }));
}

/**
 * Starts the VMs `names` and runs each through a full scroll-back twice: once watched by a JSON, a
 * binary and a stalled viewer, once typed through `vmctl console`, then a late viewer reads the
 * scroll-back. `at` is called at the points measured (booted, printed); the VMs stay running.
 */
async function exercise(names, at = async () => {}) {
  for (const name of names) await client.createVm(vm(name));
  await startAll(names);
  const watchers = names.map((name) => ({ name, json: viewer(name), bin: viewer(name, { binary: true }), stalled: viewer(name, { stalled: true }) }));
  await Promise.all(watchers.flatMap((w) => [w.json.opened, w.bin.opened, w.stalled.opened]));
  await Promise.all(watchers.map((w) => w.json.waitFor(GUEST_READY_LINE, "the boot")));
  await at("booted");
  // Round 1: every guest prints more than its scroll-back while three viewers watch (one stalled).
  for (const w of watchers) w.json.socket.send(JSON.stringify({ type: "console_input", data: { content: Buffer.from(printCommand(1)).toString("base64") } }));
  await Promise.all(watchers.flatMap((w) => [w.json.waitFor(printed(1), "the JSON viewer"), w.bin.waitFor(printed(1), "the binary viewer")]));
  await at("printed");
  for (const w of watchers) { w.json.close(); w.bin.close(); w.stalled.close(); }
  // Round 2: the same again, typed through `vmctl console` with piped input (it leaves 1.5 s after
  // its input ends, while the guest still prints); a late viewer then waits for the end of it.
  await Promise.all(names.map((name) => cliConsole(name, printCommand(2))));
  await Promise.all(names.map(async (name) => {
    const late = viewer(name);
    await late.opened;
    await late.waitFor(printed(2), "a late viewer");
    late.close();
  }));
}

const vm = (name) => ({ name, memory: "128MiB", boot: { datastore: "images", kernel: "vmlinuz", initrd: "initrd.img", cmdline: guest.cmdline } });

try {
  for (let i = 0; i < 600; i++) { try { await client.host(); break; } catch (error) { if (i === 599) throw error; await sleep(100); } }
  // Warm every code path with as many VMs as are measured (then delete them), so the baseline is
  // not the cost of loading and compiling code: V8 compiles and optimizes code as paths get hot,
  // once per vmctld, however many VMs run (two warm-up VMs left ~120 KiB of code per measured VM).
  const warm = Array.from({ length: count }, (_, i) => `mem-warm-${i}`);
  await exercise(warm);
  await Promise.all(warm.map(async (name) => {
    await client.getTask((await client.power(name, { action: "stop", force: true })).id, 60);
    await client.destroyVm(name);
  }));
  const base = await measure();
  // HEAP_SNAPSHOTS=DIR: vmctld writes a heap snapshot into DIR here and at the end, to compare what
  // the JS heap holds per VM (writing one costs MiBs that stay: the figures of such a run do not count).
  if (process.env.HEAP_SNAPSHOTS) await heapSnapshot(process.env.HEAP_SNAPSHOTS);
  phase("warm-up");
  const names = Array.from({ length: count }, (_, i) => `mem-${i}`);
  const points = {};
  await exercise(names, async (label) => { points[label] = await measure(); phase(label === "booted" ? "boot" : "round 1"); });
  points.quiet = await measure();
  if (process.env.HEAP_SNAPSHOTS) await heapSnapshot(process.env.HEAP_SNAPSHOTS);
  phase("round 2");
  const full = perVm(points.quiet, base, count);

  console.log(`bench/memory: ${count} running test guests (TCG, ${count} chosen for 2 cores), each printed ${Math.round(bytes / 1024)} KiB twice: every ${SCROLLBACK_KIB} KiB scroll-back is full`);
  console.log(`  vmctld after a full GC (global.gc() on SIGUSR2), no VM running: VmRSS ${base.rss} KiB (${base.rssTrimmed} KiB after malloc_trim), JS heap ${base.heap} KiB live of ${base.heapPhysical} KiB resident, buffers ${base.arrayBuffers} KiB${HAVE_GDB ? "" : "; no gdb: held is resident"}`);
  console.log("  growth per running VM (resident = VmRSS − V8's resident heap + heap in use; held = the same once malloc_trim(0) gave back malloc's free pages):");
  show("booted, 3 viewers each (one not reading)", perVm(points.booted, base, count));
  show("printed, the 3 viewers still open", perVm(points.printed, base, count));
  show("quiet, viewers gone", full);
  console.log(`  beyond the ${SCROLLBACK_KIB} KiB scroll-back ring: held ${(full.held - SCROLLBACK_KIB).toFixed(0)} KiB per VM (target ≤ 128 KiB), of it ${full.heap.toFixed(0)} KiB live JS heap; buffers beyond the ring: ${(full.arrayBuffers - SCROLLBACK_KIB).toFixed(0)} KiB; malloc_trim gave back ${full.trimmed.toFixed(0)} KiB per VM more than at the baseline`);
  console.log(`per running VM in total: ${full.held.toFixed(0)} KiB held (full scroll-back, viewers gone; target ≤ 384 KiB); ${full.resident.toFixed(0)} KiB resident before malloc_trim`);
  console.log(`  ${phases.join(", ")}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
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
