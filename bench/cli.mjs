// bench/cli: what a CLI command costs before it does anything. `vmctl ls` against a real vmctld (a
// temporary home with a few VMs defined, none running) against `node -e 0`, the floor of any Node CLI,
// run alternately in one process. Prints both medians and the ratio (target ≤ 1.5).
// Run: npm run bench:cli [-- --runs 30]   (needs `npm run build`)
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { VmctlClient } from "../packages/client/dist/index.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "30" }, vms: { type: "string", default: "5" }, cli: { type: "string" } } });
const runs = Number(values.runs);
// --cli: another build of the CLI to compare (the default is the one `npm run build` makes).
const cli = values.cli ?? new URL("../packages/cli/dist/main.js", import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), "vmctl-bench-cli-"));
writeFileSync(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\nlog_level = "warn"\n`);
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
function timed(args) {
  const t0 = performance.now();
  const result = spawnSync(process.execPath, args, { encoding: "utf8" });
  const elapsed = performance.now() - t0;
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return { elapsed, stdout: result.stdout };
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
  const floor = [];
  const vmctl = [];
  for (let i = 0; i < runs; i++) {
    floor.push(timed(["-e", "0"]).elapsed);
    vmctl.push(timed([cli, ...ls]).elapsed);
  }
  const m = { node: median(floor), vmctlLs: median(vmctl) };
  const ratio = m.vmctlLs / m.node;
  console.log(`bench/cli: ${runs} runs each, ${names.length} VMs defined, node ${process.version}`);
  console.log(`node -e 0    median ${m.node.toFixed(1)} ms  (min ${Math.min(...floor).toFixed(1)}, max ${Math.max(...floor).toFixed(1)})`);
  console.log(`vmctl ls     median ${m.vmctlLs.toFixed(1)} ms  (min ${Math.min(...vmctl).toFixed(1)}, max ${Math.max(...vmctl).toFixed(1)})`);
  console.log(`ratio vmctl ls / node -e 0: ${ratio.toFixed(2)}  (target ≤ 1.5)`);
} finally {
  daemon.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
}
