// bench/api: GET /api/v1/vms with 1,000 VMs defined (autocannon on the unix socket, vmctld pinned to one
// core) against /healthz on the same server as the framework's ceiling; then the serial console:
// keystroke echo round trip and guest output throughput through vmctld, against a raw connection
// to the same QEMU argv's serial socket. Run: npm run bench:api
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, existsSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { VmctlClient, apiPaths } from "../packages/client/dist/index.js";
import { GUEST_READY_LINE } from "../packages/guest/dist/index.js";
import { benchGuest } from "./bench-guest.mjs";
import { validateDefinition } from "../packages/definition/dist/index.js";
import { buildQemuArgv, isAlive } from "../packages/qemu/dist/index.js";

const VMS = 1000;
const guest = await benchGuest();
const home = mkdtempSync(join(tmpdir(), "vmctl-bench-api-"));
writeFileSync(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\nlog_level = "warn"\n[networks.default]\nkind = "user"\n[datastores.images]\npath = ${JSON.stringify(guest.dir)}\n`);
// One core for vmctld, the other for autocannon and QEMU: the target is per core.
const daemon = spawn("taskset", ["-c", "0", process.execPath, new URL("../packages/daemon/dist/main.js", import.meta.url).pathname, "--home", home], { stdio: "ignore" });
const client = new VmctlClient({ socketPath: join(home, "vmctld.sock") });
const guestInput = (name) => ({ name, memory: "256MiB", boot: { datastore: "images", kernel: "vmlinuz", initrd: "initrd.img", cmdline: guest.cmdline } });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const pids = [];

// Over the unix socket: the same app and routes as HTTPS, without TLS, whose cost is not the API's.
async function load(path, seconds = 5) {
  const result = await autocannon({ url: `http://localhost${path}`, socketPath: join(home, "vmctld.sock"), connections: 10, duration: seconds, pipelining: 1 });
  return { rps: result.requests.average, p99: result.latency.p99, bytes: result.throughput.average, errors: result.errors + result.non2xx };
}

function echoRoundTrips(sendKey, onData, count) {
  // One printable key at a time; the round trip ends when the guest's echo of it arrives.
  return new Promise((resolve) => {
    const times = [];
    let waiting = null;
    let started = 0;
    onData((chunk) => {
      if (waiting && chunk.includes(waiting)) {
        times.push(performance.now() - started);
        waiting = null;
        if (times.length >= count) resolve(times);
        else setTimeout(next, 5);
      }
    });
    const keys = "abcdefghijklmnopqrstuvwxyz";
    const next = () => { waiting = keys[times.length % keys.length]; started = performance.now(); sendKey(Buffer.from(waiting)); };
    next();
  });
}

async function throughput(send, onData, bytes) {
  let received = 0;
  let done;
  const finished = new Promise((r) => { done = r; });
  let t0 = 0;
  onData((chunk) => { if (t0) { received += chunk.length; if (received >= bytes) done(); } });
  t0 = performance.now();
  send(Buffer.from(`head -c ${bytes} /dev/zero | tr '\\0' x; echo\n`));
  await finished;
  return (bytes / ((performance.now() - t0) / 1000)) / 1e6;
}

function consoleOverVmctld(name) {
  const socket = client.openConsole(name, { binary: true });
  let handler = () => {};
  socket.on("message", (raw) => handler(Buffer.from(raw).toString("latin1")));
  return { ready: new Promise((r) => socket.once("open", r)), send: (b) => socket.send(b, { binary: true }), onData: (h) => { handler = h; }, close: () => socket.close() };
}

function consoleRaw(path) {
  const socket = connect(path);
  socket.setNoDelay(true);
  let handler = () => {};
  socket.on("data", (chunk) => handler(chunk.toString("latin1")));
  return { ready: new Promise((r) => socket.once("connect", r)), send: (b) => socket.write(b), onData: (h) => { handler = h; }, close: () => socket.destroy() };
}

async function waitText(con, needle) {
  let text = "";
  await new Promise((resolve) => con.onData((chunk) => { text += chunk; if (text.includes(needle)) resolve(); }));
}

