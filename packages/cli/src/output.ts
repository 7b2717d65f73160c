// How vmctl speaks: tables for people, JSON with --json, errors on stderr with a non-zero exit.
import { humanSize } from "@vmctl/definition/sizes";
import { ApiError, ConnectionError } from "@vmctl/client";

export interface OutputOptions { json?: boolean }

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  process.stdout.write(`${[line(headers), ...rows.map(line)].join("\n")}\n`);
}

/**
 * One line of status on stderr, rewritten in place; only on a terminal, and never when `quiet`
 * (for --json, whose stderr carries only the error object).
 */
export function statusLine(quiet: boolean): { show: (text: string) => void; clear: () => void } {
  const live = !quiet && process.stderr.isTTY === true;
  let shown = false;
  return {
    show(text) {
      if (!live) return;
      process.stderr.write(`\r\x1b[K${text}`);
      shown = true;
    },
    clear() {
      if (shown) process.stderr.write("\r\x1b[K");
      shown = false;
    },
  };
}

/** Bytes moved, on the status line at most five times a second. */
export function progressLine(label: string, quiet: boolean): { update: (done: number, total: number | undefined) => void; end: () => void } {
  const line = statusLine(quiet);
  let last = 0;
  return {
    update(done, total) {
      if (Date.now() - last < 200) return;
      last = Date.now();
      line.show(`${label} ${humanSize(done)}${total ? ` of ${humanSize(total)} (${Math.round((done / total) * 100)}%)` : ""}`);
    },
    end: line.clear,
  };
}

export function duration(fromIso: string | undefined): string {
  if (!fromIso) return "-";
  let seconds = Math.max(0, Math.round((Date.now() - Date.parse(fromIso)) / 1000));
  const days = Math.floor(seconds / 86400); seconds %= 86400;
  const hours = Math.floor(seconds / 3600); seconds %= 3600;
  const minutes = Math.floor(seconds / 60); seconds %= 60;
  if (days) return `${days}d${hours}h`;
  if (hours) return `${hours}h${minutes}m`;
  if (minutes) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** Exit status for failures; a usage error is 2 (commander's own), anything else 1. */
export class CliError extends Error {
  constructor(message: string, readonly code = "error", readonly exitCode = 1) {
    super(message);
  }
}

/**
 * For a TLS refusal of the server's certificate: which of the trust settings refused it, and what
 * to give instead (the error names the address, not the option that chose what to trust).
 */
export function trustHint(error: ConnectionError): string {
  if (!/certificate|Hostname\/IP does not match/i.test(error.message)) return "";
  const { ca, pinnedCert } = error.endpoint;
  if (ca) return "; the CA given with --ca (or VMCTL_CA) did not sign this server's certificate for this name: give the CA that did, and the name the certificate carries";
  if (pinnedCert) return "; it is not the certificate `vmctl login` pinned for this URL: log in again (vmctl login URL) or give --ca FILE";
  return "; the system's CAs do not trust its certificate: give its CA with --ca FILE (or VMCTL_CA), or pin it with `vmctl login URL`";
}

export function reportError(error: unknown, json: boolean): number {
  const code = error instanceof ApiError || error instanceof CliError ? error.code : error instanceof ConnectionError ? "unreachable" : "error";
  const message = (error instanceof Error ? error.message : String(error)) + (error instanceof ConnectionError ? trustHint(error) : "");
  if (json) process.stderr.write(`${JSON.stringify({ error: { code, message, ...(error instanceof ApiError && error.details !== undefined ? { details: error.details } : {}) } })}\n`);
  else process.stderr.write(`vmctl: ${message}\n`);
  return error instanceof CliError ? error.exitCode : 1;
}
