// bench/cluster: on a three-host demo cluster (etcd, vmcenter, three vmctld on loopback, one shared
// datastore), in one run: live-migration time and downtime of an idle 256 MiB demo guest (moved back
// and forth), the HA restart time after its host is killed (kill -9 of vmctld and QEMU: until it runs
// elsewhere, and until its console shows the ready line), and the latency of GET vm through vmcenter
// against the same request direct to the owning host (both HTTPS, one request at a time), as a ratio.
// Run: npm run bench:cluster [-- --runs 3 --requests 300]   (needs `npm run build` and the demo guest)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { VmctlClient } from "../packages/client/dist/index.js";
import { GUEST_READY_LINE } from "../packages/guest/dist/index.js";
import { HOST_LEASE_SECONDS } from "../packages/center/dist/cluster-keys.js";
import { runClusterDemo, killHost, hostQemus } from "../packages/center/dist/demo/cluster-demo.js";
import { benchGuest } from "./bench-guest.mjs";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, requests: { type: "string", default: "300" }, grace: { type: "string", default: "5" } } });
const runs = Number(values.runs);
const requests = Number(values.requests);
const grace = Number(values.grace);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const percentile = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
const ms = (x) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
const sleep = (t) => new Promise((r) => setTimeout(r, t));

const guest = await benchGuest();
const dir = mkdtempSync(join(tmpdir(), "vmctl-bench-cluster-"));
const guestInput = (name, extra = {}) => ({ name, memory: "256MiB", boot: { datastore: "images", kernel: "vmlinuz", initrd: "initrd.img", cmdline: guest.cmdline }, ...extra });

async function done(client, task) {
  const ended = await client.cluster.waitTask(task.id);
  if (ended.state !== "success") throw new Error(`${ended.op} ended ${ended.state}: ${JSON.stringify(ended.error)}`);
  return ended;
}

/** Resolves once the VM's serial console (through vmcenter) shows `pattern`; the scroll-back counts. */
function consoleShows(client, name, pattern, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const socket = client.openConsole(name);
    let text = "";
    const timer = setTimeout(() => { socket.close(); reject(new Error(`${name}'s console never showed ${pattern}: ${text.slice(-300)}`)); }, timeoutMs);
    socket.on("message", (raw) => {
      const message = JSON.parse(raw.toString());
      if (message.type === "console" && message.data.content) text += Buffer.from(message.data.content, "base64").toString("latin1");
      if (text.includes(pattern)) { clearTimeout(timer); socket.close(); resolve(); }
    });
    socket.on("error", (error) => { clearTimeout(timer); reject(error); });
  });
}

async function vmHost(client, name) {
  return (await client.cluster.vms()).find((v) => v.name === name);
}

