import { describe, it, expect } from "vitest";
import { Command } from "commander";
import { COMMAND_MODULES, defineGlobalOptions } from "./command-table.js";
import { commandSpecs, completionScript } from "./completion.js";

async function wholeTree(): Promise<Command> {
  const program = defineGlobalOptions(new Command("vmctl"));
  for (const module of COMMAND_MODULES) (await module.load())(program, () => program.opts());
  return program;
}

/** Every command under `command` with its path of primary names. */
function walk(command: Command, path: string[] = []): Array<{ path: string[]; command: Command }> {
  return command.commands.flatMap((sub) => [{ path: [...path, sub.name()], command: sub }, ...walk(sub, [...path, sub.name()])]);
}

describe("the completion script", () => {
  it("has a case for every command of the tree, each listed (with its aliases) in its parent's subcommands, with all its options", async () => {
    const program = await wholeTree();
    const script = completionScript(program, "bash");
    const commands = walk(program);
    expect(commands.length).toBeGreaterThan(50);
    for (const { path, command } of commands) {
      const line = script.split("\n").find((l) => l.trimStart().startsWith(`"${path.join(" ")}"`));
      expect(line, `a case for "${path.join(" ")}"`).toBeDefined();
      for (const option of command.options) {
        for (const flag of [option.short, option.long].filter(Boolean)) expect(line, `${path.join(" ")} ${flag}`).toMatch(new RegExp(`[" ]${flag}[ "=]`));
      }
      const parent = script.split("\n").find((l) => l.trimStart().startsWith(`"${path.slice(0, -1).join(" ")}"`))!;
      const subs = /_vmctl_subs="([^"]*)"/.exec(parent)![1]!.split(" ");
      for (const name of [command.name(), ...command.aliases()]) expect(subs, `${name} under "${path.slice(0, -1).join(" ")}"`).toContain(name);
    }
  });

  it("completes VM, snapshot and datastore names where commands take them, and nothing for a new name", async () => {
    const specs = commandSpecs(await wholeTree());
    const args = (path: string) => specs.find((s) => s.path.map((n) => n[0]).join(" ") === path)!.args.map((a) => `${a.kind}${a.variadic ? "..." : ""}`);
    expect(args("start")).toEqual(["vm..."]);
    expect(args("show")).toEqual(["vm"]);
    expect(args("snapshot revert")).toEqual(["vm", "snapshot"]);
    expect(args("snapshot create")).toEqual(["vm", "-"]);
    expect(args("clone")).toEqual(["vm", "-..."]);
    expect(args("create")).toEqual(["-"]);
    expect(args("ds rm")).toEqual(["datastore"]);
    expect(args("network show")).toEqual(["network"]);
    expect(args("network rm")).toEqual(["network"]);
    expect(args("network create")).toEqual(["-"]);
    expect(args("ds upload")).toEqual(["datastore", "file", "-"]);
    expect(args("completion")).toEqual(["choices:bash,zsh"]);
    expect(args("state")).toEqual(["vm", "choices:running,stopped"]);
    const clone = specs.find((s) => s.path.map((n) => n[0]).join(" ") === "clone")!;
    expect(clone.valueOptions).toContainEqual({ flag: "--snapshot", kind: "snapshot" });
    expect(clone.valueOptions).toContainEqual({ flag: "--datastore", kind: "datastore" });
    const networkCreate = specs.find((s) => s.path.map((n) => n[0]).join(" ") === "network create")!;
    expect(networkCreate.valueOptions).toContainEqual({ flag: "--parent", kind: "network" });
    const create = specs.find((s) => s.path.map((n) => n[0]).join(" ") === "create")!;
    expect(create.valueOptions).toContainEqual({ flag: "--network", kind: "network" });
  });

  it("offers the global --url, --token and --ca everywhere, a file for --ca, and cluster host names where a host is asked for", async () => {
    const specs = commandSpecs(await wholeTree());
    const spec = (path: string) => specs.find((s) => s.path.map((n) => n[0]).join(" ") === path)!;
    for (const path of ["ls", "cluster hosts", "cluster migrate"]) {
      expect(spec(path).valueOptions.map((o) => o.flag), path).toEqual(expect.arrayContaining(["--url", "--token", "--ca", "--home"]));
    }
    expect(spec("ls").valueOptions).toContainEqual({ flag: "--ca", kind: "file" });
    expect(spec("cluster migrate").args.map((a) => a.kind)).toEqual(["vm"]);
    expect(spec("cluster migrate").valueOptions).toContainEqual({ flag: "--host", kind: "host" });
    expect(spec("cluster maintenance").args.map((a) => a.kind)).toEqual(["host", "choices:on,off"]);
    expect(spec("cluster place").args.map((a) => a.kind)).toEqual(["vm"]);
    expect(spec("cluster rules add").args.map((a) => `${a.kind}${a.variadic ? "..." : ""}`)).toEqual(["-", "vm..."]);
    const script = completionScript(await wholeTree(), "bash");
    // The walker hands the connection options on to `vmctl __complete`, so names come from the same server.
    expect(script).toContain("--home=*|--url=*|--token=*|--ca=*) globals+=");
    expect(script).toContain("__complete hosts");
  });

  it("spells every alias path out in the table (ds ls, datastore list …)", async () => {
    const script = completionScript(await wholeTree(), "bash");
    expect(script).toContain(`"ds ls"|"ds list"|"datastore ls"|"datastore list")`);
  });

  it("runs the same walker in zsh under ksh emulation, and offers the words with compadd", async () => {
    const script = completionScript(await wholeTree(), "zsh");
    expect(script).toMatch(/^#compdef vmctl/);
    expect(script).toContain("_vmctl_core() {\n  emulate -L ksh\n");
    expect(script).toContain("compdef _vmctl vmctl");
  });
});
