import { describe, it, expect } from "vitest";
import { setTomlValue, setTopLevelValue, definitionToToml } from "./write-definition.js";
import { parseDefinitionToml } from "./parse-definition.js";
import { formatSize, parseSize } from "./sizes.js";

describe("setTomlValue", () => {
  it("replaces a value in place and keeps comments and other tables", () => {
    const text = '# my vm\nname = "a"\n\n[nics.net0]\nmac = "auto"   # allocated\n\n[policy]\nautostart = true\n';
    const out = setTomlValue(text, ["nics", "net0"], "mac", "52:54:00:aa:bb:cc")!;
    expect(out).toBe('# my vm\nname = "a"\n\n[nics.net0]\nmac = "52:54:00:aa:bb:cc"   # allocated\n\n[policy]\nautostart = true\n');
  });
  it("adds the key when the table lacks it, and says null when the table is absent", () => {
    expect(setTomlValue('[nics.net0]\nmodel = "virtio"\n', ["nics", "net0"], "mac", "x")).toBe('[nics.net0]\nmac = "x"\nmodel = "virtio"\n');
    expect(setTomlValue('name = "a"\n', ["nics", "net0"], "mac", "x")).toBeNull();
  });
});

describe("setTopLevelValue", () => {
  const uuid = "0b7e0c3a-4f6e-4d2b-9a51-3c2d1e0f9a8b";
  it("adds the key after name, before every table, keeping comments", () => {
    const text = '# my vm\nname = "a"\ncpus = 2\n\n[policy]\nautostart = true\n';
    const out = setTopLevelValue(text, "uuid", uuid);
    expect(out).toBe(`# my vm\nname = "a"\nuuid = "${uuid}"\ncpus = 2\n\n[policy]\nautostart = true\n`);
    expect(parseDefinitionToml(out).uuid).toBe(uuid);
  });
  it("replaces the top-level key, never one of the same name inside a table", () => {
    const text = `name = "a"\nuuid = "${uuid}"\n[disks.uuid]\nfile = "a/x.qcow2"\n`;
    const other = "11111111-2222-4333-8444-555555555555";
    expect(setTopLevelValue(text, "uuid", other)).toBe(`name = "a"\nuuid = "${other}"\n[disks.uuid]\nfile = "a/x.qcow2"\n`);
  });
  it("refuses a uuid that is not 8-4-4-4-12 lower-case hex", () => {
    expect(() => parseDefinitionToml('name = "a"\nuuid = "not-a-uuid"\n')).toThrow(/uuid/);
  });
});

describe("definitionToToml", () => {
  it("round-trips through the parser", () => {
    const text = definitionToToml({ name: "a", cpus: 2, memory: "1GiB", disks: { disk0: { file: "a/disk0.qcow2", size: "2GiB" } }, policy: { on_crash: "restart" } });
    expect(parseDefinitionToml(text)).toMatchObject({ name: "a", cpus: 2, memoryBytes: 1024 ** 3, policy: { on_crash: "restart" } });
  });
});

describe("sizes", () => {
  it("parses binary and decimal units and formats back", () => {
    expect(parseSize("512MiB")).toBe(512 * 1024 ** 2);
    expect(parseSize("1.5 GiB")).toBe(1.5 * 1024 ** 3);
    expect(parseSize("10GB")).toBe(10 * 1000 ** 3);
    expect(parseSize("20G")).toBe(20 * 1024 ** 3);
    expect(parseSize("-1G")).toBeNull();
    expect(parseSize("12 parsecs")).toBeNull();
    expect(formatSize(512 * 1024 ** 2)).toBe("512MiB");
    expect(formatSize(1000)).toBe("1000B");
  });
});
