// vmctl console NAME: the shared serial console in this terminal. Ctrl-] detaches. Opened while the
// VM is not running, it says "waiting for NAME to start" and attaches when the VM starts, so the
// whole boot shows; input (typed or piped) is taken from then on.
import type { Command } from "commander";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError } from "../output.js";

const DETACH = 0x1d; // Ctrl-]

interface ServerMessage { type: string; data: { message?: string; code?: string; console?: string } }

export function registerConsole(program: Command, globals: () => GlobalOptions): void {
  program.command("console").description("attach to a VM's serial console (Ctrl-] detaches; piped input is typed, then the console is left; a stopped VM is waited for; with --json, stdout still carries the guest's bytes as they are, and stderr only an error, as JSON)").argument("<name>")
    .action(async (name: string) => {
      const socket = clientFor(globals()).openConsole(name, { binary: true });
      const interactive = process.stdin.isTTY;
      // --json: no words for people on stderr, which then carries only an error object.
      const say = (text: string) => { if (!globals().json) process.stderr.write(text); };
      await new Promise<void>((resolve, reject) => {
        let failure: Error | undefined;
        let waiting = false;
        let typing = false;
        const restore = () => {
          if (interactive && typing) process.stdin.setRawMode(false);
          process.stdin.pause();
        };
        const startTyping = () => {
          if (typing || socket.readyState !== socket.OPEN) return;
          typing = true;
          if (interactive) {
            process.stdin.setRawMode(true);
            say(`connected to ${name}'s serial console; Ctrl-] detaches\r\n`);
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
        };
        // vmctld says "waiting" (a status message) right after the upgrade when the VM is not
        // running; frames arrive in order, so once the answer to this ping is back, no such
        // message means the console is attached already.
        socket.on("open", () => socket.ping());
        socket.on("pong", () => { if (!waiting) startTyping(); });
        // Binary frames are the guest's output; text frames are JSON errors and status from vmctld.
        socket.on("message", (raw, isBinary) => {
          const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
          if (isBinary) {
            process.stdout.write(bytes);
            return;
          }
          const message = JSON.parse(bytes.toString()) as ServerMessage;
          if (message.type === "error") failure = new CliError(message.data.message ?? "console error", message.data.code ?? "error");
          if (message.type === "status" && message.data.console === "waiting" && !waiting && !typing) {
            waiting = true;
            say(`waiting for ${name} to start${interactive ? " (Ctrl-C leaves)" : ""}\n`);
          }
          if (message.type === "status" && message.data.console === "attached") {
            waiting = false;
            startTyping();
          }
        });
        socket.on("error", (error) => { restore(); reject(error); });
        socket.on("close", () => {
          restore();
          if (interactive) say("\r\ndetached\r\n");
          if (failure) reject(failure);
          else resolve();
        });
      });
    });
}
