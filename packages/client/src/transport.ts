// What the API methods need of a way to vmctld: one request, one whole answer. The Node transport
// (unix socket or pinned HTTPS) and the browser's (fetch, cookie session, CSRF) implement it.

export interface RequestBody { type: string; text: string }

export interface ApiRequest {
  method: string;
  /** The path and query (apiPaths builds it). */
  path: string;
  body?: RequestBody;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface Transport {
  /** Answers whatever status vmctld gave; throws only when vmctld could not be reached. */
  send(request: ApiRequest): Promise<ApiResponse>;
}

export const headerValue = (response: ApiResponse, name: string): string => {
  const value = response.headers[name];
  return Array.isArray(value) ? value.join(", ") : (value ?? "");
};
