import { describe, it, expect } from "vitest";
import { Command } from "commander";
import { COMMAND_MODULES, commandWord, defineGlobalOptions, registrationsFor } from "./command-table.js";

const topLevelNames = (program: Command) => program.commands.flatMap((c) => [c.name(), ...c.aliases()]);

describe("the command table", () => {
  it("names exactly the top-level commands and aliases each module registers", async () => {
    for (const module of COMMAND_MODULES) {
      const program = new Command("vmctl");
      (await module.load())(program, () => ({}));
      expect(topLevelNames(program).sort(), `the line of ${module.names.join("/")}`).toEqual([...module.names].sort());
    }
  });

  it("gives every name to one module only", () => {
    const names = COMMAND_MODULES.flatMap((m) => m.names);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it("finds the command word after the global options and their values", () => {
    expect(commandWord(["ls"])).toBe("ls");
    expect(commandWord(["--home", "/tmp/h", "--json", "start", "a"])).toBe("start");
    expect(commandWord(["--url=https://h:8443", "snapshot", "ls", "a"])).toBe("snapshot");
    expect(commandWord(["--help"])).toBeUndefined();
    expect(commandWord([])).toBeUndefined();
    // --home's value is not the command, even when it looks like one.
    expect(commandWord(["--home", "ls", "show", "x"])).toBe("show");
    // Nor a token's or a CA file's.
    expect(commandWord(["--url", "https://c:9443", "--token", "ls", "--ca", "cluster", "cluster", "hosts"])).toBe("cluster");
    expect(commandWord(["--token=abc", "--ca=/tmp/ca.pem", "ls"])).toBe("ls");
  });

  it("loads one module for a known command, and all of them for help, completion or a typo", async () => {
    expect(await registrationsFor(["--home", "h", "ls"])).toHaveLength(1);
    expect(await registrationsFor(["stop", "a", "b"])).toHaveLength(1);
    expect(await registrationsFor(["--token", "t", "cluster", "hosts"])).toHaveLength(1);
    for (const args of [[], ["--help"], ["help", "ls"], ["completion", "bash"], ["lss"]]) {
      expect(await registrationsFor(args), args.join(" ")).toHaveLength(COMMAND_MODULES.length);
    }
  });

  it("skips exactly the global options that take a value", () => {
    const program = defineGlobalOptions(new Command("vmctl"));
    expect(program.options.map((o) => o.long)).toEqual(expect.arrayContaining(["--url", "--token", "--ca", "--home", "--json"]));
    for (const option of program.options) {
      const flag = option.long!;
      if (option.required || option.optional) expect(commandWord([flag, "x", "ls"]), flag).toBe("ls");
      else expect(commandWord([flag, "ls"]), flag).toBe("ls");
    }
  });
});
