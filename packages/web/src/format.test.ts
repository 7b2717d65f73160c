import { describe, it, expect } from "vitest";
import { formatBytes, formatUptime } from "./format";

describe("formatBytes", () => {
  it("uses the largest binary unit that keeps the number at least 1", () => {
    expect(formatBytes(10 * 1024 ** 3)).toBe("10 GiB");
    expect(formatBytes(256 * 1024 ** 2)).toBe("256 MiB");
    expect(formatBytes(1536 * 1024 ** 2)).toBe("1.5 GiB");
  });
});

describe("formatUptime", () => {
  it("counts seconds, minutes, hours and days", () => {
    const start = "2026-01-01T00:00:00.000Z";
    const at = (seconds: number) => formatUptime(start, Date.parse(start) + seconds * 1000);
    expect(at(42)).toBe("42 s");
    expect(at(300)).toBe("5 min");
    expect(at(3 * 3600 + 12 * 60)).toBe("3 h 12 min");
    expect(at(2 * 86_400 + 4 * 3600)).toBe("2 d 4 h");
    expect(formatUptime(undefined)).toBe("-");
  });
});
