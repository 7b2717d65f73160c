// Which connections came in on the unix socket (root's break-glass way in, mode 0600): marked by the
// listener itself when they are accepted. Never inferred from the peer address: a TCP peer that
// resets its connection right after sending a request has no address any more (getpeername fails),
// and such a request must not pass for root's.
const local = new WeakSet<object>();

/** Called for every connection the unix-socket listener accepts. */
export function markLocalConnection(socket: object): void {
  local.add(socket);
}

/** True only for a connection the unix-socket listener accepted; anything else is a network client. */
export function isLocalConnection(socket: object | null | undefined): boolean {
  return socket !== null && socket !== undefined && local.has(socket);
}
