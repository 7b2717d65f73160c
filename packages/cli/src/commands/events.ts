// vmctl events [--follow]: the host's event log, and with --follow the live stream.
import type { Command } from "commander";
import type { VmctlEvent } from "@vmctl/api-types";
import { clientFor, type GlobalOptions } from "../context.js";

function describe(event: VmctlEvent): string {
  const data = Object.entries(event.data).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ");
  return `${event.time}  #${event.id}  ${event.type.padEnd(22)} ${event.vm ?? "-"}  ${data}`;
}

export function registerEvents(program: Command, globals: () => GlobalOptions): void {
  program.command("events").description("show events; --follow streams new ones")
    .option("--vm <name>", "only this VM's events")
    .option("--type <type>", "only this type (vm.state, vm.crashed, task.finished, …; a trailing * matches a prefix)")
    .option("--since <id>", "events after this id")
    .option("-n, --limit <n>", "how many of the latest", "50")
    .option("-f, --follow", "keep streaming new events")
    .action(async (options: { vm?: string; type?: string; since?: string; limit: string; follow?: boolean }) => {
      const client = clientFor(globals());
      const json = globals().json ?? false;
      const print = (event: VmctlEvent) => process.stdout.write(`${json ? JSON.stringify(event) : describe(event)}\n`);
      const events = await client.listEvents({
        ...(options.vm ? { vm: options.vm } : {}), ...(options.type ? { type: options.type } : {}),
        ...(options.since ? { since: Number(options.since) } : {}), limit: Number(options.limit),
      });
      if (json && !options.follow) {
        process.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
        return;
      }
      events.forEach(print);
      if (!options.follow) return;
      let last = events.at(-1)?.id ?? (await client.listEvents({ limit: 1 })).at(-1)?.id ?? 0;
      // Reconnect with back-off and resume from the last id seen: nothing is missed across a vmctld restart.
      for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
        await new Promise<void>((resolve) => {
          const socket = client.openEvents({ since: last, ...(options.vm ? { vm: options.vm } : {}) });
          socket.on("open", () => { delay = 250; });
          socket.on("message", (raw) => {
            const message = JSON.parse(raw.toString()) as { type: string; data: VmctlEvent };
            if (message.type !== "event" || message.data.id <= last) return;
            last = message.data.id;
            if (!options.type || message.data.type === options.type || (options.type.endsWith("*") && message.data.type.startsWith(options.type.slice(0, -1)))) print(message.data);
          });
          socket.on("error", () => {});
          socket.on("close", () => resolve());
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    });
}
