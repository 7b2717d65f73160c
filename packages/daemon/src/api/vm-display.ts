// The VM's screen as a PNG (QMP screendump) and keys sent to it (QMP send-key): thumbnails in the
// Host Client, Ctrl-Alt-Del, and typing text as keystrokes.
import type { FastifyInstance } from "fastify";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { Type } from "@sinclair/typebox";
import { VmNameParamsSchema, VmctlError } from "@vmctl/api-types";
import { readBytesNoFollow } from "@vmctl/qemu";
import type { Host } from "../host.js";
import { textToKeyPresses, type KeyPress } from "../domain/keyboard.js";
import { responses } from "./openapi.js";

const SendKeySchema = Type.Object({
  keys: Type.Optional(Type.Array(Type.String({ pattern: "^[a-z0-9_]{1,20}$" }), { minItems: 1, maxItems: 8, description: 'qcodes pressed together, e.g. ["ctrl","alt","delete"]' })),
  text: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "text typed as keystrokes (US layout)" })),
}, { additionalProperties: false });

/** A screen's PNG stays far below this (a 4K screen uncompressed is 25 MiB). */
const SCREENSHOT_MAX_BYTES = 64 * 1024 * 1024;

function runningProcess(host: Host, name: string) {
  host.inventory.get(name);
  const rt = host.runtimes.get(name);
  if (!rt.process) throw new VmctlError("vm_wrong_state", `VM "${name}" is ${rt.state}; it has no screen until it runs`, { state: rt.state });
  if (!host.inventory.definition(name).console.vnc) throw new VmctlError("vm_wrong_state", `VM "${name}" has no display ([console] vnc = false)`);
  return rt.process;
}

export function registerDisplayRoutes(app: FastifyInstance, host: Host): void {
  app.get("/api/v1/vms/:name/screenshot", {
    schema: { params: VmNameParamsSchema, response: responses({ 200: { description: "PNG image", content: { "image/png": { schema: Type.String({ format: "binary" }) } } } }, 404, 409), summary: "The VM's screen as a PNG" },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const proc = runningProcess(host, name);
    const file = join(proc.paths.scratch, `screenshot-${randomUUID()}.png`);
    try {
      await proc.qmp.execute("screendump", { filename: file, format: "png" });
      // QEMU's run dir is its user's: read the plain file QEMU wrote, never a link swapped in for it.
      const png = await readBytesNoFollow(file, SCREENSHOT_MAX_BYTES);
      if (!png) throw new VmctlError("qemu_failed", `QEMU's screenshot of "${name}" is not a plain file in its run dir`);
      return reply.header("Content-Type", "image/png").header("Cache-Control", "no-store").send(png);
    } finally {
      await rm(file, { force: true });
    }
  });

  app.post("/api/v1/vms/:name/sendkey", {
    schema: { params: VmNameParamsSchema, body: SendKeySchema, response: responses({ 200: Type.Object({ sent: Type.Integer() }) }, 404, 409), summary: "Press keys together (keys), or type text as keystrokes" },
  }, async (request) => {
    const { name } = request.params as { name: string };
    const body = request.body as { keys?: string[]; text?: string };
    if ((body.keys === undefined) === (body.text === undefined)) throw new VmctlError("bad_request", 'give either "keys" (pressed together) or "text" (typed)');
    let presses: KeyPress[];
    try {
      presses = body.keys ? [{ keys: body.keys }] : textToKeyPresses(body.text!);
    } catch (error) {
      throw new VmctlError("bad_request", `text: ${(error as Error).message}`);
    }
    const proc = runningProcess(host, name);
    for (const press of presses) {
      try {
        await proc.qmp.execute("send-key", { keys: press.keys.map((key) => ({ type: "qcode", data: key })) });
      } catch (error) {
        throw new VmctlError("bad_request", `keys: ${(error as Error).message.replace(/^QMP "send-key" failed: /, "")}`);
      }
    }
    return { sent: presses.length };
  });
}
