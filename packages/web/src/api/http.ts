// The Host Client's one way out: the shared client of @vmctl/client over fetch, with this page's
// session: the CSRF token (kept for the tab) on changes, the login page on a 401 or on a WebSocket
// closed because its credential was revoked, and the reachability banner told of every request.
import { BrowserClient } from "@vmctl/client/browser";
import { reportRequest } from "./reachability";

export { ApiError, isRefusal, CLOSE_NARROWED, CLOSE_REVOKED } from "@vmctl/client/browser";

const CSRF_KEY = "vmctl.csrf";

export function setCsrf(token: string | null): void {
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

let onUnauthenticated: () => void = () => {};
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

export const client = new BrowserClient({
  csrfToken: () => sessionStorage.getItem(CSRF_KEY),
  onUnauthenticated: () => onUnauthenticated(),
  onReachability: reportRequest,
});

/**
 * Why vmctld closed a WebSocket, when it was for its credential (null otherwise): on 4401 the user
 * goes to the login page; on 4403 the right was taken away. Neither comes back by reconnecting.
 */
export const revokedByClose = (code: number): string | null => client.revokedByClose(code);
