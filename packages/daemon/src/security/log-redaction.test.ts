import { describe, it, expect } from "vitest";
import { Writable } from "node:stream";
import pino from "pino";
import { LOG_REDACTION } from "./log-redaction.js";

describe("log redaction", () => {
  it("keeps credentials and query strings out of vmctld's log, whatever a caller logs", () => {
    let written = "";
    const sink = new Writable({ write(chunk: Buffer, _encoding, done) { written += chunk.toString(); done(); } });
    const log = pino({ level: "debug", ...LOG_REDACTION }, sink);
    log.info({ req: { method: "GET", url: "/ws/vms/web01/console?ticket=T1CKET", headers: { authorization: "Bearer vmctl_0123abcd_SECRET", cookie: "vmctl_session=C00KIE" } } }, "request");
    log.info({ password: "PASSW0RD", body: { password: "PASSW0RD2", currentPassword: "CURRENT", token: "T0KEN" }, headers: { "x-csrf-token": "CSRF" } }, "change");
    log.child({ reqId: 1 }).warn({ ticket: "T1CKET2", user: "carol" }, "failed");
    for (const secret of ["T1CKET", "SECRET", "C00KIE", "PASSW0RD", "CURRENT", "T0KEN", "CSRF"]) expect(written).not.toContain(secret);
    expect(written).toContain('"url":"/ws/vms/web01/console"');
    expect(written).toContain('"user":"carol"');
    expect(written).toContain("[redacted]");
  });
});
