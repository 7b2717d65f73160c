import { describe, it, expect } from "vitest";
import { parseDefinitionToml, validateDefinition } from "./parse-definition.js";
import { DefinitionError } from "./issues.js";

function issuesOf(fn: () => unknown) {
  try { fn(); } catch (error) {
    if (error instanceof DefinitionError) return error;
    throw error;
  }
  throw new Error("expected a DefinitionError");
}

describe("parseDefinitionToml", () => {
  it("fills defaults and converts sizes", () => {
    const def = parseDefinitionToml('name = "web01"\nmemory = "1GiB"\n[disks.disk0]\nfile = "web01/disk0.qcow2"\nsize = "10G"\n');
    expect(def).toMatchObject({ name: "web01", cpus: 1, memoryBytes: 1024 ** 3, machine: "q35", accel: "auto" });
    expect(def.disks.disk0).toEqual({ file: "web01/disk0.qcow2", size: "10G", sizeBytes: 10 * 1024 ** 3, bus: "virtio", format: "qcow2", readonly: false });
    expect(def.boot.order).toEqual(["disk0"]);
    expect(def.policy).toEqual({ autostart: false, on_crash: "stop", stop_timeout: 60, autostart_order: 0, autostart_delay: 0, ha: false, host_tags: [] });
  });

  it("names file and line for broken TOML", () => {
    const error = issuesOf(() => parseDefinitionToml('name = "a"\ncpus = = 2\n', { file: "a/a.toml" }));
    expect(error.message).toMatch(/^a\/a\.toml:2: invalid TOML/);
  });

  it("suggests the right key for a misspelt one, with its line", () => {
    const error = issuesOf(() => parseDefinitionToml('name = "a"\n\n[disks.disk0]\nfile = "a/d.qcow2"\nsise = "1GiB"\n', { file: "a.toml" }));
    expect(error.issues).toEqual([expect.objectContaining({ field: "disks.disk0.sise", line: 5, suggestion: "size" })]);
    expect(error.message).toContain('a.toml:5: disks.disk0.sise: unknown key in [disks.disk0]');
    expect(error.message).toContain('did you mean "size"?');
  });

  it("refuses negative memory and says what to write", () => {
    const error = issuesOf(() => parseDefinitionToml('name = "a"\nmemory = -512\n'));
    expect(error.issues[0]).toMatchObject({ field: "memory", line: 2 });
    expect(error.message).toContain('a size with a unit, e.g. "512MiB"');
    const small = issuesOf(() => parseDefinitionToml('name = "a"\nmemory = "1MiB"\n'));
    expect(small.message).toContain("too small");
  });

  it("refuses a disk path that climbs out of the datastore", () => {
    const error = issuesOf(() => parseDefinitionToml('name = "a"\n[disks.d]\nfile = "../../etc/passwd"\n'));
    expect(error.issues[0]).toMatchObject({ field: "disks.d.file", line: 3 });
    expect(error.message).toContain('".."');
  });

  it("checks names, enums and references", () => {
    expect(issuesOf(() => validateDefinition({ name: "Bad Name" })).message).toContain("name: is \"Bad Name\"; expected a name of lower-case");
    expect(issuesOf(() => validateDefinition({ name: "a", machine: "q99" })).message).toContain('one of "q35", "pc", "microvm"');
    expect(issuesOf(() => validateDefinition({ name: "a", boot: { order: ["disk9"] } })).message).toContain('"disk9" is neither a disk, a cdrom nor a NIC');
    expect(issuesOf(() => validateDefinition({ cpus: 2 })).message).toContain("name: is missing");
  });

  it("reports every problem at once", () => {
    const error = issuesOf(() => validateDefinition({ name: "a", cpus: 0, memroy: "1GiB" }));
    expect(error.issues.map((issue) => issue.field).sort()).toEqual(["cpus", "memroy"]);
    const typed = issuesOf(() => validateDefinition({ name: "a", cpus: 0, memory: "x" }));
    expect(typed.issues.map((issue) => issue.field).sort()).toEqual(["cpus", "memory"]);
  });
});
