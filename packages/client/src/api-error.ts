// An answer of vmctld that is an error, with the registry's code, its message and details; and the
// reading of any answer into its JSON or that error, the same for every transport.
import type { ErrorBody } from "@vmctl/api-types";
import type { ApiResponse } from "./transport.js";

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
    this.name = "ApiError";
  }
}

/** The ApiError of a failed answer: its error body, or (a proxy's page, say) what can be said without one. */
export function answerError(status: number, text: string): ApiError {
  if (!text.trim()) return new ApiError(status, "unknown", `HTTP ${status}`);
  let error: ErrorBody["error"] | undefined;
  try {
    error = (JSON.parse(text) as Partial<ErrorBody> | null)?.error;
  } catch {
    return new ApiError(status, "bad_response", `vmctld answered HTTP ${status} with a body that is not JSON${text.trimStart().startsWith("<") ? " (an HTML page: a proxy in between?)" : ""}`);
  }
  return new ApiError(status, typeof error?.code === "string" ? error.code : "unknown", typeof error?.message === "string" ? error.message : `HTTP ${status}`, error?.details);
}

/** An answer's JSON (undefined for an empty body), or its ApiError. */
export function parseAnswer<T>(response: ApiResponse): T {
  if (response.status >= 400) throw answerError(response.status, response.text);
  try {
    return (response.text ? JSON.parse(response.text) : undefined) as T;
  } catch {
    throw new ApiError(response.status, "bad_response", `vmctld answered ${response.status} with a body that is not JSON`);
  }
}

/** A refusal that retrying cannot change: not logged in, or not allowed. */
export function isRefusal(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 401 || error.status === 403);
}
