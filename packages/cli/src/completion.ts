// `vmctl completion bash|zsh`: a completion script generated from commander's command tree (every
// command, subcommand and option as registered), which asks vmctl itself for the names of VMs,
// snapshots, datastores and networks (`vmctl __complete …`), as incus and virsh do.
import { Argument, type Command, type Option } from "commander";
import { DESIRED_STATES, VM_STATES } from "@vmctl/api-types/states";
import { bashScript, zshScript } from "./completion-script.js";

/**
 * What a value is completed with: names from the host (or vmcenter: "host" is a cluster host's
 * name), local files, a fixed list (`choices:a,b`), or nothing ("-").
 */
export type ValueKind = "vm" | "snapshot" | "datastore" | "network" | "host" | "file" | `choices:${string}` | "-";

/** One command of the tree, by its path of names (each level with its aliases). */
export interface CommandSpec {
  path: string[][];
  subcommands: string[];
  flags: string[];
  valueOptions: Array<{ flag: string; kind: ValueKind }>;
  /** Positional arguments in order; `variadic` only on the last. */
  args: Array<{ kind: ValueKind; variadic: boolean }>;
}

const choices = (values: readonly string[]): ValueKind => `choices:${values.join(",")}`;

/** Values of an option, by what it is for. */
function optionKind(option: Option): ValueKind {
  if (option.argChoices) return choices(option.argChoices);
  const inline = /<([^>]+\|[^>]+)>/.exec(option.flags); // --on-crash <restart|stop>
  if (inline) return choices(inline[1]!.split("|"));
  switch (option.long) {
    case "--datastore": return "datastore";
    case "--snapshot": return "snapshot";
    case "--vm": return "vm";
    case "--network": case "--parent": return "network";
    case "--host": return "host";
    case "--state": return choices(VM_STATES);
    case "--home": case "--ca": case "--dir": case "--file": case "--out": case "--output": return "file";
    default: return "-";
  }
}

/** Values of a positional argument: by its name, and for `<name>` by the command it belongs to. */
export function argumentKind(path: readonly string[], argument: Argument, index: number): ValueKind {
  if (argument.argChoices) return choices(argument.argChoices);
  const name = argument.name();
  const where = path.join(" ");
  if (["vm", "snapshot", "datastore", "network", "host"].includes(name)) return name as ValueKind;
  if (where === "cluster maintenance" && name === "state") return choices(["on", "off"]);
  if (name === "local" || (where === "import" && name === "source") || (where === "ds add" && name === "path")) return "file";
  if (where === "clone" && name === "source") return "vm";
  if ((where === "snapshot revert" || where === "snapshot rm") && name === "name") return "snapshot";
  if (where === "ds rm" && name === "name") return "datastore";
  if ((where === "network show" || where === "network rm") && name === "name") return "network";
  if (where === "state" && name === "state") return choices(DESIRED_STATES);
  // A top-level command's first <name> or <names...> names VMs (show, start, destroy …), except the one that makes it.
  if (path.length === 1 && index === 0 && (name === "name" || name === "names") && where !== "create") return "vm";
  return "-";
}

function optionEntries(options: readonly Option[]): Pick<CommandSpec, "flags" | "valueOptions"> {
  const flags: string[] = [];
  const valueOptions: CommandSpec["valueOptions"] = [];
  for (const option of options) {
    if (option.hidden) continue;
    const names = [option.short, option.long].filter((n): n is string => n !== undefined);
    if (option.required || option.optional) valueOptions.push(...names.map((flag) => ({ flag, kind: optionKind(option) })));
    else flags.push(...names);
  }
  return { flags, valueOptions };
}

/** Every command of the tree, the root first; the root's options are offered at every level. */
export function commandSpecs(program: Command): CommandSpec[] {
  const global = optionEntries(program.options);
  const specs: CommandSpec[] = [];
  const walk = (command: Command, path: string[][]) => {
    const own = optionEntries(command === program ? [] : command.options);
    specs.push({
      path,
      subcommands: command.commands.flatMap((c) => [c.name(), ...c.aliases()]),
      flags: [...own.flags, ...global.flags, "-h", "--help"],
      valueOptions: [...own.valueOptions, ...global.valueOptions],
      args: command.registeredArguments.map((argument, i) => ({ kind: argumentKind(path.map((names) => names[0]!), argument, i), variadic: argument.variadic })),
    });
    for (const sub of command.commands) walk(sub, [...path, [sub.name(), ...sub.aliases()]]);
  };
  walk(program, []);
  return specs;
}

export function completionScript(program: Command, shell: "bash" | "zsh"): string {
  const specs = commandSpecs(program);
  return shell === "bash" ? bashScript(specs) : zshScript(specs);
}

export function registerCompletion(program: Command): void {
  program.command("completion").description("print the shell completion script (the script itself, also with --json); e.g. in ~/.bashrc: source <(vmctl completion bash)")
    .addArgument(new Argument("<shell>", "bash or zsh").choices(["bash", "zsh"]))
    .action((shell: "bash" | "zsh") => {
      process.stdout.write(completionScript(program, shell));
    });
}
