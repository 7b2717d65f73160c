// /ws/vms/:name/console: the shared serial console. `console` carries output (base64), `console_input`
// keystrokes; a new viewer first gets the scroll-back; eof when the console ends. With the subprotocol
// vmctl.console.binary.v1, output and input are raw bytes in binary frames (text frames carry JSON
// errors and status) and the end of the console is a close with code 1000.
// Opened while the VM is not running, the console waits: a `status` message says so (console:
// "waiting"), and when the VM starts the viewer is attached (a `status` with console: "attached")
// and gets everything from QEMU's first byte on, the whole boot. Output reaches each viewer at the
// pace its connection takes (SerialConsole's MAX_VIEWER_IN_FLIGHT), so a slow one holds no memory.
import type { ApiApp } from "./api-app.js";
import { VmNameParamsSchema, type VmctlEvent } from "@vmctl/api-types";
import type { Host } from "../host.js";
import { VIEWER_SLOT_BYTES, type SerialConsole, type ViewerFraming } from "../domain/serial-console.js";
import { can } from "../security/principal.js";
import { parseClientMessage, clientData, send, sendError, overRateLimit, closedForUnknownVm, wsTimestamp, BINARY_CONSOLE_PROTOCOL, MAX_WS_MESSAGE } from "./ws-message.js";
import { protocolStatus } from "./vm-monitor.js";

/**
 * A JSON viewer's `console` message, written straight into the slot it goes out from (sent as a
 * text frame): 6 KiB of output make 8 KiB of base64, within a slot with room for the envelope.
 */
export const JSON_CONSOLE_FRAMING: ViewerFraming = {
  chunkBytes: 6 * 1024,
  write(bytes, into) {
    const head = `{"type":"console","timestamp":${JSON.stringify(wsTimestamp())},"data":{"content":"`;
    const tail = '","eof":false}}';
    const length = head.length + Math.ceil(bytes.length / 3) * 4 + tail.length;
    if (length > into.length) throw new RangeError(`a console message of ${length} bytes does not fit in a slot of ${into.length} (VIEWER_SLOT_BYTES ${VIEWER_SLOT_BYTES})`);
    let at = into.write(head, 0, "latin1");
    at += into.write(bytes.toString("base64"), at, "latin1");
    return at + into.write(tail, at, "latin1");
  },
};

const BACKLOGGED = "the guest has not read the input sent so far; this input was dropped: retry when it catches up";

export function registerConsoleRoutes(app: ApiApp, host: Host): void {
  app.get("/ws/vms/:name/console", { websocket: true, schema: { params: VmNameParamsSchema, hide: true } }, (socket, request) => {
    const { name } = request.params;
    if (closedForUnknownVm(socket, host.inventory.has(name), name)) return;
    const binary = socket.protocol === BINARY_CONSOLE_PROTOCOL;
    const endConsole = (reason: string) => {
      if (!binary) send(socket, "console", { content: "", eof: true });
      socket.close(1000, reason);
    };
    if (host.inventory.get(name).def?.console.serial === false) {
      sendError(socket, "vm_wrong_state", `VM "${name}" has no serial console ([console] serial = false in its definition)`);
      endConsole("no serial console");
      return;
    }
    // Viewing needs vm.console.view (checked before the upgrade); typing needs vm.console.input.
    const mayType = request.principal !== null && can(request.principal, "vm.console.input", name);
    const refuseInput = () => sendError(socket, "forbidden", `${request.principal?.name ?? "you"} may watch this console but not type into it (needs "vm.console.input")`);

    let serial: SerialConsole | undefined;
    let detach = () => {};
    const sendStatus = (consoleState: "waiting" | "attached") => {
      const rt = host.runtimes.get(name);
      const uptime = rt.startedAt && (rt.state === "running" || rt.state === "paused") ? Math.floor((Date.now() - Date.parse(rt.startedAt)) / 1000) : 0;
      send(socket, "status", {
        status: protocolStatus(rt.state), state: rt.state, lastStateChange: wsTimestamp(new Date(rt.lastChange)), uptime,
        console: consoleState,
        message: consoleState === "waiting" ? `waiting for ${name} to start (it is ${rt.state})` : `${name} started; attached to its serial console`,
      });
    };
    const attach = (console: SerialConsole) => {
      if (console.full) {
        sendError(socket, "rate_limited", `VM "${name}" has ${console.viewerCount} console viewers, the most it takes; close one and retry`);
        socket.close(1013, "too many console viewers");
        return;
      }
      serial = console;
      detach = console.attach({
        // JSON viewers get their messages framed in the console's slots (a text frame of those bytes).
        frame: binary ? undefined : JSON_CONSOLE_FRAMING,
        output: (chunk, sent) => {
          if (socket.readyState !== socket.OPEN) return;
          socket.send(chunk, { binary }, () => sent());
        },
        end: () => endConsole("console ended"),
      });
    };
    const running = () => {
      const console = host.runtimes.get(name).console;
      return console && !console.ended ? console : undefined;
    };
    // Waiting: every change of this VM is looked at; a start attaches, a destroy ends the console.
    const onEvent = (event: VmctlEvent) => {
      if (event.vm !== name) return;
      if (!host.inventory.has(name)) {
        stopWaiting();
        endConsole("vm destroyed");
        return;
      }
      if (event.type !== "vm.state") return;
      const console = running();
      if (!console) {
        sendStatus("waiting");
        return;
      }
      stopWaiting();
      sendStatus("attached");
      attach(console);
    };
    const stopWaiting = () => host.events.off("event", onEvent);
    socket.on("close", () => {
      stopWaiting();
      detach();
    });

    const now = running();
    if (now) attach(now);
    else {
      host.events.on("event", onEvent);
      sendStatus("waiting");
    }

    const type = (bytes: Buffer) => {
      if (!serial) sendError(socket, "vm_wrong_state", `VM "${name}" is ${host.runtimes.get(name).state}: the console is waiting for it to start; type once it runs`);
      else if (serial.inputBacklogged) sendError(socket, "rate_limited", BACKLOGGED);
      else if (!serial.write(bytes)) sendError(socket, "vm_wrong_state", "the console has ended");
    };
    if (binary) {
      socket.on("message", (raw, isBinary) => {
        if (overRateLimit(socket)) return;
        const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
        if (!mayType) refuseInput();
        else if (!isBinary) sendError(socket, "bad_request", "send keystrokes as binary frames on this subprotocol");
        else if (bytes.length > MAX_WS_MESSAGE) sendError(socket, "payload_too_large", `input over ${MAX_WS_MESSAGE} bytes`);
        else type(bytes);
      });
      return;
    }
    socket.on("message", (raw, isBinary) => {
      const message = parseClientMessage(socket, raw, isBinary);
      if (!message) return;
      const input = clientData(message, "console_input");
      if (!input) {
        sendError(socket, "bad_request", 'expected {"type":"console_input","data":{"content":"<base64>"}}');
        return;
      }
      if (!mayType) return refuseInput();
      type(Buffer.from(input.content, "base64"));
    });
  });
}
