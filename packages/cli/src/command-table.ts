// Which module registers which top-level command, so that a command loads only its own module (and
// what that imports) instead of all of them: `vmctl ls` does not pay for TLS, typebox or ws. Help,
// completion and an unknown word load the whole tree. command-table.test.ts checks this table
// against what each module really registers.
import type { Command } from "commander";
import type { GlobalOptions } from "./context.js";

export type Register = (program: Command, globals: () => GlobalOptions) => void;

export interface CommandModule {
  /** The top-level commands (and aliases) the module registers. */
  names: readonly string[];
  load: () => Promise<Register>;
  /** The command needs the whole tree (the completion script is generated from it). */
  wholeTree?: boolean;
}

/** In the order of `vmctl --help`. A new command file adds one line here. */
export const COMMAND_MODULES: readonly CommandModule[] = [
  { names: ["ls", "list"], load: async () => (await import("./commands/ls.js")).registerLs },
  { names: ["show"], load: async () => (await import("./commands/show.js")).registerShow },
  { names: ["create"], load: async () => (await import("./commands/create.js")).registerCreate },
  { names: ["start", "stop", "shutdown", "restart", "reset", "pause", "resume", "suspend"], load: async () => (await import("./commands/power.js")).registerPower },
  { names: ["state"], load: async () => (await import("./commands/state.js")).registerState },
  { names: ["destroy"], load: async () => (await import("./commands/destroy.js")).registerDestroy },
  { names: ["edit"], load: async () => (await import("./commands/edit.js")).registerEdit },
  { names: ["rename"], load: async () => (await import("./commands/rename.js")).registerRename },
  { names: ["console"], load: async () => (await import("./commands/console.js")).registerConsole },
  { names: ["events"], load: async () => (await import("./commands/events.js")).registerEvents },
  { names: ["guest"], load: async () => (await import("./commands/guest.js")).registerGuest },
  { names: ["login"], load: async () => (await import("./commands/login.js")).registerLogin },
  { names: ["user", "token", "role", "audit"], load: async () => (await import("./commands/admin.js")).registerAdmin },
  { names: ["disk"], load: async () => (await import("./commands/disk.js")).registerDisk },
  { names: ["cdrom"], load: async () => (await import("./commands/cdrom.js")).registerCdrom },
  { names: ["nic"], load: async () => (await import("./commands/nic.js")).registerNic },
  { names: ["snapshot"], load: async () => (await import("./commands/snapshot.js")).registerSnapshot },
  { names: ["clone", "template"], load: async () => (await import("./commands/clone.js")).registerClone },
  { names: ["import", "export"], load: async () => (await import("./commands/transfer.js")).registerTransfer },
  { names: ["ds", "datastore", "iso"], load: async () => (await import("./commands/datastore.js")).registerDatastore },
  { names: ["network"], load: async () => (await import("./commands/network.js")).registerNetwork },
  { names: ["port-forward"], load: async () => (await import("./commands/port-forward.js")).registerPortForward },
  { names: ["ssh"], load: async () => (await import("./commands/ssh.js")).registerSsh },
  { names: ["cluster"], load: async () => (await import("./commands/cluster.js")).registerCluster },
  { names: ["completion"], load: async () => (await import("./completion.js")).registerCompletion, wholeTree: true },
];

/** vmctl's own options, valid before any command; the ones that take a value are skipped with it. */
export function defineGlobalOptions(program: Command): Command {
  return program
    .option("--home <dir>", "vmctld's home: talk to <dir>/vmctld.sock (default $VMCTL_HOME, /var/lib/vmctl for root, else ~/.local/share/vmctl)")
    .option("--url <url>", "talk to a vmctld or vmcenter at this URL instead of the unix socket (default $VMCTL_URL)")
    .option("--token <token>", "the API token to send to --url (default $VMCTL_TOKEN, else the one `vmctl login` saved for that URL); other users see a command line in ps, so prefer the variable")
    .option("--ca <file>", "trust the CA certificate in this PEM file for --url, the server's name checked, instead of the certificate `vmctl login` pinned (default $VMCTL_CA)")
    .option("--json", "machine-readable output: results as JSON on stdout, an error as JSON on stderr (completion prints its script regardless)");
}
const VALUE_OPTIONS = ["--home", "--url", "--token", "--ca"];

/** The word naming the command: the first argument that is neither a global option nor its value. */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (VALUE_OPTIONS.includes(arg)) i++;
    else if (arg === "--json" || VALUE_OPTIONS.some((option) => arg.startsWith(`${option}=`))) continue;
    else if (arg.startsWith("-")) return undefined; // --help, --version, a typo: commander answers with the whole tree
    else return arg;
  }
  return undefined;
}

/** The registrations a command line needs: its command's module, or all of them. */
export async function registrationsFor(args: readonly string[]): Promise<Register[]> {
  const word = commandWord(args);
  const own = word === undefined ? undefined : COMMAND_MODULES.find((m) => m.names.includes(word));
  return Promise.all((own && !own.wholeTree ? [own] : COMMAND_MODULES).map((m) => m.load()));
}
