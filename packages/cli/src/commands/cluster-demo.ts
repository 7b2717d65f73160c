// vmctl cluster demo --hosts N --dir DIR: a whole cluster on this machine (runClusterDemo of
// @vmctl/center/demo: a demo CA, etcd, one vmcenter, N vmctld joined to it), in the foreground. Prints
// the pinned JSON on one line of stdout once every host has joined, then waits; Ctrl-C or SIGTERM
// ends every process it started. Loaded only by this command: the demo is no other command's cost.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CliError } from "../output.js";

/** The pinned output, and nothing else: scripts read it. */
export interface DemoOutput {
  url: string;
  token: string;
  ca: string;
  sharedDatastore: { name: string; path: string };
  hosts: Array<{ id: string; url: string; home: string; pid: number; command: string[] }>;
}

export function parseHostCount(text: string): number {
  const hosts = Number(text);
  if (!/^\d+$/.test(text) || hosts < 1 || hosts > 16) throw new CliError(`--hosts: "${text}" is not a number of hosts from 1 to 16`, "bad_request", 2);
  return hosts;
}

/** The pinned shape out of what the demo answers (which also holds the hosts' names and more). */
export function demoOutput(info: DemoOutput): DemoOutput {
  return {
    url: info.url,
    token: info.token,
    ca: info.ca,
    sharedDatastore: { name: info.sharedDatastore.name, path: info.sharedDatastore.path },
    hosts: info.hosts.map((h) => ({ id: h.id, url: h.url, home: h.home, pid: h.pid, command: [...h.command] })),
  };
}

/** How to reach the demo, for a person (stderr: stdout is the JSON alone). */
function instructions(info: DemoOutput, names: string[]): string {
  return [
    `cluster demo: vmcenter at ${info.url}, hosts ${names.join(", ")}, shared datastore "${info.sharedDatastore.name}" at ${info.sharedDatastore.path}`,
    "in another shell:",
    `  export VMCTL_URL=${info.url} VMCTL_TOKEN=${info.token} VMCTL_CA=${info.ca}`,
    "  vmctl cluster hosts",
    "Ctrl-C stops the cluster (etcd, vmcenter, every host and its VMs)",
  ].map((line) => `${line}\n`).join("");
}

export async function runDemoCommand(options: { hosts: string; dir: string }, json: boolean): Promise<void> {
  const hosts = parseHostCount(options.hosts);
  const { runClusterDemo } = await import("@vmctl/center/demo");
  // The demo guest, when `vmctl guest build` (or the set-up) made it: the datastore "images" on every host.
  const { defaultGuestDir } = await import("@vmctl/guest");
  const guestDir = defaultGuestDir();
  const guest = { kernel: join(guestDir, "vmlinuz"), initrd: join(guestDir, "initrd.img") };
  const haveGuest = existsSync(guest.kernel) && existsSync(guest.initrd);

  // A signal while the demo starts: runClusterDemo ends what it started when it fails, not when it is
  // interrupted, so the stop waits for it to answer.
  let stopping: ((signal: NodeJS.Signals) => void) | undefined;
  let interruptedEarly: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return stopping(signal);
    if (interruptedEarly) process.exit(130); // a second signal: leave now, whatever runs
    interruptedEarly = signal;
    process.stderr.write(`${signal}: the cluster demo stops once its start answers (again to leave at once)\n`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const demo = await runClusterDemo({
    hosts,
    dir: options.dir,
    ...(haveGuest ? { guest } : {}),
    onProgress: (line) => { if (!json) process.stderr.write(`${line}\n`); },
  }).catch((error: Error) => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    throw new CliError(`the cluster demo did not start: ${error.message}`, "demo_failed");
  });

  const ended = new Promise<NodeJS.Signals>((resolve) => { stopping = resolve; });
  // Signal handlers do not keep Node running, and the demo's processes are not vmctl's to wait for.
  const keepAlive = setInterval(() => {}, 1 << 30);
  if (interruptedEarly) stopping!(interruptedEarly);
  const info = demoOutput(demo.info());
  process.stdout.write(`${JSON.stringify(info)}\n`);
  if (!json) process.stderr.write(instructions(info, demo.hosts.map((h) => h.name)));

  const signal = await ended;
  if (!json) process.stderr.write(`\n${signal}: stopping the cluster demo\n`);
  // A second signal while stopping leaves at once (the processes may outlive vmctl then).
  stopping = () => process.exit(130);
  await demo.stop();
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  clearInterval(keepAlive);
  if (!json) process.stderr.write(`stopped; its files stay in ${options.dir}\n`);
}
