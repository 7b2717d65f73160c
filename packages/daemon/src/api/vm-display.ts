// The VM's screen as a PNG (QMP screendump) and keys sent to it (QMP send-key): thumbnails in the
// Host Client, Ctrl-Alt-Del, and typing text as keystrokes.
import { VmNameParamsSchema, VmctlError, SendKeyRequestSchema, SendKeyAnswerSchema, PngAnswer } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import type { Host } from "../host.js";
import { textToKeyPresses, type KeyPress } from "../domain/keyboard.js";
import { responses } from "./openapi.js";

/** A screen's PNG stays far below this (a 4K screen uncompressed is 25 MiB). */
const SCREENSHOT_MAX_BYTES = 64 * 1024 * 1024;

function runningProcess(host: Host, name: string) {
  host.inventory.get(name);
  const rt = host.runtimes.get(name);
  if (!rt.process) throw new VmctlError("vm_wrong_state", `VM "${name}" is ${rt.state}; it has no screen until it runs`, { state: rt.state });
  if (!host.inventory.definition(name).console.vnc) throw new VmctlError("vm_wrong_state", `VM "${name}" has no display ([console] vnc = false)`);
  return rt.process;
}

export function registerDisplayRoutes(app: ApiApp, host: Host): void {
  app.get("/api/v1/vms/:name/screenshot", {
    schema: { params: VmNameParamsSchema, response: responses({ 200: PngAnswer }, 404, 409), summary: "The VM's screen as a PNG" },
  }, async (request, reply) => {
    const { name } = request.params;
    const png = await runningProcess(host, name).screenshot(SCREENSHOT_MAX_BYTES);
    return reply.header("Content-Type", "image/png").header("Cache-Control", "no-store").send(png);
  });

  app.post("/api/v1/vms/:name/sendkey", {
    schema: { params: VmNameParamsSchema, body: SendKeyRequestSchema, response: responses({ 200: SendKeyAnswerSchema }, 404, 409), summary: "Press keys together (keys), or type text as keystrokes" },
  }, async (request) => {
    const { name } = request.params;
    const body = request.body;
    if ((body.keys === undefined) === (body.text === undefined)) throw new VmctlError("bad_request", 'give either "keys" (pressed together) or "text" (typed)');
    let presses: KeyPress[];
    try {
      presses = body.keys ? [{ keys: body.keys }] : textToKeyPresses(body.text!);
    } catch (error) {
      throw new VmctlError("bad_request", `text: ${(error as Error).message}`);
    }
    const proc = runningProcess(host, name);
    // An unknown key is refused by the driver as bad_request, in the hypervisor's words.
    for (const press of presses) await proc.sendKeys(press.keys);
    return { sent: presses.length };
  });
}
