// The dnsmasq of one managed network: started with its own files under vmctld's run dir, found
// again by its pid file (checked against /proc, so a reused pid is never killed), and stopped.
import { readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderDnsmasqConfig, type DnsmasqFiles, type DnsmasqSpec } from "./dnsmasq-config.js";
import { runNet } from "./net-commands.js";

export function dnsmasqFiles(dir: string): DnsmasqFiles {
  return { conf: join(dir, "dnsmasq.conf"), pid: join(dir, "dnsmasq.pid"), leases: join(dir, "dnsmasq.leases") };
}

/** The pid of the dnsmasq started with this conf file, when it still runs. */
export async function runningDnsmasq(files: DnsmasqFiles): Promise<number | undefined> {
  const pid = Number((await readFile(files.pid, "utf8").catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return cmdline[0]?.endsWith("dnsmasq") && cmdline.includes(`--conf-file=${files.conf}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** (Re)starts dnsmasq on the bridge: a running one is stopped first, as its bridge may be new. */
export async function startDnsmasq(dir: string, spec: Omit<DnsmasqSpec, "files">, reservations: readonly { mac: string; ip: string }[] = []): Promise<void> {
  const files = dnsmasqFiles(dir);
  await stopDnsmasq(files);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFile(files.conf, renderDnsmasqConfig({ ...spec, files, reservations }), { mode: 0o644 });
  // --conf-file names only ours (Debian's dnsmasq would otherwise read /etc/dnsmasq.conf too); it forks and writes the pid file.
  await runNet("dnsmasq", [`--conf-file=${files.conf}`]);
}

/** Stops it and waits until it has exited (dnsmasq removes its pid file first, so /proc is watched). */
export async function stopDnsmasq(files: DnsmasqFiles): Promise<void> {
  const pid = await runningDnsmasq(files);
  if (pid === undefined) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 100 && running(pid); i++) await new Promise((r) => setTimeout(r, 20));
  if (running(pid)) process.kill(pid, "SIGKILL");
}

/** Alive and not a zombie (a daemon's reaper is init, which may take its time). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** Stops the network's dnsmasq and removes its folder: config, pid and lease files. */
export async function removeDnsmasq(dir: string): Promise<void> {
  await stopDnsmasq(dnsmasqFiles(dir));
  await rm(dir, { recursive: true, force: true });
}
