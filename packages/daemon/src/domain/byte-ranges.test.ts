import { describe, it, expect } from "vitest";
import { parseRange, parseContentRange, contentRangeHeader } from "./byte-ranges.js";

describe("Range of a download", () => {
  it("takes a closed, an open and a suffix range, clamped to the file", () => {
    expect(parseRange("bytes=0-99", 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=900-", 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=900-5000", 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=-100", 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=-5000", 1000)).toEqual({ start: 0, end: 999 });
    expect(contentRangeHeader({ start: 900, end: 999 }, 1000)).toBe("bytes 900-999/1000");
  });

  it("says unsatisfiable past the end, and ignores what it does not serve", () => {
    expect(parseRange("bytes=1000-", 1000)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", 1000)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-", 0)).toBe("unsatisfiable");
    expect(parseRange(undefined, 1000)).toBeUndefined();
    expect(parseRange("bytes=0-1,5-6", 1000)).toBeUndefined();
    expect(parseRange("items=0-1", 1000)).toBeUndefined();
    expect(parseRange("bytes=5-1", 1000)).toBeUndefined();
    expect(parseRange("bytes=-", 1000)).toBeUndefined();
  });
});

describe("Content-Range of an upload", () => {
  it("reads start, end and total", () => {
    expect(parseContentRange("bytes 0-99/100")).toEqual({ start: 0, end: 99, total: 100 });
    expect(parseContentRange("bytes 1048576-2097151/2097152")).toEqual({ start: 1048576, end: 2097151, total: 2097152 });
  });

  it("refuses malformed or inconsistent ranges, saying what to send", () => {
    expect(() => parseContentRange("bytes */100")).toThrow(/is not "bytes <start>-<end>\/<total>"/);
    expect(() => parseContentRange("bytes 0-99/*")).toThrow(/e\.g\. "bytes 1048576-2097151\/2097152"/);
    expect(() => parseContentRange("bytes 10-5/100")).toThrow(/start ≤ end < total/);
    expect(() => parseContentRange("bytes 0-100/100")).toThrow(/start ≤ end < total/);
    // Too many digits fails the form; 16 digits past 2^53 fail the safe-integer check.
    expect(() => parseContentRange("bytes 0-99999999999999999/99999999999999999")).toThrow(/is not "bytes <start>-<end>\/<total>"/);
    expect(() => parseContentRange("bytes 0-9007199254740992/9007199254740993")).toThrow(/start ≤ end < total/);
  });
});
