// /ws/vms/:name/vnc: the graphical console. vmctld proxies the WebSocket (noVNC's "binary"
// subprotocol) to the VM's VNC unix socket. Without vm.console.input the view is read-only: the
// client's key, pointer and clipboard messages are dropped here, whatever the browser sends.
import type { FastifyInstance } from "fastify";
import { connect } from "node:net";
import { VmNameParamsSchema } from "@vmctl/api-types";
import type { Host } from "../host.js";
import { can } from "../security/principal.js";
import { sendError } from "./ws-message.js";
import { RfbInputFilter } from "../domain/rfb-input-filter.js";

export function registerVncRoutes(app: FastifyInstance, host: Host): void {
  app.get("/ws/vms/:name/vnc", { websocket: true, schema: { params: VmNameParamsSchema, hide: true } }, (socket, request) => {
    const { name } = request.params as { name: string };
    const rt = host.inventory.has(name) ? host.runtimes.get(name) : undefined;
    const def = host.inventory.has(name) ? host.inventory.get(name).def : undefined;
    if (!rt?.process || !def?.console.vnc) {
      sendError(socket, "vm_wrong_state", `VM "${name}" has no running display`);
      socket.close(4409, "no display");
      return;
    }
    const vnc = connect(rt.process.paths.vnc);
    const filter = request.principal && can(request.principal, "vm.console.input", name) ? null : new RfbInputFilter();
    vnc.on("data", (chunk) => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > 8 * 1024 * 1024) { socket.close(1013, "client too slow"); return; }
      socket.send(chunk, { binary: true });
    });
    vnc.on("error", () => socket.close(1011, "VNC connection failed"));
    vnc.on("close", () => socket.close(1000, "display ended"));
    socket.on("message", (raw) => {
      const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
      const allowed = filter ? filter.pass(bytes) : bytes;
      if (allowed.length) vnc.write(allowed);
    });
    socket.on("close", () => vnc.destroy());
  });
}
