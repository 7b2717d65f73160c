import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, readdir, rm, writeFile, readFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { execFileSync } from "node:child_process";
import { parseDefinitionToml } from "@vmctl/definition";
import { createOva, extractOva, readOvfFolder } from "./ova.js";
import { createTarStream } from "./tar-write.js";
import { OvfError } from "./errors.js";

const TOML = `name = "app"
memory = "512MiB"
[boot]
kernel = "k/vmlinuz"
[disks.root]
file = "app/root.qcow2"
bus = "virtio"
[nics.net0]
model = "e1000"
`;

let root: string;
beforeEach(async () => { root = await mkdtemp(join(tmpdir(), "vmctl-ova-")); });
afterEach(async () => { await rm(root, { recursive: true, force: true }); });

async function makeOva(): Promise<{ data: Buffer; size: number }> {
  const disk = join(root, "root.vmdk");
  await writeFile(disk, Buffer.alloc(70_000, 3));
  const ova = await createOva({ definition: parseDefinitionToml(TOML), definitionToml: TOML, disks: [{ id: "root", path: disk, capacityBytes: 2 ** 30 }], mtime: new Date(0) });
  expect(ova.name).toBe("app.ova");
  return { data: await buffer(ova.stream), size: ova.size };
}

describe("OVA export and import", () => {
  it("exports an OVA that vmctl imports back, manifest checked", async () => {
    const { data, size } = await makeOva();
    expect(data.length).toBe(size);
    const target = join(root, "import");
    const pkg = await extractOva(Readable.from([data]), target, { maxBytes: 1 << 30, requireManifest: true });
    expect(pkg.manifest).toBe("verified");
    expect(pkg.descriptor).toBe("app.ovf");
    expect(pkg.vm.vmctlToml).toBe(TOML);
    expect(pkg.vm.disks).toEqual([{ id: "root", fileHref: "app-root.vmdk", fileSizeBytes: 70_000, capacityBytes: 2 ** 30, format: "vmdk-stream", bus: "scsi" }]);
    expect(pkg.files).toEqual({ "app-root.vmdk": join(target, "app-root.vmdk") });
    expect((await readdir(target)).sort()).toEqual(["app-root.vmdk", "app.mf", "app.ovf"]);
  });

  it("puts the descriptor first and the manifest second, as GNU tar sees it", async () => {
    const path = join(root, "app.ova");
    await writeFile(path, (await makeOva()).data);
    expect(execFileSync("tar", ["-tf", path], { encoding: "utf8" }).trim().split("\n")).toEqual(["app.ovf", "app.mf", "app-root.vmdk"]);
  });

  it("a disk that does not match the manifest: refused, nothing left", async () => {
    const { data } = await makeOva();
    const damaged = Buffer.from(data);
    damaged[damaged.lastIndexOf(3)] = 4; // the disk is all 3s: change its last byte
    const target = join(root, "import");
    const error = await extractOva(Readable.from([damaged]), target, { maxBytes: 1 << 30 }).then(() => undefined, (e: unknown) => e as OvfError);
    expect(error).toBeInstanceOf(OvfError);
    expect(error?.message).toMatch(/"app-root.vmdk" does not match the manifest/);
    expect(await readdir(root)).toEqual(["root.vmdk"]);
  });

  it("refuses an OVA whose first member is not the descriptor", async () => {
    const entry = (name: string, text: string) => ({ name, size: text.length, open: () => Readable.from([Buffer.from(text)]) });
    const data = await buffer(createTarStream([entry("disk.vmdk", "x"), entry("vm.ovf", "<Envelope/>")]));
    await expect(extractOva(Readable.from([data]), join(root, "t"), { maxBytes: 1000 })).rejects.toThrow(/first member of an OVA must be its \.ovf descriptor; it is "disk.vmdk"/);
    expect(await readdir(root)).toEqual([]);
  });

  it("reads an OVF folder, and refuses one whose disk is missing or the wrong size", async () => {
    const { data } = await makeOva();
    const folder = join(root, "folder");
    await mkdir(folder);
    const path = join(root, "a.ova");
    await writeFile(path, data);
    execFileSync("tar", ["-xf", path, "-C", folder]);
    await rm(join(folder, "app.mf"));
    const pkg = await readOvfFolder(folder);
    expect(pkg.manifest).toBe("absent");
    await expect(readOvfFolder(folder, { requireManifest: true })).rejects.toThrow(/no manifest "app.mf"/);
    await writeFile(join(folder, "app-root.vmdk"), "short");
    await expect(readOvfFolder(folder)).rejects.toThrow(/"app-root.vmdk" is 5 bytes; the descriptor says 70000/);
    await rm(join(folder, "app-root.vmdk"));
    await expect(readOvfFolder(folder)).rejects.toThrow(/refers to "app-root.vmdk", which is not a file of the package/);
    await writeFile(join(folder, "second.ovf"), await readFile(join(folder, "app.ovf")));
    await expect(readOvfFolder(folder)).rejects.toThrow(/holds 2 \.ovf descriptors/);
  });
});
