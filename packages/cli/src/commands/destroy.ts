// vmctl destroy NAME…: remove stopped VMs and their files (--keep-disks keeps the disk images).
import type { Command } from "commander";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson } from "../output.js";

export function registerDestroy(program: Command, globals: () => GlobalOptions): void {
  program.command("destroy").description("delete stopped VMs: definition, disks and logs").argument("<names...>")
    .option("--keep-disks", "keep the disk images")
    .action(async (names: string[], options: { keepDisks?: boolean }) => {
      const client = clientFor(globals());
      const results = await Promise.allSettled(names.map((name) => client.destroyVm(name, options.keepDisks ?? false)));
      const failures = results.filter((r) => r.status === "rejected");
      if (globals().json) printJson(results.map((r, i) => (r.status === "fulfilled" ? { name: names[i], ...r.value } : { name: names[i], error: { message: (r.reason as Error).message } })));
      else results.forEach((r, i) => {
        if (r.status === "rejected") process.stderr.write(`vmctl: ${(r.reason as Error).message}\n`);
        else process.stdout.write(`destroyed ${names[i]}${r.value.kept.length ? `; kept ${r.value.kept.join(", ")}` : ""}\n`);
      });
      if (failures.length) throw new CliError(`${failures.length} of ${names.length} could not be destroyed`, "failed", 1);
    });
}
