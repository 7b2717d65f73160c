import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { ERROR_CODES, VmctlError, httpErrorAnswer, isRetryable, taskErrorAnswer, wsCloseCodeOf, wsErrorAnswer, type ErrorCode } from "./errors.js";

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

describe("error registry", () => {
  it("matches docs/errors.md row for row: HTTP status, WebSocket close code and retry", () => {
    const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (\d{4}) \| (yes)? ?\|/gm)].map((m) => [m[1], Number(m[2]), Number(m[3]), m[4] === "yes"]);
    expect(rows).toEqual(CODES.map((code) => [code, ERROR_CODES[code].status, wsCloseCodeOf(code), isRetryable(code)]));
  });

  it("gives every error its status and a body without details when there are none", () => {
    const error = new VmctlError("vm_wrong_state", 'cannot start VM "a": it is running', { state: "running" });
    expect(error.status).toBe(409);
    expect(error.toBody()).toEqual({ error: { code: "vm_wrong_state", message: 'cannot start VM "a": it is running', details: { state: "running" } } });
    expect(new VmctlError("vm_not_found", "x").toBody()).toEqual({ error: { code: "vm_not_found", message: "x" } });
  });

  it("closes WebSockets in the application range, 4000 + the HTTP status", () => {
    for (const code of CODES) {
      expect(wsCloseCodeOf(code)).toBeGreaterThanOrEqual(4000);
      expect(wsCloseCodeOf(code)).toBeLessThan(5000);
    }
    expect([wsCloseCodeOf("vm_not_found"), wsCloseCodeOf("vm_wrong_state"), wsCloseCodeOf("unauthenticated"), wsCloseCodeOf("forbidden")]).toEqual([4404, 4409, 4401, 4403]);
  });

  it("marks as retryable only what may succeed later unchanged", () => {
    expect(CODES.filter(isRetryable).sort()).toEqual(["cluster_unavailable", "host_unreachable", "login_locked", "rate_limited", "server_busy", "timeout", "upload_in_progress"]);
  });
});

describe("one error, three answers", () => {
  const coded = new VmctlError("vm_wrong_state", 'VM "a" is running; stop it first', { state: "running" });
  const unexpected = new Error("EIO: i/o error, read '/var/lib/vmctl/secret'");

  it("answers HTTP with the registry's status and body, and says nothing of an unexpected error but that it happened", () => {
    expect(httpErrorAnswer(coded)).toEqual({ status: 409, body: coded.toBody() });
    expect(httpErrorAnswer(unexpected)).toEqual({ status: 500, body: { error: { code: "internal", message: "internal error in vmctld; its log has the details" } } });
    expect(httpErrorAnswer("a string thrown")).toMatchObject({ status: 500, body: { error: { code: "internal" } } });
  });

  it("records a task's error as code and message; an unexpected one keeps its message for the task's reader", () => {
    expect(taskErrorAnswer(coded)).toEqual({ code: "vm_wrong_state", message: 'VM "a" is running; stop it first' });
    expect(taskErrorAnswer(unexpected)).toEqual({ code: "internal", message: unexpected.message });
    expect(taskErrorAnswer(undefined)).toEqual({ code: "internal", message: "undefined" });
  });

  it("answers a WebSocket with the code, the message and the close code", () => {
    expect(wsErrorAnswer(new VmctlError("vm_not_found", 'no VM named "x"'))).toEqual({ code: "vm_not_found", message: 'no VM named "x"', closeCode: 4404 });
    expect(wsErrorAnswer(coded).closeCode).toBe(4409);
    expect(wsErrorAnswer(unexpected)).toEqual({ code: "internal", message: "internal error in vmctld; its log has the details", closeCode: 4500 });
  });

  it("gives the same code and status for every code, whichever the target", () => {
    for (const code of CODES) {
      const error = new VmctlError(code, `a ${code}`);
      expect(httpErrorAnswer(error)).toEqual({ status: ERROR_CODES[code].status, body: { error: { code, message: `a ${code}` } } });
      expect(taskErrorAnswer(error).code).toBe(code);
      expect(wsErrorAnswer(error)).toEqual({ code, message: `a ${code}`, closeCode: 4000 + ERROR_CODES[code].status });
    }
  });
});
