import { describe, it, expect } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { definitionFromFlags, isClusterTask, resolveSshKeys } from "./create.js";

describe("vmctl create's NICs", () => {
  it("puts one NIC on the default network, one per --network, or none with --no-nic", () => {
    expect(definitionFromFlags("a", { nic: true }).nics).toEqual({ net0: { network: "default", model: "virtio", mac: "auto" } });
    expect(definitionFromFlags("a", { nic: true, network: ["lab", "wan"] }).nics).toEqual({
      net0: { network: "lab", model: "virtio", mac: "auto" }, net1: { network: "wan", model: "virtio", mac: "auto" },
    });
    expect(definitionFromFlags("a", { nic: false }).nics).toBeUndefined();
    expect(() => definitionFromFlags("a", { nic: false, network: ["lab"] })).toThrow(/contradict/);
  });
});

describe("vmctl create's cloud-init flags", () => {
  const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC66ic0hrSWi20LyI0RbeBuTEOTcrUQ98Duxsw7J+FRy me@laptop";
  const HASH = "$6$saltsalt$8iYtNHxjWRl.NF6oNZ5tF.iKFlQREaXBLlSmZKP6dy9l5z3vsooWNW0/GZ6Nej73/TFug6pIPSqbJoCT6dfnj.";
  it("makes the --user with its keys, hash and sudo; keys alone go to the image's default user", () => {
    expect(definitionFromFlags("a", { nic: false, user: "alice", sshKeys: [KEY], passwordHash: HASH, hostname: "web" }).cloud_init).toEqual({
      hostname: "web", users: [{ name: "alice", sudo: true, ssh_authorized_keys: [KEY], password_hash: HASH }],
    });
    expect(definitionFromFlags("a", { nic: false, sshKeys: [KEY] }).cloud_init).toEqual({ ssh_authorized_keys: [KEY] });
    expect(definitionFromFlags("a", { nic: false }).cloud_init).toBeUndefined();
  });
  it("refuses a clear-text password without repeating it, a user who could never log in, and bad names", () => {
    expect(() => definitionFromFlags("a", { nic: false, user: "alice", sshKeys: [KEY], passwordHash: "hunter2" })).toThrow(/--password-hash: is not a crypt\(3\) hash \(not shown\)/);
    try { definitionFromFlags("a", { nic: false, user: "alice", passwordHash: "hunter2" }); } catch (error) { expect((error as Error).message).not.toContain("hunter2"); }
    expect(() => definitionFromFlags("a", { nic: false, passwordHash: HASH })).toThrow(/--password-hash needs --user/);
    expect(() => definitionFromFlags("a", { nic: false, user: "alice" })).toThrow(/could never log in/);
    expect(() => definitionFromFlags("a", { nic: false, user: "Alice", sshKeys: [KEY] })).toThrow(/--user: "Alice" is not a Linux user name/);
    expect(() => definitionFromFlags("a", { nic: false, hostname: "a_b" })).toThrow(/--hostname/);
  });
  it("reads --ssh-key from a .pub or authorized_keys file, takes a key as is, and refuses a private key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "vmctl-create-test-"));
    try {
      await writeFile(join(dir, "keys"), `# mine\n${KEY}\n\nssh-rsa AAAAB3NzaC1yc2E= other\n`);
      await writeFile(join(dir, "id"), "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n");
      expect(await resolveSshKeys([join(dir, "keys"), KEY])).toEqual([KEY, "ssh-rsa AAAAB3NzaC1yc2E= other", KEY]);
      await expect(resolveSshKeys([join(dir, "id")])).rejects.toThrow(/is a private key; give its public half/);
      await expect(resolveSshKeys([join(dir, "missing.pub")])).rejects.toThrow(/no such file, and not a public key/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("vmctl create at vmcenter", () => {
  it("tells vmcenter's placement task from a host's new VM", () => {
    expect(isClusterTask({ id: "c:1", op: "cluster.create", state: "queued", log: [], progress: 0 })).toBe(true);
    expect(isClusterTask({ name: "web", state: "stopped", definitionPath: "/x/web/web.toml", log: undefined })).toBe(false);
  });
});
