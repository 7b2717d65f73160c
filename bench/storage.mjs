// bench/storage: linked clone and snapshot times through vmctld for a 1 GiB and a 100 GiB sparse base
// disk (equal times mean constant time, whatever the size), against qemu-img doing the same by hand
// in the same run; and full-clone throughput against a plain `qemu-img convert` of the same disk.
// Run: npm run bench:storage [-- --runs 5 --fill 512]
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { VmctlClient } from "../packages/client/dist/index.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, fill: { type: "string", default: "512" } } });
const runs = Number(values.runs);
const fillMiB = Number(values.fill);
const home = mkdtempSync(join(tmpdir(), "vmctl-bench-storage-"));
const local = join(home, "datastores/local");
writeFileSync(join(home, "vmctld.toml"), `listen = "127.0.0.1:0"\nlog_level = "warn"\n[networks.default]\nkind = "user"\n`);
const daemon = spawn(process.execPath, [new URL("../packages/daemon/dist/main.js", import.meta.url).pathname, "--home", home], { stdio: "ignore", env: { ...process.env, VMCTL_ADMIN_PASSWORD: "bench-password" } });
const client = new VmctlClient({ socketPath: join(home, "vmctld.sock") });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;
const qemuImg = (...args) => execFileSync("qemu-img", args, { stdio: ["ignore", "ignore", "inherit"] });
/** Milliseconds from the request to the task's end, as a user of the API sees it. */
async function timedTask(start) {
  const t0 = performance.now();
  const task = await start();
  const done = await client.waitTask(task.id);
  if (done.state !== "success") throw new Error(`${task.op}: ${done.error?.message}`);
  return performance.now() - t0;
}
function timedSync(work) {
  const t0 = performance.now();
  work();
  return performance.now() - t0;
}

try {
  for (let i = 0; i < 200; i++) { try { await client.host(); break; } catch { await new Promise((r) => setTimeout(r, 50)); } }
  console.log(`bench/storage: ${runs} runs each, medians; base disks sparse with 64 MiB written`);
  const rows = [];
  for (const size of ["1GiB", "100GiB"]) {
    const name = `base-${size.toLowerCase()}`;
    await client.createVm({ name, memory: "128MiB", disks: { disk0: { file: `${name}/disk0.qcow2`, size } } });
    const image = join(local, name, "disk0.qcow2");
    execFileSync("qemu-io", ["-f", "qcow2", "-c", "write -P 0x42 0 64M", image], { stdio: "ignore" });

    // Snapshots of the stopped VM's disk, through vmctld and by hand.
    const snapApi = [];
    const snapRaw = [];
    for (let r = 0; r < runs; r++) {
      snapApi.push(await timedTask(() => client.createSnapshot(name, { name: `s${r}` })));
      snapRaw.push(timedSync(() => qemuImg("snapshot", "-c", `raw${r}`, image)));
    }
    for (let r = 0; r < runs; r++) {
      await timedTask(() => client.deleteSnapshot(name, `s${r}`));
      qemuImg("snapshot", "-d", `raw${r}`, image);
    }

    // Linked clones of the template, through vmctld and by hand.
    await client.setTemplate(name, true);
    const cloneApi = [];
    const cloneRaw = [];
    for (let r = 0; r < runs; r++) {
      cloneApi.push(await timedTask(() => client.cloneVm(name, { name: `${name}-l${r}`, linked: true })));
      cloneRaw.push(timedSync(() => qemuImg("create", "-q", "-f", "qcow2", "-b", image, "-F", "qcow2", join(home, `overlay-${name}-${r}.qcow2`))));
    }
    rows.push({ size, snapApi: median(snapApi), snapRaw: median(snapRaw), cloneApi: median(cloneApi), cloneRaw: median(cloneRaw) });
    console.log(`${size.padStart(6)} base: snapshot ${ms(median(snapApi))} via vmctld (qemu-img snapshot by hand ${ms(median(snapRaw))}); linked clone ${ms(median(cloneApi))} via vmctld (qemu-img create -b by hand ${ms(median(cloneRaw))})`);
  }
  const [small, big] = rows;
  console.log(`constant time: 100 GiB / 1 GiB ratio — snapshot ${(big.snapApi / small.snapApi).toFixed(2)}, linked clone ${(big.cloneApi / small.cloneApi).toFixed(2)} (1.00 = independent of size)`);

  // Full clone throughput: a 1 GiB disk with fillMiB of data, vmctld's clone task against plain qemu-img convert.
  await client.createVm({ name: "full-src", memory: "128MiB", disks: { disk0: { file: "full-src/disk0.qcow2", size: "1GiB" } } });
  const src = join(local, "full-src/disk0.qcow2");
  execFileSync("qemu-io", ["-f", "qcow2", "-c", `write -P 0x5a 0 ${fillMiB}M`, src], { stdio: "ignore" });
  const api = [];
  const raw = [];
  for (let r = 0; r < Math.min(runs, 3); r++) {
    api.push(await timedTask(() => client.cloneVm("full-src", { name: `full-${r}` })));
    const target = join(home, `convert-${r}.qcow2`);
    raw.push(timedSync(() => qemuImg("convert", "-O", "qcow2", src, target)));
    rmSync(target);
    await client.destroyVm(`full-${r}`);
  }
  const allocated = statSync(src).blocks * 512 / 1024 ** 2;
  const rate = (t) => `${(allocated / (t / 1000)).toFixed(0)} MiB/s`;
  console.log(`full clone of a 1 GiB disk holding ${allocated.toFixed(0)} MiB: ${ms(median(api))} via vmctld (${rate(median(api))}), plain qemu-img convert ${ms(median(raw))} (${rate(median(raw))}); ratio ${(median(api) / median(raw)).toFixed(2)}`);
} finally {
  daemon.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
}
