// [cloud_init] in a definition: what it becomes, what is refused (naming the field and the fix), and
// that no refusal repeats a secret (a password typed where its hash goes, a private key pasted).
import { describe, it, expect } from "vitest";
import { parseDefinitionToml, validateDefinition, defaultHostname } from "./parse-definition.js";
import { definitionToToml } from "./write-definition.js";
import { DefinitionError } from "./issues.js";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC66ic0hrSWi20LyI0RbeBuTEOTcrUQ98Duxsw7J+FRy me@laptop";
const HASH = "$6$rounds=5000$saltsalt$J7lOV0RqZ3Xl1vR8pY7gqF0n1b9bq3n2pQ5l9Yw8Xc0mS1dUe.Kq6oN2hR3fT4gV5wX6yZ7aB8cD9eF0gH1iJ2";

function refusal(fn: () => unknown): DefinitionError {
  try { fn(); } catch (error) {
    if (error instanceof DefinitionError) return error;
    throw error;
  }
  throw new Error("expected a DefinitionError");
}

describe("[cloud_init]", () => {
  it("parses users, keys, hashes and packages from TOML, with defaults filled in", () => {
    const def = parseDefinitionToml(`name = "web_01"\n[cloud_init]\npackages = ["nginx"]\n[[cloud_init.users]]\nname = "alice"\nssh_authorized_keys = ["${KEY}"]\nsudo = true\n[[cloud_init.users]]\nname = "bob"\npassword_hash = "${HASH}"\nshell = "/bin/sh"\n`);
    expect(def.cloud_init).toEqual({
      hostname: "web-01",
      users: [{ name: "alice", ssh_authorized_keys: [KEY], sudo: true }, { name: "bob", ssh_authorized_keys: [], password_hash: HASH, sudo: false, shell: "/bin/sh" }],
      ssh_authorized_keys: [], packages: ["nginx"],
    });
  });

  it("is absent unless written (no seed for a VM that asks for none)", () => {
    expect(parseDefinitionToml('name = "a"\n').cloud_init).toBeUndefined();
  });

  it("round-trips through the TOML vmctld writes", () => {
    const input = { name: "a", cloud_init: { hostname: "db.example.org", users: [{ name: "alice", ssh_authorized_keys: [KEY], sudo: true }], network_config: "version: 2\nethernets: {}\n" } };
    const toml = definitionToToml(input);
    expect(toml).toContain("[[cloud_init.users]]");
    expect(validateDefinition(input)).toEqual(parseDefinitionToml(toml));
  });

  it("makes a host name of the VM's name when none is given", () => {
    expect(defaultHostname("web01")).toBe("web01");
    expect(defaultHostname("web_01.lab")).toBe("web-01.lab");
    expect(defaultHostname("-a_.b-")).toBe("a.b");
    expect(defaultHostname("_")).toBe("vm");
    expect(defaultHostname(`${"x".repeat(63)}_y`)).toMatch(/^x{63}(\.|$)/);
  });

  it("refuses bad names, keys, hashes and hosts, naming the field and what to write", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ users: [{ name: "Alice", ssh_authorized_keys: [KEY] }] }, /cloud_init\.users\.0\.name: .*a Linux user name/],
      [{ users: [{ name: "a".repeat(33), ssh_authorized_keys: [KEY] }] }, /cloud_init\.users\.0\.name/],
      [{ users: [{ name: "root", ssh_authorized_keys: [KEY] }] }, /cloud_init\.users\.0\.name: is root/],
      [{ users: [{ name: "a", ssh_authorized_keys: [KEY] }, { name: "a", ssh_authorized_keys: [KEY] }] }, /cloud_init\.users\.1\.name: "a" is given twice/],
      [{ users: [{ name: "a" }] }, /cloud_init\.users\.0: user "a" has neither ssh_authorized_keys nor password_hash/],
      [{ users: [{ name: "a", ssh_authorized_keys: ["not a key"] }] }, /cloud_init\.users\.0\.ssh_authorized_keys\.0: .*one line of a \.pub file/],
      [{ users: [{ name: "a", ssh_authorized_keys: [`${KEY}\nssh-rsa AAAA x`] }] }, /ssh_authorized_keys\.0/],
      [{ users: [{ name: "a", password_hash: "md5" }] }, /cloud_init\.users\.0\.password_hash: .*openssl passwd -6/],
      [{ users: [{ name: "a", ssh_authorized_keys: [KEY], shell: "bash" }] }, /cloud_init\.users\.0\.shell: .*absolute path/],
      [{ users: [{ name: "a", ssh_authorized_keys: [KEY], groups: "wheel" }] }, /cloud_init\.users\.0\.groups: unknown key/],
      [{ hostname: "bad_host" }, /cloud_init\.hostname: .*a host name/],
      [{ hostname: "a\nb" }, /cloud_init\.hostname/],
      [{ packages: ["nginx; rm -rf /"] }, /cloud_init\.packages\.0: .*package name/],
      [{ user_data: "users: []\n" }, /cloud_init\.user_data: does not start with #cloud-config/],
      [{ user_data: "#cloud-config\n", users: [{ name: "a", ssh_authorized_keys: [KEY] }] }, /cloud_init\.user_data: replaces the user-data vmctld makes from users/],
      [{ network_config: "   " }, /cloud_init\.network_config: is empty/],
      [{ users: Array.from({ length: 17 }, (_, i) => ({ name: `u${i}`, ssh_authorized_keys: [KEY] })) }, /cloud_init\.users: .*at most 16/],
      [{ user_data: `#cloud-config\n${"x".repeat(70_000)}` }, /cloud_init\.user_data: is a string \(not shown\); expected a string of at most 65536/],
      [{ users: Array.from({ length: 16 }, (_, i) => ({ name: `u${i}`, ssh_authorized_keys: Array.from({ length: 32 }, () => `${KEY} ${"c".repeat(400)}`) })) }, /cloud_init: is \d+ bytes; at most 131072/],
    ];
    for (const [cloudInit, pattern] of cases) {
      expect(() => validateDefinition({ name: "a", cloud_init: cloudInit }), JSON.stringify(cloudInit).slice(0, 120)).toThrow(DefinitionError);
      expect(refusal(() => validateDefinition({ name: "a", cloud_init: cloudInit })).message, JSON.stringify(cloudInit).slice(0, 120)).toMatch(pattern);
    }
  });

  it("never repeats a password, a pasted private key or user-data in its refusal", () => {
    const password = "hunter2-correct-horse";
    const privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----";
    for (const cloudInit of [
      { users: [{ name: "a", password_hash: password }] },
      { users: [{ name: "a", ssh_authorized_keys: [privateKey] }] },
      { ssh_authorized_keys: [privateKey] },
      { user_data: { token: password } },
    ]) {
      const error = refusal(() => validateDefinition({ name: "a", cloud_init: cloudInit }));
      expect(error.message).not.toContain("hunter2");
      expect(error.message).not.toContain("b3BlbnNzaC1rZXkt");
      expect(JSON.stringify(error.issues)).not.toContain("hunter2");
      expect(error.message).toMatch(/not shown/);
    }
  });
});
