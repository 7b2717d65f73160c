// vmctl clone SOURCE NAME… and vmctl template VM [--undo]: full copies, linked clones of templates
// (several names deploy several VMs at once, one task each), and marking templates.
import type { Command } from "commander";
import type { CloneRequest, Task } from "@vmctl/api-types";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson } from "../output.js";
import { assertSucceeded, followTasks } from "../task-follow.js";

interface CloneOptions { linked?: boolean; snapshot?: string; datastore?: string; start?: boolean; wait: boolean }

/** What happened to one requested clone: its task, the start task it spawned (--start), or why it failed. */
interface Outcome { name: string; task?: Task; start?: Task; error?: Error }

const errorOf = (error: Error) => ({ code: (error as { code?: unknown }).code ?? "error", message: error.message });

function failureOf(task: Task): Error | undefined {
  try {
    assertSucceeded(task);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

export function registerClone(program: Command, globals: () => GlobalOptions): void {
  program.command("clone").description("clone a VM: a full copy of a stopped VM or of a snapshot, or linked clones of a template; several names deploy several VMs at once")
    .argument("<source>", "the VM or template to clone").argument("<names...>", "one or more names for the new VMs")
    .option("--linked", "qcow2 overlays on the template's disks: made in constant time (the source must be a template)")
    .option("--snapshot <name>", "copy the disks as they were at this snapshot (the source may run)")
    .option("--datastore <name>", "datastore of the new VMs (default: the source's)")
    .option("--start", "start each clone once it is made")
    .option("--no-wait", "return once the tasks are submitted")
    .action(async (source: string, names: string[], options: CloneOptions) => {
      const twice = names.find((name, i) => names.indexOf(name) !== i);
      if (twice !== undefined) throw new CliError(`"${twice}" is given twice; each clone needs its own name`, "bad_request", 2);
      const client = clientFor(globals());
      const json = globals().json ?? false;
      const request = (name: string): CloneRequest => ({
        name, ...(options.linked ? { linked: true } : {}), ...(options.snapshot !== undefined ? { snapshot: options.snapshot } : {}),
        ...(options.datastore !== undefined ? { datastore: options.datastore } : {}), ...(options.start ? { start: true } : {}),
      });
      const submitted = await Promise.allSettled(names.map((name) => client.cloneVm(source, request(name))));
      const outcomes: Outcome[] = submitted.map((r, i) => (r.status === "fulfilled" ? { name: names[i]!, task: r.value } : { name: names[i]!, error: r.reason as Error }));
      if (options.wait) {
        const followed = outcomes.filter((o) => o.task);
        const ended = await followTasks(client, followed.map((o) => ({ label: o.name, task: o.task! })), json);
        followed.forEach((o, i) => {
          o.task = ended[i]!;
          const failed = failureOf(o.task);
          if (failed) o.error = failed;
        });
        if (options.start) {
          // The clone task ends once the VM exists; it hands the start to a child task.
          const cloned = outcomes.filter((o) => o.task && !o.error);
          const starts = await Promise.all(cloned.map(async (o) => (await client.listTasks({ parent: o.task!.id })).find((t) => t.op === "vm.start")));
          const waiting = cloned.flatMap((o, i) => (starts[i] ? [{ outcome: o, task: starts[i] }] : []));
          const startsEnded = await followTasks(client, waiting.map((w) => ({ label: w.outcome.name, task: w.task })), json);
          waiting.forEach((w, i) => {
            w.outcome.start = startsEnded[i]!;
            const failed = failureOf(w.outcome.start);
            if (failed) w.outcome.error = new CliError(`cloned, but it did not start: ${failed.message}`, (failed as CliError).code);
          });
        }
      }
      const failures = outcomes.filter((o) => o.error);
      if (json) printJson(outcomes.map((o) => ({ name: o.name, ...(o.task ? { task: o.task } : {}), ...(o.start ? { startTask: o.start } : {}), ...(o.error ? { error: errorOf(o.error) } : {}) })));
      else {
        const made = options.linked ? `linked clone of ${source}` : `clone of ${source}${options.snapshot ? ` at snapshot "${options.snapshot}"` : ""}`;
        for (const o of outcomes) {
          if (o.error) {
            if (names.length > 1) process.stderr.write(`vmctl: ${o.name}: ${o.error.message}\n`);
          } else if (!options.wait) process.stdout.write(`${o.name}: clone submitted as task ${o.task!.id}\n`);
          else process.stdout.write(`${o.name}: ${made}${o.start ? ", started" : ""}\n`);
        }
      }
      if (failures.length === 1 && names.length === 1) throw failures[0]!.error!;
      if (failures.length > 0) throw new CliError(`${failures.length} of ${names.length} clones failed`, "failed", 1);
    });

  program.command("template").description("make a stopped VM a template: it no longer starts or changes, and clones deploy from it; --undo makes it a VM again").argument("<vm>")
    .option("--undo", "make the template a VM again (refused while linked clones read its disks)")
    .action(async (vm: string, options: { undo?: boolean }) => {
      const result = await clientFor(globals()).setTemplate(vm, !options.undo);
      if (globals().json) return printJson(result);
      process.stdout.write(result.template ? `${vm} is a template; deploy VMs from it with \`vmctl clone ${vm} NAME… --linked\`\n` : `${vm} is a VM again\n`);
    });
}