let demo;
// Ctrl-C ends the cluster too: its processes do not end with this one.
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => { void demo?.stop().finally(() => process.exit(130)); });
try {
  process.stderr.write("starting the demo cluster (etcd, vmcenter, 3 hosts)…\n");
  const t0 = performance.now();
  demo = await runClusterDemo({ hosts: 3, dir, guest: { kernel: guest.kernel, initrd: guest.initrd }, haGraceSeconds: grace });
  process.stderr.write(`cluster up in ${ms(performance.now() - t0)}\n`);
  const client = demo.client();
  const ca = client.endpoint.ca;

  // Live migration of an idle 256 MiB guest, back and forth between two hosts.
  const created = await done(client, await client.cluster.createVm(guestInput("bench-mig"), "shared"));
  let here = created.result.host;
  await done(client, await client.power("bench-mig", { action: "start" }));
  await consoleShows(client, "bench-mig", GUEST_READY_LINE);
  await sleep(2000); // idle: past the boot's own page writes
  const migrations = [];
  for (let i = 0; i < runs; i++) {
    const target = demo.hosts.find((h) => h.id !== here && h.id !== demo.hosts[2].id) ?? demo.hosts.find((h) => h.id !== here);
    const started = performance.now();
    const ended = await done(client, await client.cluster.migrate("bench-mig", { host: target.id, live: true }));
    migrations.push({ wallMs: performance.now() - started, ...ended.result });
    here = target.id;
    await sleep(500);
  }

  // API latency: GET vm through vmcenter (proxied to the owner) and direct to that host, alternating blocks.
  const owner = demo.hosts.find((h) => h.id === here);
  const { client: direct } = await new VmctlClient({ url: owner.url, ca }).openSession("admin", demo.hostPassword);
  const viaCenter = [];
  const viaHost = [];
  // vmcenter's own answer (GET cluster info: authentication, no host): what of the proxy's cost is vmcenter's.
  const centerAlone = [];
  for (let i = 0; i < 20; i++) { await client.getVm("bench-mig"); await direct.getVm("bench-mig"); await client.cluster.info(); } // warm-up
  const block = 25;
  const kinds = [[() => client.getVm("bench-mig"), viaCenter], [() => direct.getVm("bench-mig"), viaHost], [() => client.cluster.info(), centerAlone]];
  for (let i = 0; i < requests; i += block) {
    for (const [call, times] of kinds) {
      for (let j = 0; j < block; j++) {
        const s = performance.now();
        await call();
        times.push(performance.now() - s);
      }
    }
  }

  // HA: the guest made HA on the shared datastore; its host killed; time until it runs elsewhere.
  await done(client, await client.power("bench-mig", { action: "stop", force: true }));
  const ha = await done(client, await client.cluster.createVm(guestInput("bench-ha", { policy: { ha: true } }), "shared"));
  const victim = demo.hosts.find((h) => h.id === ha.result.host);
  await done(client, await client.power("bench-ha", { action: "start" }));
  await consoleShows(client, "bench-ha", GUEST_READY_LINE);
  // vmcenter has seen it running (agents report every 2 s): HA restarts what was last seen running.
  while ((await vmHost(client, "bench-ha"))?.state !== "running") await sleep(100);
  await killHost(demo, victim.id);
  const killedAt = performance.now();
  let restarted;
  for (;;) {
    const vm = await vmHost(client, "bench-ha").catch(() => undefined);
    if (vm && vm.host !== victim.id && vm.state === "running") { restarted = vm; break; }
    if (performance.now() - killedAt > 180_000) throw new Error(`bench-ha was not restarted within 180 s: ${JSON.stringify(vm)}`);
    await sleep(100);
  }
  const runningMs = performance.now() - killedAt;
  await consoleShows(client, "bench-ha", GUEST_READY_LINE);
  const readyMs = performance.now() - killedAt;
  const copies = demo.hosts.flatMap((h) => hostQemus(h.home).filter((q) => q.vm === "bench-ha"));

  const m = (key) => median(migrations.map((x) => x[key]));
  process.stdout.write([
    `live migration, idle 256 MiB guest, shared storage (${runs} runs): ${ms(m("totalMs"))} median migration (${ms(m("wallMs"))} for the whole cluster task), downtime ${ms(m("downtimeMs"))} median (runs: ${migrations.map((x) => x.downtimeMs).join(", ")} ms), ${(m("bytes") / 2 ** 20).toFixed(1)} MiB sent`,
    `HA restart after kill -9 of the host (lease ${HOST_LEASE_SECONDS} s, grace ${grace} s): running on ${restarted.hostName} after ${(runningMs / 1000).toFixed(1)} s, its console's ready line after ${(readyMs / 1000).toFixed(1)} s; ${copies.length} QEMU of it in the cluster`,
    `API latency, GET vm (${viaCenter.length} requests each, one at a time, HTTPS): through vmcenter ${ms(median(viaCenter))} median (p99 ${ms(percentile(viaCenter, 0.99))}), direct to the host ${ms(median(viaHost))} (p99 ${ms(percentile(viaHost, 0.99))}): ${(median(viaCenter) / median(viaHost)).toFixed(2)}× the host's; vmcenter's own GET cluster info ${ms(median(centerAlone))} (p99 ${ms(percentile(centerAlone, 0.99))})`,
    "",
  ].join("\n"));
} finally {
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
  guest.remove();
}
