// /ws/vms/:name/vnc: the graphical console. vmctld proxies the WebSocket (noVNC's "binary"
// subprotocol) to the VM's VNC unix socket. Without vm.console.input the view is read-only: an RFB
// filter reads both directions of the handshake and drops the client's key, pointer and clipboard
// messages, whatever the browser sends; a byte it cannot account for closes the connection.
import type { FastifyRequest } from "fastify";
import type { ApiApp } from "./api-app.js";
import type { WebSocket } from "ws";
import { connect, type Socket } from "node:net";
import { VmNameParamsSchema } from "@vmctl/api-types";
import type { Host } from "../host.js";
import { can } from "../security/principal.js";
import { closeWithError } from "./ws-message.js";
import { sourceOf } from "./auth-hooks.js";
import { RfbInputFilter } from "../domain/rfb-input-filter.js";

/** WebSocket close code for a read-only view that sent what it may not (RFC 6455: policy violation). */
export const VNC_POLICY_CLOSE = 1008;

export function registerVncRoutes(app: ApiApp, host: Host): void {
  app.get("/ws/vms/:name/vnc", { websocket: true, schema: { params: VmNameParamsSchema, hide: true } }, (socket, request) => {
    const { name } = request.params;
    const rt = host.inventory.has(name) ? host.runtimes.get(name) : undefined;
    const def = host.inventory.has(name) ? host.inventory.get(name).def : undefined;
    if (!rt?.process || !def?.console.vnc) {
      closeWithError(socket, "vm_wrong_state", `VM "${name}" has no running display`, "no display");
      return;
    }
    const vnc = connect(rt.process.files.vnc);
    const filter = request.principal && can(request.principal, "vm.console.input", name) ? null : new ReadOnlyView(host, request, name, socket, vnc);
    vnc.on("data", (chunk) => {
      if (filter && !filter.fromServer(chunk)) return;
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > 8 * 1024 * 1024) { socket.close(1013, "client too slow"); return; }
      socket.send(chunk, { binary: true });
    });
    vnc.on("error", () => socket.close(1011, "VNC connection failed"));
    vnc.on("close", () => socket.close(1000, "display ended"));
    socket.on("message", (raw) => {
      const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as Buffer);
      if (filter) filter.fromClient(bytes);
      else vnc.write(bytes);
    });
    socket.on("close", () => vnc.destroy());
  });
}

/** The read-only side of the proxy: the filter between the two sockets, and the audit of refusals. */
class ReadOnlyView {
  private readonly filter = new RfbInputFilter();
  private audited = false;

  constructor(private readonly host: Host, private readonly request: FastifyRequest, private readonly vm: string, private readonly socket: WebSocket, private readonly vnc: Socket) {}

  /** Server bytes: may release client bytes held back; false once the connection is failed. */
  fromServer(chunk: Buffer): boolean {
    this.forward(this.filter.fromServer(chunk));
    return this.filter.failure === undefined;
  }

  fromClient(chunk: Buffer): void {
    this.forward(this.filter.fromClient(chunk));
  }

  private forward(allowed: Buffer): void {
    if (allowed.length) this.vnc.write(allowed);
    if (this.filter.droppedInput > 0 && !this.audited) {
      // Once per connection: a view-only noVNC never sends input, so this is a client trying to.
      this.audited = true;
      this.audit("VNC input (keys, pointer or clipboard) dropped: needs vm.console.input", 403);
    }
    const reason = this.filter.failure;
    if (reason === undefined || this.vnc.destroyed) return;
    this.vnc.destroy();
    this.audit(`VNC connection closed: ${reason}`, 400);
    // A close reason is at most 123 bytes.
    this.socket.close(VNC_POLICY_CLOSE, `read-only view: ${reason}`.slice(0, 120));
  }

  private audit(action: string, status: number): void {
    this.host.audit.record({ user: this.request.principal?.name ?? "anonymous", source: sourceOf(this.request), action, target: this.vm, result: "refused", status });
  }
}
