// /ws/vms/:name/console: the shared serial console. `console` carries output (base64), `console_input`
// keystrokes; a new viewer first gets the scroll-back; eof when the console ends. With the subprotocol
// vmctl.console.binary.v1, output and input are raw bytes in binary frames (text frames carry JSON
// errors) and the end of the console is a close with code 1000.
import type { FastifyInstance } from "fastify";
import { VmNameParamsSchema } from "@vmctl/api-types";
import type { Host } from "../host.js";
import { can } from "../security/principal.js";
import { parseClientMessage, send, sendError, overRateLimit, closedForUnknownVm, BINARY_CONSOLE_PROTOCOL, MAX_BUFFERED, MAX_WS_MESSAGE } from "./ws-message.js";

const BACKLOGGED = "the guest has not read the input sent so far; this input was dropped: retry when it catches up";

export function registerConsoleRoutes(app: FastifyInstance, host: Host): void {
  app.get("/ws/vms/:name/console", { websocket: true, schema: { params: VmNameParamsSchema, hide: true } }, (socket, request) => {
    const { name } = request.params as { name: string };
    if (closedForUnknownVm(socket, host.inventory.has(name), name)) return;
    const rt = host.runtimes.get(name);
    const serial = rt.console;
    if (!serial) {
      sendError(socket, "vm_wrong_state", `VM "${name}" is ${rt.state}: its serial console is not running`);
      send(socket, "console", { content: "", eof: true });
      socket.close(1000, "console not running");
      return;
    }
    if (serial.full) {
      sendError(socket, "rate_limited", `VM "${name}" has ${serial.viewerCount} console viewers, the most it takes; close one and retry`);
      socket.close(1013, "too many console viewers");
      return;
    }
    // Viewing needs vm.console.view (checked before the upgrade); typing needs vm.console.input.
    const mayType = request.principal !== null && can(request.principal, "vm.console.input", name);
    const refuseInput = () => sendError(socket, "forbidden", `${request.principal?.name ?? "you"} may watch this console but not type into it (needs "vm.console.input")`);
    if (socket.protocol === BINARY_CONSOLE_PROTOCOL) {
      const detachBinary = serial.attach({
        output: (chunk) => {
          if (socket.bufferedAmount > MAX_BUFFERED) socket.close(1013, "client too slow");
          else if (socket.readyState === socket.OPEN) socket.send(chunk, { binary: true });
        },
        end: () => socket.close(1000, "console ended"),
      });
      socket.on("close", detachBinary);
      socket.on("message", (raw, isBinary) => {
        if (overRateLimit(socket)) return;
        const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
        if (!mayType) refuseInput();
        else if (!isBinary) sendError(socket, "bad_request", "send keystrokes as binary frames on this subprotocol");
        else if (bytes.length > MAX_WS_MESSAGE) sendError(socket, "payload_too_large", `input over ${MAX_WS_MESSAGE} bytes`);
        else if (serial.inputBacklogged) sendError(socket, "rate_limited", BACKLOGGED);
        else if (!serial.write(bytes)) sendError(socket, "vm_wrong_state", "the console has ended");
      });
      return;
    }
    const detach = serial.attach({
      output: (chunk) => send(socket, "console", { content: chunk.toString("base64"), eof: false }),
      end: () => {
        send(socket, "console", { content: "", eof: true });
        socket.close(1000, "console ended");
      },
    });
    socket.on("close", detach);
    socket.on("message", (raw, isBinary) => {
      const message = parseClientMessage(socket, raw, isBinary);
      if (!message) return;
      if (message.type !== "console_input" || typeof message.data.content !== "string") {
        sendError(socket, "bad_request", 'expected {"type":"console_input","data":{"content":"<base64>"}}');
        return;
      }
      if (!mayType) return refuseInput();
      const bytes = Buffer.from(message.data.content, "base64");
      if (serial.inputBacklogged) sendError(socket, "rate_limited", BACKLOGGED);
      else if (!serial.write(bytes)) sendError(socket, "vm_wrong_state", "the console has ended");
    });
  });
}
