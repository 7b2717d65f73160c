// `vmctl __complete KIND [VM] [--home DIR] [--url URL] [--token T] [--ca FILE]`: the names a shell completion offers, one a
// line, asked of the host itself. Hidden, and run without commander (main.ts sends it here) so that
// a TAB costs one small request. Prints nothing on any error: a completion must never show a trace.
import { parseArgs } from "node:util";
import { clientFor, type GlobalOptions } from "./context.js";

export async function completionValues(kind: string, vm: string | undefined, options: GlobalOptions): Promise<string[]> {
  const client = clientFor(options);
  switch (kind) {
    case "vms": return (await client.listVms()).map((v) => v.name);
    case "snapshots": return vm ? (await client.listSnapshots(vm)).snapshots.map((s) => s.name) : [];
    case "datastores": return (await client.datastores()).datastores.map((d) => d.name);
    case "networks": return (await client.listNetworks()).map((n) => n.name);
    case "hosts": return (await client.cluster.hosts()).map((h) => h.name);
    default: return [];
  }
}

/**
 * How long a TAB may wait for vmctld: a vmctld that accepts and never answers (stopped, hung, a
 * host that drops packets) held the shell until the user pressed Ctrl-C.
 */
export const COMPLETION_DEADLINE_MS = 3000;

/** The global options the completion script passes on (the environment's VMCTL_* apply as for any command). */
export const GLOBAL_VALUE_OPTIONS = { home: { type: "string" }, url: { type: "string" }, token: { type: "string" }, ca: { type: "string" } } as const;

/** The arguments after `vmctl`, starting with `__complete`. */
export async function run(args: string[]): Promise<void> {
  // Nothing printed yet, nothing offered: the shell completes as if vmctld were down.
  setTimeout(() => process.exit(0), COMPLETION_DEADLINE_MS).unref();
  try {
    const { positionals, values } = parseArgs({ args: args.slice(1), options: GLOBAL_VALUE_OPTIONS, allowPositionals: true, strict: false });
    const options: GlobalOptions = {};
    for (const name of Object.keys(GLOBAL_VALUE_OPTIONS) as Array<keyof typeof GLOBAL_VALUE_OPTIONS>) {
      const value = values[name];
      if (typeof value === "string") options[name] = value;
    }
    const names = await completionValues(positionals[0] ?? "", positionals[1], options);
    process.stdout.write(names.map((name) => `${name}\n`).join(""));
  } catch {
    // Nothing to offer: vmctld is down, the VM is gone, or the token expired.
  }
}
