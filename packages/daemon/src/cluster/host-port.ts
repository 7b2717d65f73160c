// The daemon's side of the agent (HostPort of @vmctl/center's agent): who this host is, what it
// has, its own API over the unix socket, and the acts on VM folders of shared datastores that no
// route offers (taking a VM over, letting it go) plus a hard stop.
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { hasProcess, NAME_PATTERN } from "@vmctl/api-types";
import { VmctlClient } from "@vmctl/client";
import type { HostPort, HostResources, LocalVm } from "@vmctl/center";
import { parseDefinitionToml } from "@vmctl/definition";
import type { Host } from "../host.js";
import { readOwner, writeOwner } from "./vm-ownership.js";
import { haOf } from "./vm-policy.js";

const VM_NAME = new RegExp(NAME_PATTERN);

const AGENT_USER = "vmcenter agent";

/** MemAvailable (what can be given to new VMs without swapping); os.freemem() where /proc/meminfo does not say. */
function availableMemory(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"));
    if (match) return Number(match[1]) * 1024;
  } catch { /* not Linux */ }
  return freemem();
}

export class DaemonHostPort implements HostPort {
  readonly hostId: string;
  readonly client: VmctlClient;
  readonly version: string;

  constructor(private readonly host: Host, readonly name: string, readonly url: string, readonly certPem: string) {
    this.hostId = host.hostId;
    this.version = host.version;
    this.client = new VmctlClient({ socketPath: host.config.socketPath });
  }

  async resources(): Promise<HostResources> {
    const accel = await this.host.accelerator().then((choice) => choice.accel, () => "tcg" as const);
    const { datastores } = this.host;
    return {
      cpus: cpus().length, memoryBytes: totalmem(), freeMemoryBytes: availableMemory(), load: loadavg()[0] ?? 0,
      qemuVersion: this.host.qemuVersion ?? "unknown",
      // What build-argv.ts gives the guests: the host's CPU under KVM, qemu64 under TCG.
      cpuModel: accel === "kvm" ? "host" : "qemu64", accel: accel === "kvm" ? "kvm" : "tcg",
      datastores: datastores.names().map((name) => ({ name, shared: datastores.isShared(name), freeBytes: datastores.describeOne(name).freeBytes })),
      networks: this.host.networks.describe().map((network) => network.name),
      migrationAddress: new URL(this.url).hostname.replace(/^\[|\]$/g, ""),
    };
  }

  localVms(): LocalVm[] {
    return this.host.inventory.list().map((entry) => ({
      name: entry.name, uuid: entry.def?.uuid, datastore: entry.datastore,
      shared: this.host.datastores.isShared(entry.datastore), ha: haOf(entry),
    }));
  }

  async adopt(datastore: string, name: string, uuid: string): Promise<boolean> {
    const { datastores, inventory } = this.host;
    // The names come from etcd: a name that is not a VM name (../x) never becomes a path.
    if (!VM_NAME.test(name) || !datastores.isShared(datastore)) return false;
    const dir = join(datastores.root(datastore), name);
    const file = join(dir, `${name}.toml`);
    if (!existsSync(file)) return false;
    // The folder must hold that VM (its uuid), not another one that took the name since.
    let found: string | undefined;
    try {
      found = parseDefinitionToml(readFileSync(file, "utf8"), { file: `${name}/${name}.toml` }).uuid;
    } catch {
      return false;
    }
    if (found !== uuid) return false;
    const other = inventory.find(name);
    if (other && other.datastore !== datastore) return false; // a VM of this host has that name elsewhere
    const previous = readOwner(dir);
    if (previous !== this.hostId) {
      writeOwner(dir, this.hostId);
      this.host.log.info({ vm: name, datastore, from: previous }, "took over a VM on a shared datastore (cluster desired state)");
    }
    inventory.scan(true);
    // A runtime row from an earlier stay on this host may still say it runs: it does not, here.
    const rt = this.host.runtimes.get(name);
    if (!rt.process && hasProcess(rt.state)) this.host.lifecycle.observe(name, "reconcile", "stopped", { reason: "host-stop", detail: "taken over from another host" });
    return true;
  }

  async release(name: string, toHost: string): Promise<void> {
    const { inventory, datastores } = this.host;
    const entry = inventory.get(name);
    if (!datastores.isShared(entry.datastore)) return;
    if (this.host.runtimes.get(name).process) throw new Error(`VM "${name}" still runs; it is let go only once stopped`);
    writeOwner(entry.dir, toHost);
    inventory.scan(true);
    this.host.log.info({ vm: name, to: toHost }, "let go of a VM on a shared datastore (desired on another host); its files stay");
  }

  async forceStop(name: string): Promise<void> {
    if (!this.host.runtimes.get(name).process) return;
    const task = this.host.power.request(name, { action: "stop", force: true }, AGENT_USER);
    await this.host.tasks.wait(task.id, 30_000);
  }
}
