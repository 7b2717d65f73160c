import { describe, expect, it } from "vitest";
import { renderMetaData, renderNetworkConfig, renderUserData, renderYaml, validateSeed, yamlString, type SeedConfig } from "./cloud-init-seed.js";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDe3wX1yZ0m4b2cGx0mE6Gf3x2m3N7Q2r7n9Q3k5t4a1 tester@host";
const base = (): SeedConfig => ({ instanceId: "i-1", hostname: "guest1", users: [{ name: "alice", sshAuthorizedKeys: [KEY], sudo: true }] });

describe("yamlString", () => {
  it("keeps printable ASCII and escapes quotes, backslashes and line breaks", () => {
    expect(yamlString('a "b" \\ c')).toBe('"a \\"b\\" \\\\ c"');
    expect(yamlString("x\ny\r\tz")).toBe('"x\\ny\\u000d\\tz"');
  });
  it("escapes what YAML would fold or not read back as written", () => {
    expect(yamlString("a\u2028b\u0085c")).toBe('"a\\u2028b\\u0085c"');
    expect(yamlString("é😀")).toBe('"\\u00e9\\U0001f600"');
  });
});

describe("renderYaml", () => {
  it("writes mappings, sequences and scalars in block style, quoting keys that are not plain", () => {
    expect(renderYaml({ a: "x", b: [1, true, null], "c d": { e: [] }, f: undefined, g: {} })).toBe(
      'a: "x"\nb:\n  - 1\n  - true\n  - null\n"c d":\n  e: []\ng: {}\n',
    );
  });
  it("nests sequences of mappings", () => {
    expect(renderYaml({ users: [{ name: "a", keys: ["k"] }] })).toBe('users:\n  -\n    name: "a"\n    keys:\n      - "k"\n');
  });
});

describe("user-data and meta-data", () => {
  it("renders a cloud-config with the user, key, sudo and hostname", () => {
    const text = renderUserData(base());
    expect(text.startsWith("#cloud-config\n")).toBe(true);
    expect(text).toContain('hostname: "guest1"');
    expect(text).toContain('name: "alice"');
    expect(text).toContain(`- ${JSON.stringify(KEY)}`);
    expect(text).toContain('sudo: "ALL=(ALL) NOPASSWD:ALL"');
    expect(text).toContain("lock_passwd: true");
    expect(text).toContain("ssh_pwauth: false");
    expect(text).not.toMatch(/^\s+passwd:/m);
    expect(renderMetaData(base())).toBe('instance-id: "i-1"\nlocal-hostname: "guest1"\n');
  });

  it("writes a password hash only when given, and then allows password logins", () => {
    const config = base();
    config.users[0]!.passwordHash = "$6$salt$abcdefghijklmnopqrstuvwxyz0123456789./ABCDEF";
    const text = renderUserData(config);
    expect(text).toContain('passwd: "$6$salt$abcdefghijklmnopqrstuvwxyz0123456789./ABCDEF"');
    expect(text).toContain("lock_passwd: false");
    expect(text).toContain("ssh_pwauth: true");
  });

  it("refuses a hostname with a newline rather than let it add keys", () => {
    const config = { ...base(), hostname: "evil\nssh_authorized_keys: [x]" };
    expect(() => renderUserData(config)).toThrow(/hostname is "evil\\nssh_authorized_keys/);
    expect(() => renderMetaData(config)).toThrow(/hostname/);
  });

  it("refuses a key that is not one public key on one line, naming where it is", () => {
    const config = base();
    config.users[0]!.sshAuthorizedKeys = [`${KEY}\nssh-rsa AAAA second`];
    expect(() => validateSeed(config)).toThrow(/users\[0\]\.sshAuthorizedKeys\[0\]/);
    config.users[0]!.sshAuthorizedKeys = ["not a key"];
    expect(() => validateSeed(config)).toThrow(/users\[0\]\.sshAuthorizedKeys\[0\]/);
  });

  it("refuses bad user names, root, duplicates, clear-text passwords and users who cannot log in", () => {
    const withUser = (user: Partial<SeedConfig["users"][number]>) => ({ ...base(), users: [{ name: "bob", sshAuthorizedKeys: [KEY], ...user }] });
    expect(() => validateSeed(withUser({ name: "Bob\n" }))).toThrow(/users\[0\]\.name/);
    expect(() => validateSeed(withUser({ name: "root" }))).toThrow(/is root/);
    expect(() => validateSeed({ ...base(), users: [...base().users, ...base().users] })).toThrow(/users\[1\]\.name repeats alice/);
    expect(() => validateSeed(withUser({ passwordHash: "hunter2" }))).toThrow(/passwordHash is not a crypt/);
    expect(() => validateSeed(withUser({ sshAuthorizedKeys: [] }))).toThrow(/neither ssh key nor password hash/);
    expect(() => validateSeed(withUser({ sudo: "ALL\nroot ALL" }))).toThrow(/users\[0\]\.sudo/);
    expect(() => validateSeed({ ...base(), users: [] })).toThrow(/users is empty/);
    expect(() => validateSeed({ ...base(), instanceId: "a b" })).toThrow(/instanceId/);
  });

  it("escapes whatever a key's comment holds, inside its quotes", () => {
    const config = base();
    config.users[0]!.sshAuthorizedKeys = [`${KEY.split(" ").slice(0, 2).join(" ")} a"b: #c\\`];
    expect(renderUserData(config)).toContain('a\\"b: #c\\\\"');
  });

  it("renders network-config only when given", () => {
    expect(renderNetworkConfig(base())).toBeUndefined();
    const net = { version: 2, ethernets: { id0: { match: { name: "en*" }, dhcp4: true } } };
    expect(renderNetworkConfig({ ...base(), networkConfig: net })).toBe(
      'version: 2\nethernets:\n  id0:\n    match:\n      name: "en*"\n    dhcp4: true\n',
    );
  });
});
