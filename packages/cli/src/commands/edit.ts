// vmctl edit NAME: the definition in $EDITOR, validated by vmctld before it is saved, guarded by its ETag.
import type { Command } from "commander";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { ApiError } from "@vmctl/client";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson } from "../output.js";

async function askYes(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(question);
  rl.close();
  return !/^n/i.test(answer.trim());
}

export function registerEdit(program: Command, globals: () => GlobalOptions): void {
  program.command("edit").description("edit a VM's definition in $EDITOR; it is validated before it is saved").argument("<name>")
    .action(async (name: string) => {
      const client = clientFor(globals());
      const { text, etag } = await client.getDefinition(name);
      const dir = await mkdtemp(join(tmpdir(), "vmctl-edit-"));
      const file = join(dir, `${name}.toml`);
      try {
        await writeFile(file, text, { mode: 0o600 });
        const editor = process.env.VISUAL || process.env.EDITOR || "vi";
        for (;;) {
          const result = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "sh", file], { stdio: "inherit" });
          if (result.status !== 0) throw new CliError(`editor "${editor}" exited with status ${result.status}; nothing saved`);
          const edited = await readFile(file, "utf8");
          if (edited === text) {
            if (globals().json) printJson({ name, changed: false });
            else process.stdout.write("no changes\n");
            return;
          }
          try {
            const vm = await client.putDefinition(name, edited, etag);
            if (globals().json) printJson({ name, changed: true, vm });
            else process.stdout.write(`saved ${vm.definitionPath}\n`);
            return;
          } catch (error) {
            if (!(error instanceof ApiError) || error.code !== "invalid_definition") throw error;
            process.stderr.write(`vmctl: ${error.message}\n`);
            if (!(await askYes("Edit again? [Y/n] "))) throw new CliError("definition not saved", "invalid_definition");
          }
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
}
