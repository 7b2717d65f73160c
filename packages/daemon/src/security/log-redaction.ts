// What vmctld's log must never hold: credentials in headers or bodies, and query strings (a ticket
// rides in a WebSocket URL). The options are given to pino where vmctld makes its logger.
import type { LoggerOptions } from "pino";

export const REDACTED_PATHS = [
  "req.headers.authorization", "req.headers.cookie", 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]',
  "headers.authorization", "headers.cookie", 'headers["x-csrf-token"]',
  "password", "currentPassword", "token", "ticket", "secret", "cookie", "authorization",
  "*.password", "*.currentPassword", "*.token", "*.ticket", "*.secret", "*.cookie", "*.authorization",
];

interface LoggedRequest { method?: string; url?: string; host?: string; ip?: string }

/** A request as the log shows it: no headers, and the path without its query string. */
export function requestForLog(request: LoggedRequest): Record<string, string | undefined> {
  return { method: request.method, url: request.url?.split("?")[0], host: request.host, remoteAddress: request.ip };
}

export const LOG_REDACTION = {
  redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
  serializers: { req: requestForLog },
} satisfies LoggerOptions;
