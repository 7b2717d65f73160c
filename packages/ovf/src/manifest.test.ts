import { describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile, mkdir, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { formatManifest, parseManifest, verifyManifest } from "./manifest.js";
import { OvfError } from "./errors.js";

const sha = (algorithm: string, text: string) => createHash(algorithm).update(text).digest("hex");

describe("manifest", () => {
  it("formats SHA256 lines", () => {
    const text = formatManifest([{ file: "vm.ovf", sha256: sha("sha256", "a") }, { file: "vm-disk0.vmdk", sha256: sha("sha256", "b") }]);
    expect(text).toBe(`SHA256(vm.ovf)= ${sha("sha256", "a")}\nSHA256(vm-disk0.vmdk)= ${sha("sha256", "b")}\n`);
  });

  it("reads SHA1 (older VMware), SHA256 and SHA512, CRLF and upper-case hex", () => {
    const text = `SHA1(a.ovf)= ${sha("sha1", "a").toUpperCase()}\r\nSHA256(b.vmdk) = ${sha("sha256", "b")}\r\n\r\nSHA512(c.iso)=${sha("sha512", "c")}\n`;
    expect(parseManifest(text)).toEqual([
      { algorithm: "SHA1", file: "a.ovf", digest: sha("sha1", "a") },
      { algorithm: "SHA256", file: "b.vmdk", digest: sha("sha256", "b") },
      { algorithm: "SHA512", file: "c.iso", digest: sha("sha512", "c") },
    ]);
  });

  it("refuses malformed lines, escaping names, short digests and repeats", () => {
    expect(() => parseManifest("MD5(a)= 00")).toThrow(/line 1 is not/);
    expect(() => parseManifest(`SHA1(../etc/passwd)= ${sha("sha1", "")}`)).toThrow(/"\.\." component/);
    expect(() => parseManifest("SHA256(a)= abcd")).toThrow(/64 hex digits, not 4/);
    expect(() => parseManifest(`SHA1(a)= ${sha("sha1", "")}\nSHA256(./a)= ${sha("sha256", "")}`)).toThrow(/listed twice/);
  });

  it("verifies files and names the one that differs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vmctl-mf-"));
    try {
      await writeFile(join(dir, "vm.ovf"), "descriptor");
      await writeFile(join(dir, "disk.vmdk"), "disk");
      const good = `SHA256(vm.ovf)= ${sha("sha256", "descriptor")}\nSHA1(disk.vmdk)= ${sha("sha1", "disk")}\n`;
      expect(await verifyManifest(dir, good)).toHaveLength(2);
      await writeFile(join(dir, "disk.vmdk"), "tampered");
      const error = await verifyManifest(dir, good).then(() => undefined, (e: unknown) => e as OvfError);
      expect(error).toBeInstanceOf(OvfError);
      expect(error?.message).toMatch(/"disk.vmdk" does not match the manifest: SHA1 is/);
      await expect(verifyManifest(dir, `SHA256(missing)= ${sha("sha256", "")}`)).rejects.toThrow(/not a file of the package/);
      await mkdir(join(dir, "sub"));
      await symlink("/etc", join(dir, "link"));
      await expect(verifyManifest(dir, `SHA256(link/hostname)= ${sha("sha256", "")}`)).rejects.toThrow(/not a file of the package/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("takes a digest given as known instead of reading the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vmctl-mf-"));
    try {
      await writeFile(join(dir, "disk.vmdk"), "on disk");
      const known = new Map([["disk.vmdk", { SHA1: sha("sha1", "seen"), SHA256: sha("sha256", "seen"), SHA512: sha("sha512", "seen") }]]);
      expect(await verifyManifest(dir, `SHA512(disk.vmdk)= ${sha("sha512", "seen")}`, known)).toHaveLength(1);
      await expect(verifyManifest(dir, `SHA512(disk.vmdk)= ${sha("sha512", "seen")}`)).rejects.toThrow(/does not match/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
