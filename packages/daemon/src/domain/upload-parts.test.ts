import { describe, it, expect } from "vitest";
import { partFileName, parsePartFileName, isHiddenTemp } from "./upload-parts.js";

describe("upload part files", () => {
  it("carry their target and announced total in the name, and are hidden", () => {
    expect(partFileName("debian.iso", 631242752)).toBe(".debian.iso.vmctl-part-631242752");
    expect(parsePartFileName(".debian.iso.vmctl-part-631242752")).toEqual({ target: "debian.iso", total: 631242752 });
    expect(parsePartFileName(".a.vmctl-part-0")).toEqual({ target: "a", total: 0 });
    expect(isHiddenTemp(".debian.iso.vmctl-part-1")).toBe(true);
    expect(isHiddenTemp(".web01.toml.4242.1732470000000.tmp")).toBe(true);
  });

  it("leave every other name alone", () => {
    for (const name of ["debian.iso", ".hidden", "x.vmctl-part-1", ".x.vmctl-part-", ".notes.tmp", "a.tmp"]) {
      expect(isHiddenTemp(name), name).toBe(false);
      expect(parsePartFileName(name), name).toBeUndefined();
    }
  });
});
