// The only way out of the Host Client: the public REST API, with the session cookie and the CSRF
// token for changes. A 401 sends the user to the login page and back to where they were, and so
// does a WebSocket that vmctld closes because its credential was revoked.
import type { ErrorBody } from "@vmctl/api-types";
import { reportRequest } from "./reachability";

const CSRF_KEY = "vmctl.csrf";

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
  }
}

export function setCsrf(token: string | null): void {
  if (token) sessionStorage.setItem(CSRF_KEY, token);
  else sessionStorage.removeItem(CSRF_KEY);
}

let onUnauthenticated: () => void = () => {};
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

interface RawRequest { method: string; path: string; body?: string; contentType?: string; headers?: Record<string, string> }

/** The headers every change needs: the CSRF token of the session (uploads send it too). */
export function csrfHeaders(): Record<string, string> {
  const csrf = sessionStorage.getItem(CSRF_KEY);
  return csrf ? { "x-csrf-token": csrf } : {};
}

/** The ApiError of a failed answer (status and body), whoever sent the request. */
export function answerError(status: number, text: string, path: string): ApiError {
  let error: ErrorBody["error"] | undefined;
  try { error = (JSON.parse(text) as ErrorBody).error; } catch { /* not JSON: a proxy's page */ }
  if (status === 401 && path !== "/api/v1/login") onUnauthenticated();
  return new ApiError(status, error?.code ?? "error", error?.message ?? `HTTP ${status}`, error?.details);
}

/** Sends one request; answers the body as text with the ETag, or throws an ApiError. */
async function request({ method, path, body, contentType, headers: extra }: RawRequest): Promise<{ text: string; etag: string }> {
  const headers: Record<string, string> = { accept: "application/json", ...extra, ...(method !== "GET" ? csrfHeaders() : {}) };
  if (body !== undefined && contentType) headers["content-type"] = contentType;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: "same-origin", ...(body !== undefined ? { body } : {}) });
  } catch {
    reportRequest(false);
    throw new ApiError(0, "unreachable", "vmctld is unreachable");
  }
  reportRequest(true);
  const text = await response.text();
  if (!response.ok) throw answerError(response.status, text, path);
  return { text, etag: response.headers.get("etag") ?? "" };
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const { text } = await request({ method, path, ...(body !== undefined ? { body: JSON.stringify(body), contentType: "application/json" } : {}) });
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A VM's definition as written (TOML), with the ETag that guards saving it. */
export async function readDefinitionToml(name: string): Promise<{ text: string; etag: string }> {
  return request({ method: "GET", path: `/api/v1/vms/${encodeURIComponent(name)}/definition`, headers: { accept: "application/toml" } });
}

/** Saves the TOML if nobody changed it since `etag` was read (412 otherwise). */
export async function writeDefinitionToml(name: string, text: string, etag: string): Promise<void> {
  await request({ method: "PUT", path: `/api/v1/vms/${encodeURIComponent(name)}/definition`, body: text, contentType: "application/toml", headers: { "if-match": etag } });
}

/** vmctld closes a WebSocket with these when its credential is gone, or its rights on the VM shrank. */
export const CLOSE_REVOKED = 4401;
export const CLOSE_NARROWED = 4403;

/**
 * Why vmctld closed a WebSocket, when it was for its credential (null for any other close): on 4401
 * the user goes to the login page, as on a 401 answer; on 4403 the right was taken away. Neither
 * comes back by reconnecting, so the caller must not retry.
 */
export function revokedByClose(code: number): string | null {
  if (code === CLOSE_REVOKED) {
    onUnauthenticated();
    return "your session ended or was revoked: log in again";
  }
  return code === CLOSE_NARROWED ? "your right to this was taken away; ask an administrator" : null;
}

/** A refusal that retrying cannot change: not logged in (the login page follows), or no longer allowed. */
export function isRefusal(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 401 || error.status === 403);
}

export function wsUrl(path: string): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
}
