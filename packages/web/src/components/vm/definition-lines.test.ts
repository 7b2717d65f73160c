import { describe, it, expect } from "vitest";
import { definitionProblems, lineOfField } from "./definition-lines";

const TEXT = 'name = "web01"\ncpus = 0\n\n[disks.disk0]\nfile = "web01/disk0.qcow2"\nsise = "1GiB"\n';

describe("a definition's problems in the editor's lines", () => {
  it("finds a field's line, or its nearest table's", () => {
    expect(lineOfField(TEXT, "cpus")).toBe(2);
    expect(lineOfField(TEXT, "disks.disk0.sise")).toBe(6);
    expect(lineOfField(TEXT, "disks.disk0.bus")).toBe(4);
    expect(lineOfField(TEXT, "nics.net0")).toBeUndefined();
  });

  it("takes the answer's issues with their lines, finding the missing ones in the text", () => {
    const details = { file: "web01/web01.toml", issues: [{ field: "", line: 3, message: "invalid TOML: expected =" }, { field: "disks.disk0.sise", message: "unknown key", suggestion: "size" }] };
    expect(definitionProblems("ignored", details, TEXT)).toEqual([
      { line: 3, field: "", text: "invalid TOML: expected =" },
      { line: 6, field: "disks.disk0.sise", text: 'disks.disk0.sise: unknown key (did you mean "size"?)' },
    ]);
  });

  it("reads a message without details, one problem a line, without its file", () => {
    expect(definitionProblems("2 problems:\n  web01/web01.toml:2: cpus: is 0\n  web01/web01.toml: name: is missing", undefined, TEXT)).toEqual([
      { line: 2, field: "cpus", text: "cpus: is 0" },
      { line: 1, field: "name", text: "name: is missing" },
    ]);
  });
});