try {
  for (let i = 0; i < 200; i++) { try { await client.host(); break; } catch { await new Promise((r) => setTimeout(r, 50)); } }
  const t0 = performance.now();
  for (let i = 0; i < VMS; i++) await client.createVm({ name: `vm-${String(i).padStart(4, "0")}`, memory: "128MiB" });
  console.log(`bench/api: defined ${VMS} VMs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await load(apiPaths.vms(), 2); // warm-up
  const ceiling = await load("/healthz");
  const full = await load(apiPaths.vms());
  const page = await load(apiPaths.vms({ limit: 50 }));
  console.log(`GET /healthz (framework ceiling)      ${ceiling.rps.toFixed(0)} req/s  p99 ${ceiling.p99} ms`);
  console.log(`GET /api/v1/vms (all ${VMS})            ${full.rps.toFixed(0)} req/s  p99 ${full.p99} ms  ${(full.bytes / 1e6).toFixed(0)} MB/s  errors ${full.errors}  ratio to ceiling ${(full.rps / ceiling.rps).toFixed(3)}  (target ≥ 5000 req/s)`);
  console.log(`GET /api/v1/vms?limit=50              ${page.rps.toFixed(0)} req/s  p99 ${page.p99} ms  errors ${page.errors}  ratio to ceiling ${(page.rps / ceiling.rps).toFixed(3)}`);

  // Console: vmctld's shared console against a direct connection to a raw QEMU's serial socket.
  await client.createVm(guestInput("echo"));
  await client.getTask((await client.power("echo", { action: "start" })).id, 60);
  // vmctld is pinned to core 0 and its QEMU inherited that: give it every core, as the raw QEMU has.
  execFileSync("taskset", ["-a", "-p", "-c", "0,1", String((await client.getVm("echo")).pid)], { stdio: "ignore" });
  const viaVmctld = consoleOverVmctld("echo");
  await viaVmctld.ready;
  await waitText(viaVmctld, GUEST_READY_LINE);
  const accel = (await client.host()).accelerator.kind;
  const runDir = join(home, "raw");
  mkdirSync(runDir);
  const argv = buildQemuArgv(validateDefinition(guestInput("raw")), { runDir, accel, resolvePath: (_ds, p) => join(guest.dir, p), startPaused: true, daemonize: false });
  const raw = spawn("qemu-system-x86_64", argv, { stdio: "ignore" });
  pids.push(raw.pid);
  for (let i = 0; i < 100 && !existsSync(join(runDir, "serial.sock")); i++) await new Promise((r) => setTimeout(r, 50));
  const direct = consoleRaw(join(runDir, "serial.sock"));
  await direct.ready;
  const qmp = connect(join(runDir, "qmp.sock"));
  qmp.write('{"execute":"qmp_capabilities"}\n{"execute":"cont"}\n');
  await waitText(direct, GUEST_READY_LINE);
  await new Promise((r) => setTimeout(r, 500));

  const echoRaw = await echoRoundTrips(direct.send, direct.onData, 100);
  const echoVmctld = await echoRoundTrips(viaVmctld.send, viaVmctld.onData, 100);
  direct.send(Buffer.from("\x15clear\n")); viaVmctld.send(Buffer.from("\x15clear\n"));
  await new Promise((r) => setTimeout(r, 500));
  const rawMBs = await throughput(direct.send, direct.onData, 4_000_000);
  const vmctldMBs = await throughput(viaVmctld.send, viaVmctld.onData, 4_000_000);
  console.log(`console echo round trip, median of 100: raw socket ${median(echoRaw).toFixed(2)} ms, through vmctld ${median(echoVmctld).toFixed(2)} ms, added ${(median(echoVmctld) - median(echoRaw)).toFixed(2)} ms (target < 5 ms round trip)`);
  console.log(`console output, 4 MB from the guest: raw socket ${rawMBs.toFixed(2)} MB/s, through vmctld ${vmctldMBs.toFixed(2)} MB/s, ratio ${(vmctldMBs / rawMBs).toFixed(3)} (target ≥ 10 MB/s; the guest's emulated UART under ${accel} is the limit)`);
  viaVmctld.close(); direct.close(); qmp.destroy();
  mkdirSync(new URL("results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("results/api.json", import.meta.url), JSON.stringify({ date: new Date().toISOString(), vms: VMS, ceiling, full, page, echoRaw, echoVmctld, rawMBs, vmctldMBs }, null, 2));
} finally {
  daemon.kill("SIGKILL");
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  const pidfile = join(home, "run", "echo", "qemu.pid");
  if (existsSync(pidfile)) { const pid = Number(readFileSync(pidfile, "utf8")); if (isAlive(pid)) process.kill(pid, "SIGKILL"); }
  rmSync(home, { recursive: true, force: true });
  guest.remove();
}
