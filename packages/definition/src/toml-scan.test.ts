import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { blankStrings, trailingCommentAt } from "./toml-scan.js";
import { setTomlValue } from "./write-definition.js";

// The regular expressions these scans replace, as oracles on short lines.
const oldBlank = (text: string) => text.replace(/"(?:[^"\\]|\\.)*"/g, (s) => "x".repeat(s.length));
const oldComment = (text: string) => /\s+#.*$/.exec(text)?.index;

const line = fc.string({ unit: fc.constantFrom('"', "\\", "#", " ", "\t", "a", "=", "\r", "\u2028"), maxLength: 40 });

describe("TOML line scans", () => {
  it("blank strings exactly as the old regex did", () => {
    fc.assert(fc.property(line, (text) => { expect(blankStrings(text)).toBe(oldBlank(text)); }), { numRuns: 20_000 });
  });

  it("find a trailing comment exactly as the old regex did", () => {
    fc.assert(fc.property(line, (text) => { expect(trailingCommentAt(text)).toBe(oldComment(text)); }), { numRuns: 20_000 });
  });

  it("keep a comment when a MAC is written back, and ignore a # inside a string", () => {
    expect(setTomlValue('[nics.net0]\nmac = "auto"   # the NIC\n', ["nics", "net0"], "mac", "52:54:00:12:34:56")).toBe('[nics.net0]\nmac = "52:54:00:12:34:56"   # the NIC\n');
    expect(setTomlValue('[nics.net0]\nmac = "a # b"\n', ["nics", "net0"], "mac", "x")).toBe('[nics.net0]\nmac = "x"\n');
  });

  it("write back on 1 MiB hostile lines at once (the regexes took minutes)", () => {
    const blanks = `[nics.net0]\nmac = "auto"${" ".repeat(1024 * 1024)}\n`;
    expect(setTomlValue(blanks, ["nics", "net0"], "mac", "m")).toBe('[nics.net0]\nmac = "m"\n');
    const quotes = `[nics.net0]\nmac = "auto" # "${'\\"'.repeat(512 * 1024)}\n`;
    expect(setTomlValue(quotes, ["nics", "net0"], "mac", "m")).toBe(`[nics.net0]\nmac = "m" # "${'\\"'.repeat(512 * 1024)}\n`);
  });
});
