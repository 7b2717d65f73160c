// Who made a request. Until users and tokens exist, the root-only unix socket and loopback TCP are the
// only ways in, and they are named as such in tasks and events.
import type { FastifyRequest } from "fastify";

export function userOf(request: FastifyRequest): string {
  return request.raw.socket.remoteAddress ? `local@${request.raw.socket.remoteAddress}` : "root@unix-socket";
}
