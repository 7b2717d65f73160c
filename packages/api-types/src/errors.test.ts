import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { ERROR_CODES, VmctlError } from "./errors.js";

describe("error registry", () => {
  it("matches docs/errors.md row for row, with the same HTTP status", () => {
    const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const rows = [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(rows).toEqual(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]));
  });

  it("gives every error its status and a body without details when there are none", () => {
    const error = new VmctlError("vm_wrong_state", 'cannot start VM "a": it is running', { state: "running" });
    expect(error.status).toBe(409);
    expect(error.toBody()).toEqual({ error: { code: "vm_wrong_state", message: 'cannot start VM "a": it is running', details: { state: "running" } } });
    expect(new VmctlError("vm_not_found", "x").toBody()).toEqual({ error: { code: "vm_not_found", message: "x" } });
  });
});
