import { describe, it, expect } from "vitest";
import { definitionToToml } from "./write-definition.js";
import { parseDefinitionToml, validateDefinition } from "./parse-definition.js";
import { defaultDiskFile, nameNewDisks, nameNewDisksInToml } from "./disk-files.js";

describe("a new disk given only its size", () => {
  it("lives in the VM's folder as <disk>.qcow2, or .img when raw", () => {
    expect(defaultDiskFile("web", "disk0")).toBe("web/disk0.qcow2");
    expect(defaultDiskFile("web", "data", "raw")).toBe("web/data.img");
  });

  it("is named in a definition given as data, leaving named disks, and the input, as they were", () => {
    const input = { name: "web", disks: { disk0: { size: "1GiB" }, data: { size: "2GiB", format: "raw" }, old: { file: "shared/base.qcow2" } } };
    const named = nameNewDisks(input);
    expect(named.disks).toEqual({ disk0: { file: "web/disk0.qcow2", size: "1GiB" }, data: { file: "web/data.img", size: "2GiB", format: "raw" }, old: { file: "shared/base.qcow2" } });
    expect(input.disks.disk0).toEqual({ size: "1GiB" });
    expect(validateDefinition(named).disks.disk0).toMatchObject({ file: "web/disk0.qcow2", format: "qcow2", sizeBytes: 1024 ** 3 });
    // Without a size there is nothing to make: the validator still says the file is missing.
    expect(() => validateDefinition(nameNewDisks({ name: "web", disks: { disk0: { bus: "sata" } } }))).toThrow(/disks\.disk0\.file/);
    expect(nameNewDisks("not a definition")).toBe("not a definition");
  });

  it("is named in a TOML text, keeping its comments, or by rendering it again when the disk is an inline table", () => {
    const text = '# my VM\nname = "web"\n\n[disks.disk0]\nsize = "1GiB" # grows later\n';
    const named = nameNewDisksInToml(text, () => { throw new Error("not needed"); });
    expect(named).toBe('# my VM\nname = "web"\n\n[disks.disk0]\nfile = "web/disk0.qcow2"\nsize = "1GiB" # grows later\n');
    const inline = nameNewDisksInToml('name = "web"\ndisks = { disk0 = { size = "1GiB" } }\n', (doc) => definitionToToml(doc as never));
    expect(parseDefinitionToml(inline).disks.disk0?.file).toBe("web/disk0.qcow2");
    expect(nameNewDisksInToml("name = [", () => "")).toBe("name = [");
  });
});
