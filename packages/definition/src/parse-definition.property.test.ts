// Hostile and random input never crashes the definition parser: it answers a valid definition or a
// DefinitionError that names a field, never any other exception.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { parseDefinitionToml, validateDefinition } from "./parse-definition.js";
import { DefinitionError } from "./issues.js";

function outcome(run: () => unknown): "ok" | "refused" {
  try {
    run();
    return "ok";
  } catch (error) {
    if (error instanceof DefinitionError) {
      expect(error.issues.length).toBeGreaterThan(0);
      expect(error.message.length).toBeGreaterThan(0);
      return "refused";
    }
    throw error;
  }
}

const keys = fc.constantFrom("name", "cpus", "memory", "machine", "accel", "boot", "disks", "cdroms", "nics", "console", "policy", "kernel", "file", "size", "mac", "on_crash", "__proto__", "constructor", "x");
const leaf = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom("512MiB", "-1", "../../etc/passwd", "/etc/shadow", "q35", "auto", "web01", "\u0000"));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(keys, tie("value"), { maxKeys: 6 })),
})).value;

// Hundreds of parses per property: seconds of CPU, more when the machine is busy (the 5 s default timed out under load).
describe("definition parser under random input", { timeout: 60_000 }, () => {
  it("random TOML text: a definition or a DefinitionError, nothing else", () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => { outcome(() => parseDefinitionToml(text)); }), { numRuns: 2000 });
  });

  it("TOML-shaped text with hostile values", () => {
    const line = fc.tuple(keys, leaf).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
    const table = fc.constantFrom("", "[boot]", "[disks.disk0]", "[nics.net0]", "[policy]", "[console]", "[disks]", "[[disks]]");
    const doc = fc.array(fc.oneof(line, table), { maxLength: 12 }).map((lines) => `name = "fuzz"\n${lines.join("\n")}`);
    fc.assert(fc.property(doc, (text) => { outcome(() => parseDefinitionToml(text)); }), { numRuns: 2000 });
  });

  it("random JSON bodies: a definition or a DefinitionError", () => {
    fc.assert(fc.property(json, (value) => { outcome(() => validateDefinition(value)); }), { numRuns: 2000 });
    fc.assert(fc.property(fc.dictionary(keys, json, { maxKeys: 8 }), (value) => { outcome(() => validateDefinition({ name: "fuzz", ...value })); }), { numRuns: 2000 });
  });
});
