// Every open WebSocket with the principal it was opened as. After each change (and every few seconds,
// for expiry) each socket's credential is re-read: a socket whose session, token, ticket minter or
// user is gone is closed with 4401, one whose rights on its VM shrank with 4403. Revocation is
// immediate, whatever the route: registerAuth adds every WebSocket route's sockets here.
import type { WebSocket } from "ws";
import { wsCloseCodeOf } from "@vmctl/api-types";
import { lostSince, type Principal } from "./principal.js";

/** The registry's close codes (4000 + the HTTP status) of unauthenticated and forbidden. */
export const CLOSE_REVOKED = wsCloseCodeOf("unauthenticated");
export const CLOSE_NARROWED = wsCloseCodeOf("forbidden");
/** A peer that ignores the close handshake is cut off after this. */
const CLOSE_GRACE_MS = 2000;

interface OpenSocket { principal: Principal; vm: string | undefined }

export class SocketRegistry {
  private readonly open = new Map<WebSocket, OpenSocket>();
  private scheduled = false;

  /** `reread` gives the principal as its credential stands now, or null when it no longer stands. */
  constructor(private readonly reread: (principal: Principal) => Principal | null) {}

  add(socket: WebSocket, principal: Principal, vm: string | undefined): void {
    this.open.set(socket, { principal, vm });
    socket.once("close", () => this.open.delete(socket));
    // A change may have landed between the upgrade's authentication and now, its re-check missing this socket.
    this.check(socket, { principal, vm }, new Map());
  }

  /** Open sockets whose principal matches (a cap per user or token can count with this). */
  count(matches: (principal: Principal) => boolean): number {
    let n = 0;
    for (const { principal } of this.open.values()) if (matches(principal)) n++;
    return n;
  }

  /** Re-checks once the current burst of work is done (many changes at once make one pass). */
  recheckSoon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.recheck();
    });
  }

  /** Re-reads every socket's credential (once per credential) and closes those that lost it or lost rights. */
  recheck(): void {
    const now = new Map<string, Principal | null>();
    for (const [socket, entry] of this.open) this.check(socket, entry, now);
  }

  private check(socket: WebSocket, { principal, vm }: OpenSocket, now: Map<string, Principal | null>): void {
    const key = JSON.stringify([principal.via, principal.ticket ?? null]);
    if (!now.has(key)) now.set(key, this.reread(principal));
    const current = now.get(key)!;
    const lost = current ? lostSince(principal, current, vm) : [];
    if (current && !lost.length) return;
    this.open.delete(socket);
    if (!current) cut(socket, CLOSE_REVOKED, "credential revoked or expired");
    else cut(socket, CLOSE_NARROWED, `privileges changed (lost ${lost.join(", ")})`.slice(0, 120));
  }
}

/** Closes with a reason and stops handling what the peer still sends; a peer that does not answer the close is cut. */
function cut(socket: WebSocket, code: number, reason: string): void {
  socket.removeAllListeners("message");
  if (socket.readyState === socket.OPEN) socket.close(code, reason);
  setTimeout(() => { if (socket.readyState !== socket.CLOSED) socket.terminate(); }, CLOSE_GRACE_MS).unref();
}
