// A whole Host on a temporary home with the fake driver and fake file ownership: the domain as
// vmctld wires it (inventory, tasks, events, runtime table, lifecycle), with no QEMU, no qemu-img
// and no owner changes. `restart()` opens a second Host on the same home, as a vmctld restart does.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { PowerRequest, Task } from "@vmctl/api-types";
import { loadHostConfig, type HostConfig } from "../../config/host-config.js";
import { Host } from "../../host.js";
import { FakeDriver } from "./fake-driver.js";
import { FakeHostFiles } from "./fake-host-files.js";
import type { StoppedDiskSnapshot } from "../stopped-disk-snapshot.js";

export interface DomainHost {
  host: Host;
  driver: FakeDriver;
  hostFiles: FakeHostFiles;
  /** Every qemu-img snapshot operation the stopped-disk path asked for: "create s1 /…/disk0.qcow2". */
  stoppedSnapshots: string[];
  config: HostConfig;
  /** vmctld exits (leaving VMs running) and a new one starts on the same home and reconciles. */
  restart(): Promise<DomainHost>;
  close(): void;
}

export async function domainHost(existing?: { home: string; driver: FakeDriver; stoppedSnapshots: string[] }): Promise<DomainHost> {
  const home = existing?.home ?? mkdtempSync(join(tmpdir(), "vmctl-domain-"));
  const config = await loadHostConfig(home);
  mkdirSync(config.datastores.local!, { recursive: true });
  mkdirSync(config.runDir, { recursive: true });
  const driver = existing?.driver ?? new FakeDriver();
  const hostFiles = new FakeHostFiles();
  const stoppedSnapshots = existing?.stoppedSnapshots ?? [];
  const stoppedDiskSnapshot: StoppedDiskSnapshot = async (image, op, tag) => { stoppedSnapshots.push(`${op} ${tag} ${image.path}`); };
  // accel = "auto" becomes TCG at once: no KVM probe (it runs QEMU) in a unit test.
  const accelerator = async () => ({ accel: "tcg" as const, reason: "the unit tests' fake probe" });
  const host = new Host(config, pino({ level: "silent" }), { driver, hostFiles, stoppedDiskSnapshot, accelerator });
  host.inventory.scan();
  if (existing) {
    for (const entry of host.inventory.list()) await host.power.reconcile(entry.name);
  }
  const self: DomainHost = {
    host, driver, hostFiles, stoppedSnapshots, config,
    restart: async () => {
      host.close();
      return domainHost({ home, driver, stoppedSnapshots });
    },
    close: () => {
      host.close();
      for (const vm of driver.started) if (vm.alive) vm.die("host-stop");
      rmSync(home, { recursive: true, force: true });
    },
  };
  return self;
}

/** A definition the fake runs: no console sockets (nothing to connect), extra TOML appended. */
export function definition(name: string, extra = ""): string {
  return `name = "${name}"\ncpus = 1\nmemory = "64MiB"\naccel = "tcg"\n\n[console]\nserial = false\nvnc = false\n${extra}`;
}

/** A qcow2 v3 header (1 MiB, no backing file): enough for vmctld's image checks, never opened by QEMU here. */
export function writeQcow2(path: string): void {
  const image = Buffer.alloc(65536);
  image.writeUInt32BE(0x514649fb, 0); // "QFI\xfb"
  image.writeUInt32BE(3, 4); // version
  image.writeUInt32BE(16, 20); // 64 KiB clusters
  image.writeBigUInt64BE(1n << 20n, 24); // virtual size
  image.writeUInt32BE(4, 96); // refcount order
  image.writeUInt32BE(104, 100); // header length
  writeFileSync(path, image);
}

/** Creates a VM with a qcow2 disk0 written beforehand at disks/<name>-disk0.qcow2 (so no qemu-img is needed). */
export async function createVmWithDisk(d: DomainHost, name: string, extra = ""): Promise<string> {
  const file = `disks/${name}-disk0.qcow2`;
  mkdirSync(join(d.config.datastores.local!, "disks"), { recursive: true });
  writeQcow2(join(d.config.datastores.local!, file));
  await d.host.vms.create({ toml: definition(name, `\n[disks.disk0]\nfile = "${file}"\nformat = "qcow2"\n${extra}`) });
  return join(d.config.datastores.local!, file);
}

/** Runs a power action to its end and returns the ended task. */
export async function power(d: DomainHost, name: string, request: PowerRequest): Promise<Task> {
  const task = d.host.power.request(name, request, "test");
  return d.host.tasks.wait(task.id, 30_000);
}

/** Waits for a task to end. */
export function ended(d: DomainHost, task: Task): Promise<Task> {
  return d.host.tasks.wait(task.id, 30_000);
}
