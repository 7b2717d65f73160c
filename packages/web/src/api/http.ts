// The only way out of the Host Client: the public REST API, with the session cookie and the CSRF
// token for changes. A 401 sends the user to the login page and back to where they were.
import type { ErrorBody } from "@vmctl/api-types";

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

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const csrf = sessionStorage.getItem(CSRF_KEY);
  if (csrf && method !== "GET") headers["x-csrf-token"] = csrf;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, credentials: "same-origin", ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new ApiError(0, "unreachable", "vmctld is unreachable; retrying");
  }
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (parsed as ErrorBody | undefined)?.error;
    if (response.status === 401 && path !== "/api/v1/login") onUnauthenticated();
    throw new ApiError(response.status, error?.code ?? "error", error?.message ?? `HTTP ${response.status}`, error?.details);
  }
  return parsed as T;
}

export function wsUrl(path: string): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
}
