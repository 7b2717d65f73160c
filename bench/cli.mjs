// bench/cli: what a CLI command costs before it does anything. `vmctl ls` against a real vmctld (a
// temporary home with a few VMs defined, none running) against `node -e 0`, the floor of any Node CLI,
// run alternately in one process. Prints both medians and the ratio (target ≤ 1.5).
// Run: npm run bench:cli [-- --runs 30]   (bundles the CLI as tsc last wrote it; needs `npm run build` once)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { VmctlClient } from "../packages/client/dist/index.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "30" }, vms: { type: "string", default: "5" }, cli: { type: "string" } } });
const runs = Number(values.runs);
// --cli: another build of the CLI to compare (the default is the one `npm run build` makes).
const cli = values.cli ?? new URL("../packages/cli/dist/main.cjs", import.meta.url).pathname;
// What `npm start` links into /usr/local/bin: a sh wrapper that finds the checkout, then the same CLI.
const wrapper = new URL("../bin/vmctl", import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), "vmctl-bench-cli-"));
writeFileSync(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\nlog_level = "warn"\n[networks.default]\nkind = "user"\n`);
const daemon = spawn(process.execPath, [new URL("../packages/daemon/dist/main.js", import.meta.url).pathname, "--home", home], { stdio: ["ignore", "ignore", "pipe"] });
let daemonErr = "";
daemon.stderr.on("data", (chunk) => { daemonErr += chunk; });
const client = new VmctlClient({ socketPath: join(home, "vmctld.sock") });
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function waitForDaemon() {
  for (let i = 0; i < 600 && daemon.exitCode === null; i++) {
    try { return await client.host(); } catch { await new Promise((r) => setTimeout(r, 50)); }
  }
  throw new Error(`vmctld did not start: ${daemonErr}`);
}

/** Wall time of one run, from spawn to exit, in ms; a failed run stops the bench with its stderr. */
function timed(args, command = process.execPath) {
  const t0 = performance.now();
  const result = spawnSync(command, args, { encoding: "utf8" });
  const elapsed = performance.now() - t0;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return { elapsed, stdout: result.stdout };
}

/** Which code the CLI runs: the bundle npm run build made, or (missing or stale) the modules tsc wrote. */
async function whatRuns() {
  const freshness = join(dirname(cli), "bundle-freshness.cjs");
  if (!existsSync(freshness)) return "the modules tsc wrote (this build has no bundle)";
  const { bundleState } = (await import(freshness)).default;
  const state = bundleState(join(dirname(cli), "bundle/"));
  if (state.state === "current") return "dist/bundle (current)";
  return `the modules tsc wrote: the bundle is ${state.state}${state.file ? ` (${state.file} changed since)` : ""}; npm run build makes it again`;
}

try {
  await waitForDaemon();
  const names = Array.from({ length: Number(values.vms) }, (_, i) => `bench-${i + 1}`);
  for (const name of names) await client.createVm({ name, memory: "256MiB" });
  const ls = ["--home", home, "ls"];
  // The command must do its work, not just start: every VM in the table.
  const listed = timed([cli, ...ls]).stdout;
  const missing = names.filter((name) => !listed.includes(name));
  if (missing.length > 0) throw new Error(`vmctl ls did not list ${missing.join(", ")}:\n${listed}`);
  timed(["-e", "0"]); // warm-up: page cache
  const before = await whatRuns();
  const useWrapper = values.cli === undefined;
  if (useWrapper) timed(ls, wrapper);
  const floor = [];
  const vmctl = [];
  const wrapped = [];
  for (let i = 0; i < runs; i++) {
    floor.push(timed(["-e", "0"]).elapsed);
    vmctl.push(timed([cli, ...ls]).elapsed);
    if (useWrapper) wrapped.push(timed(ls, wrapper).elapsed);
  }
  const m = { node: median(floor), vmctlLs: median(vmctl), ...(useWrapper ? { binVmctlLs: median(wrapped) } : {}) };
  const ratio = m.vmctlLs / m.node;
  const range = (xs) => `(min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`;
  const after = await whatRuns();
  // A build during the runs (tsc -b) makes the bundle stale halfway: the figures then mix both.
  const ran = before === after ? before : `${before} at first, then ${after}: rerun for a clean figure`;
  console.log(`bench/cli: ${runs} runs each, ${names.length} VMs defined, node ${process.version}; the CLI runs ${ran}`);
  console.log(`node -e 0    median ${m.node.toFixed(1)} ms  ${range(floor)}`);
  console.log(`vmctl ls     median ${m.vmctlLs.toFixed(1)} ms  ${range(vmctl)}  (node ${cli.replace(`${process.cwd()}/`, "")} ls)`);
  if (useWrapper) console.log(`bin/vmctl ls median ${m.binVmctlLs.toFixed(1)} ms  ${range(wrapped)}  (through the sh wrapper: ratio ${(m.binVmctlLs / m.node).toFixed(2)})`);
  console.log(`ratio vmctl ls / node -e 0: ${ratio.toFixed(2)}  (target ≤ 1.5)`);
  if (!values.cli) {
    mkdirSync(new URL("results/", import.meta.url), { recursive: true });
    writeFileSync(new URL("results/cli.json", import.meta.url), JSON.stringify({ date: new Date().toISOString(), node: process.version, runs, floor, vmctl, wrapped, medians: m, ratio }, null, 2));
  }
} finally {
  daemon.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
}
