// A cap on the WebSockets one user holds open at once (consoles, VNC, monitors, events, whatever
// the credential): beyond it the upgrade is answered 429 before any handler runs, so a flood of
// connections costs one user their own headroom and nobody else anything.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { VmctlError } from "@vmctl/api-types";

/** Open WebSockets per user, all their sessions, tokens and tickets together. */
export const MAX_WEBSOCKETS_PER_USER = 64;

const isUpgrade = (request: FastifyRequest) => request.headers.upgrade?.toLowerCase() === "websocket";

/**
 * Counts at the upgrade request (after authentication, so the user is known), not when the socket
 * is handed out: a burst of parallel upgrades cannot all slip past the check. The slot is freed when
 * the connection closes, however it ends (an upgrade refused later, a socket closed, a peer gone).
 */
export function limitWebSocketsPerUser(app: FastifyInstance, max = MAX_WEBSOCKETS_PER_USER): { open(user: string): number } {
  const open = new Map<string, number>();
  app.addHook("onRequest", async (request) => {
    const principal = request.principal;
    // The unix socket (root, break-glass) is never capped; unauthenticated upgrades were refused already.
    if (!isUpgrade(request) || !principal || principal.kind === "root") return;
    const connection = request.raw.socket;
    if (!connection || connection.destroyed) return; // the peer is gone: no socket will be handed out
    const held = open.get(principal.user) ?? 0;
    if (held >= max) {
      throw new VmctlError("rate_limited", `${principal.user} already has ${held} WebSockets open, the most one user may; close some (other consoles or tabs) and retry`, { limit: max });
    }
    open.set(principal.user, held + 1);
    connection.once("close", () => {
      const left = (open.get(principal.user) ?? 1) - 1;
      if (left > 0) open.set(principal.user, left);
      else open.delete(principal.user);
    });
  });
  return { open: (user) => open.get(user) ?? 0 };
}
