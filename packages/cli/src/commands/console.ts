// vmctl console NAME: the shared serial console in this terminal. Ctrl-] detaches.
import type { Command } from "commander";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError } from "../output.js";

const DETACH = 0x1d; // Ctrl-]

export function registerConsole(program: Command, globals: () => GlobalOptions): void {
  program.command("console").description("attach to a VM's serial console (Ctrl-] detaches; piped input is typed, then the console is left)").argument("<name>")
    .action(async (name: string) => {
      const socket = clientFor(globals()).openConsole(name, { binary: true });
      const interactive = process.stdin.isTTY;
      await new Promise<void>((resolve, reject) => {
        let failure: Error | undefined;
        const restore = () => {
          if (interactive) process.stdin.setRawMode(false);
          process.stdin.pause();
        };
        socket.on("open", () => {
          if (interactive) {
            process.stdin.setRawMode(true);
            process.stderr.write(`connected to ${name}'s serial console; Ctrl-] detaches\r\n`);
          }
          process.stdin.on("data", (chunk: Buffer) => {
            const detachAt = interactive ? chunk.indexOf(DETACH) : -1;
            const input = detachAt >= 0 ? chunk.subarray(0, detachAt) : chunk;
            if (input.length) socket.send(input, { binary: true });
            if (detachAt >= 0) socket.close(1000, "detached");
          });
          // Piped input: once it is all typed, give the guest a moment to answer, then leave.
          process.stdin.on("end", () => setTimeout(() => socket.close(1000, "input ended"), 1500));
          process.stdin.resume();
        });
        // Binary frames are the guest's output; text frames are JSON errors from vmctld.
        socket.on("message", (raw, isBinary) => {
          const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
          if (isBinary) {
            process.stdout.write(bytes);
            return;
          }
          const message = JSON.parse(bytes.toString()) as { type: string; data: { message?: string; code?: string } };
          if (message.type === "error") failure = new CliError(message.data.message ?? "console error", message.data.code ?? "error");
        });
        socket.on("error", (error) => { restore(); reject(error); });
        socket.on("close", () => {
          restore();
          if (interactive) process.stderr.write("\r\ndetached\r\n");
          if (failure) reject(failure);
          else resolve();
        });
      });
    });
}
