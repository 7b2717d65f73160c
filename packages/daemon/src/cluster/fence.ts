// The fence: before a joined host serves, every VM it runs that the cluster wants on another host
// is stopped hard — the host may come back after vmcenter declared it dead and restarted its VMs
// elsewhere, and one VM must never run twice on the same disks. Desired state is read from etcd
// with a short timeout; without etcd the host starts as it would alone (and never starts an HA VM
// by itself: host.ts's mayStartItself).
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { hasProcess } from "@vmctl/api-types";
import { keys, type ClusterStore, type DesiredVm } from "@vmctl/center";
import { isAlive, isOurQemu } from "@vmctl/qemu";
import type { Host } from "../host.js";

export const FENCE_READ_TIMEOUT_MS = 5000;
const FENCE_USER = "vmcenter agent (fence)";

/** Every desired record, or null when etcd did not answer in time. */
export async function readDesired(store: ClusterStore, timeoutMs = FENCE_READ_TIMEOUT_MS): Promise<DesiredVm[] | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); });
  try {
    const listed = await Promise.race([store.list<DesiredVm>(keys.vms()), timeout]);
    return listed ? listed.filter((kv) => kv.key.endsWith("/desired")).map((kv) => kv.value) : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Before host.start(): kills the QEMUs left running for VMs this host no longer lists (their owner
 * file names another host now, so no reconcile would find them) that are desired on another host.
 */
export function killOrphans(host: Host, elsewhere: DesiredVm[], log: Logger): string[] {
  const runDir = host.config.runDir;
  const killed: string[] = [];
  const names = new Set(elsewhere.map((d) => d.name));
  for (const name of existsSync(runDir) ? readdirSync(runDir) : []) {
    if (!names.has(name)) continue;
    const entry = host.inventory.find(name);
    if (entry && !elsewhere.some((d) => d.uuid === entry.def?.uuid)) continue; // a VM of this host by that name
    const pidFile = join(runDir, name, "qemu.pid");
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : NaN;
    if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid) || !isOurQemu(pid, join(runDir, name, "qmp.sock"))) continue;
    if (entry) continue; // listed here: host.start() re-attaches it and fenceHeld stops it properly
    log.warn({ vm: name, pid }, "fence: killing the QEMU of a VM the cluster runs on another host");
    process.kill(pid, "SIGKILL");
    killed.push(name);
  }
  return killed;
}

/** After host.start() re-attached the running QEMUs: stops hard each VM of this host desired on another one. */
export async function fenceHeld(host: Host, elsewhere: DesiredVm[], log: Logger): Promise<string[]> {
  const uuids = new Set(elsewhere.map((d) => d.uuid));
  const fenced: string[] = [];
  await Promise.all(host.inventory.list().map(async (entry) => {
    const uuid = entry.def?.uuid;
    if (!uuid || !uuids.has(uuid)) return;
    const rt = host.runtimes.get(entry.name);
    if (!rt.process && !hasProcess(rt.state)) return;
    log.warn({ vm: entry.name, host: elsewhere.find((d) => d.uuid === uuid)?.host }, "fence: stopping a VM the cluster wants on another host");
    try {
      const task = host.power.request(entry.name, { action: "stop", force: true }, FENCE_USER);
      await host.tasks.wait(task.id, 30_000);
      fenced.push(entry.name);
    } catch (error) {
      log.error({ vm: entry.name, err: (error as Error).message }, "fence: the stop was refused; killing its QEMU");
      const pid = rt.pid;
      if (pid && isAlive(pid) && isOurQemu(pid, join(host.config.runDir, entry.name, "qmp.sock"))) {
        process.kill(pid, "SIGKILL");
        fenced.push(entry.name);
      }
    }
  }));
  return fenced;
}
