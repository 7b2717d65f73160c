// vmctl state NAME running|stopped: the desired state (PUT /vms/{name}/state). Idempotent: a VM
// already there is left alone and the command succeeds; otherwise it waits for the task.
import type { Command } from "commander";
import { DESIRED_STATES, type DesiredState } from "@vmctl/api-types/states";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson } from "../output.js";

export function registerState(program: Command, globals: () => GlobalOptions): void {
  program.command("state").description("bring a VM to a state and leave it there if it is: running (start or resume it) or stopped (stop it, graceful then forced)")
    .argument("<name>", "the VM")
    .argument("<state>", DESIRED_STATES.join(" | "))
    .option("--no-wait", "return once the task is submitted")
    .action(async (name: string, state: string, options: { wait: boolean }) => {
      if (!(DESIRED_STATES as readonly string[]).includes(state)) throw new CliError(`state: "${state}" is neither ${DESIRED_STATES.map((s) => `"${s}"`).join(" nor ")}`, "bad_request", 2);
      const client = clientFor(globals());
      const json = globals().json ?? false;
      const result = await client.desiredState(name, state as DesiredState);
      if (!result.changed) {
        if (json) printJson({ name, changed: false, state: result.vm.state });
        else process.stdout.write(`${name}: ${result.vm.state} already, nothing to do\n`);
        return;
      }
      const task = options.wait ? await client.waitTask(result.task.id) : result.task;
      if (json) printJson({ name, changed: true, task });
      if (task.state === "error") throw new CliError(`${name}: ${task.error?.message ?? "failed"}`, task.error?.code ?? "failed", 1);
      if (!json) process.stdout.write(options.wait ? `${name}: ${state}\n` : `${name}: submitted as task ${task.id}\n`);
    });
}
