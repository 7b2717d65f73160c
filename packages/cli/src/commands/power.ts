// vmctl start|stop|shutdown|restart|reset|pause|resume NAME…: one task per VM, waited for together.
import type { Command } from "commander";
import type { PowerAction, PowerRequest, Task } from "@vmctl/api-types";
import type { VmctlClient } from "@vmctl/client";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson } from "../output.js";

const DESCRIPTIONS: Record<PowerAction, string> = {
  start: "start VMs (a suspended VM resumes from its saved state)",
  stop: "stop VMs gracefully: ACPI power button, then after --timeout QEMU quits, then it is killed (--force: at once); a suspended VM's saved state is discarded",
  shutdown: "ask the guests to power off (ACPI) and wait; never forced",
  restart: "stop gracefully (as stop), then start: a new QEMU picks up definition changes",
  reset: "hardware reset, like the reset button",
  pause: "pause the virtual CPUs",
  resume: "resume paused VMs, or suspended ones from their saved state",
  suspend: "save the VMs' memory and devices to disk and end QEMU; start or resume continues where they were",
};

const PAST: Record<PowerAction, string> = { start: "started", stop: "stopped", shutdown: "shut down", restart: "restarted", reset: "reset", pause: "paused", resume: "resumed", suspend: "suspended" };

export async function waitAndReport(client: VmctlClient, names: string[], request: PowerRequest, json: boolean, wait = true): Promise<void> {
  const submitted = await Promise.allSettled(names.map((name) => client.power(name, request)));
  const tasks = await Promise.all(submitted.map(async (result): Promise<Task | Error> => {
    if (result.status === "rejected") return result.reason as Error;
    return wait ? client.waitTask(result.value.id) : result.value;
  }));
  const failures = tasks.filter((task) => task instanceof Error || task.state === "error").length;
  if (json) printJson(tasks.map((task, i) => (task instanceof Error ? { name: names[i], error: { message: task.message } } : { name: names[i], task })));
  else {
    tasks.forEach((task, i) => {
      if (task instanceof Error) process.stderr.write(`vmctl: ${names[i]}: ${task.message}\n`);
      else if (task.state === "error") process.stderr.write(`vmctl: ${names[i]}: ${task.error?.message ?? "failed"}\n`);
      else if (!wait) process.stdout.write(`${names[i]}: ${request.action} submitted as task ${task.id}\n`);
      else process.stdout.write(`${names[i]}: ${PAST[request.action]}\n`);
    });
  }
  if (failures > 0) throw new CliError(`${failures} of ${names.length} failed`, "failed", 1);
}

export function registerPower(program: Command, globals: () => GlobalOptions): void {
  for (const action of Object.keys(DESCRIPTIONS) as PowerAction[]) {
    const command = program.command(action).description(DESCRIPTIONS[action]).argument("<names...>", "one or more VM names")
      .option("--no-wait", "return once the tasks are submitted");
    if (action === "stop" || action === "shutdown" || action === "restart") command.option("--timeout <seconds>", "how long the guest gets to power off (default: the VM's policy.stop_timeout, 60)");
    if (action === "stop") command.option("--force", "power off at once, without asking the guest");
    command.action(async (names: string[], options: { wait: boolean; timeout?: string; force?: boolean }) => {
      const request: PowerRequest = { action };
      if (options.timeout !== undefined) {
        const timeout = Number(options.timeout);
        if (!Number.isInteger(timeout) || timeout < 1) throw new CliError(`--timeout: "${options.timeout}" is not a whole number of seconds`, "bad_request", 2);
        request.timeout = timeout;
      }
      if (options.force) request.force = true;
      await waitAndReport(clientFor(globals()), names, request, globals().json ?? false, options.wait);
    });
  }
}
