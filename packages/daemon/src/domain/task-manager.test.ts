import { describe, it, expect } from "vitest";
import { estimateEta } from "./task-manager.js";

describe("estimateEta", () => {
  it("extrapolates the pace so far, and has no answer before progress or after the end", () => {
    const start = Date.parse("2026-01-01T00:00:00Z");
    expect(estimateEta(start, 25, start + 10_000)).toBe("2026-01-01T00:00:40.000Z");
    expect(estimateEta(start, 0, start + 10_000)).toBeNull();
    expect(estimateEta(start, 100, start + 10_000)).toBeNull();
  });
});
