// vmctl: the command line of vmctld. Every command takes --json; errors go to stderr with exit status 1.
// main.ts runs this, bundled or as tsc wrote it.
import { Command, CommanderError } from "commander";
import type { GlobalOptions } from "./context.js";
import { reportError } from "./output.js";
import { defineGlobalOptions, registrationsFor } from "./command-table.js";

/** Parses and runs one command line (the arguments after `vmctl`); exits non-zero on failure. */
export async function run(args: string[]): Promise<void> {
  const program = defineGlobalOptions(new Command("vmctl").description("manage the VMs of a vmctl host, or of a cluster through vmcenter (--url)"))
    .showHelpAfterError()
    .exitOverride();
  const globals = () => program.opts<GlobalOptions>();
  for (const register of await registrationsFor(args)) register(program, globals);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    process.exit(reportError(error, globals().json ?? false));
  }
}
