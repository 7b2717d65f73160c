import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { compileNamePattern, matchNamePattern, MAX_NAME_PATTERN } from "./name-pattern.js";

/** An independent model: the textbook dynamic program over (pattern prefix, name prefix). */
function modelMatch(pattern: string, name: string): boolean {
  // row[j]: pattern[0..i) matches name[0..j)
  let row = Array.from({ length: name.length + 1 }, (_, j) => j === 0);
  for (const c of pattern) {
    const next = Array.from({ length: name.length + 1 }, () => false);
    for (let j = 0; j <= name.length; j++) {
      if (c === "*") next[j] = row[j]! || (j > 0 && next[j - 1]!);
      else next[j] = j > 0 && row[j - 1]! && (c === "?" || c === name[j - 1]);
    }
    row = next;
  }
  return row[name.length]!;
}

/** A second oracle, only for short inputs: the regular expression the old code built. */
function regexMatch(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "s").test(name);
}

const alphabet = fc.constantFrom("a", "b", "-", ".", "*", "?", "[", "]");
const nameChars = fc.constantFrom("a", "b", "-", ".", "0");

describe("VM name patterns", () => {
  it("matches whole names with * (any run) and ? (one character), everything else literal", () => {
    const m = (p: string, n: string) => compileNamePattern(p)(n);
    expect(m("web-*", "web-01")).toBe(true);
    expect(m("web-*", "web-")).toBe(true);
    expect(m("web-*", "xweb-01")).toBe(false);
    expect(m("db-?", "db-1")).toBe(true);
    expect(m("db-?", "db-12")).toBe(false);
    expect(m("*", "")).toBe(true);
    expect(m("", "")).toBe(true);
    expect(m("", "a")).toBe(false);
    expect(m("a.b", "a.b")).toBe(true);
    expect(m("a.b", "axb")).toBe(false); // "." is no wildcard
    expect(m("[ab]", "a")).toBe(false); // no classes: "[" is literal
    expect(m("[ab]", "[ab]")).toBe(true);
    expect(m("*a*b*", "xxaxxbxx")).toBe(true);
    expect(m("*a*b", "xxaxxbxxc")).toBe(false);
  });

  it("refuses a pattern longer than 64 characters, naming the field", () => {
    expect(() => compileNamePattern("*".repeat(MAX_NAME_PATTERN))).not.toThrow();
    expect(() => compileNamePattern("a".repeat(MAX_NAME_PATTERN + 1), "pattern")).toThrow(/pattern: .*65 characters; at most 64/);
  });

  it("agrees with the dynamic-programming model on generated patterns and names", () => {
    fc.assert(fc.property(fc.string({ unit: alphabet, maxLength: 64 }), fc.string({ unit: nameChars, maxLength: 64 }), (pattern, name) => {
      expect(matchNamePattern(pattern, name).matched).toBe(modelMatch(pattern, name));
    }), { numRuns: 3000 });
  });

  it("agrees with the old regular expression on short inputs, matching names built from the pattern too", () => {
    // Names derived from the pattern (wildcards filled in) exercise the matching side, which random names rarely hit.
    const filled = fc.string({ unit: alphabet, maxLength: 12 }).chain((pattern) => fc.tuple(fc.constant(pattern),
      fc.oneof(fc.string({ unit: nameChars, maxLength: 12 }), fc.array(fc.string({ unit: nameChars, maxLength: 3 }), { minLength: pattern.length, maxLength: pattern.length })
        .map((fills) => [...pattern].map((c, i) => (c === "*" ? fills[i]! : c === "?" ? (fills[i]![0] ?? "a") : c)).join("")))));
    fc.assert(fc.property(filled, ([pattern, name]) => {
      expect(matchNamePattern(pattern, name).matched).toBe(regexMatch(pattern, name));
      expect(modelMatch(pattern, name)).toBe(regexMatch(pattern, name));
    }), { numRuns: 3000 });
  });

  it("takes at most (name + 1) × (pattern + 1) steps, even for the patterns that make a regex backtrack", () => {
    const bound = (p: string, n: string) => (n.length + 1) * (p.length + 1);
    const hostile = "*a".repeat(31) + "*b"; // 64 characters
    const name = "a".repeat(63);
    const { matched, steps } = matchNamePattern(hostile, name);
    expect(matched).toBe(false);
    expect(steps).toBeLessThanOrEqual(bound(hostile, name));
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom("*", "a", "b", "?"), minLength: 1, maxLength: 64 }), fc.string({ unit: fc.constantFrom("a", "b"), maxLength: 64 }), (pattern, subject) => {
      expect(matchNamePattern(pattern, subject).steps).toBeLessThanOrEqual(bound(pattern, subject));
    }), { numRuns: 10_000 });
  });
});
