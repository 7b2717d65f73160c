import { describe, it, expect } from "vitest";
import { parse as parseToml } from "smol-toml";
import { validateDefinition, parseDefinitionToml } from "@vmctl/definition";
import { renderMetaData, renderUserData, renderNetworkConfig } from "@vmctl/guest";
import { HIDDEN_SECRET, hideCloudInitSecrets, hideCloudInitSecretsToml, seedConfigFor } from "./cloud-init.js";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC66ic0hrSWi20LyI0RbeBuTEOTcrUQ98Duxsw7J+FRy me@laptop";
const HASH = "$6$saltsalt$8iYtNHxjWRl.NF6oNZ5tF.iKFlQREaXBLlSmZKP6dy9l5z3vsooWNW0/GZ6Nej73/TFug6pIPSqbJoCT6dfnj.";
const UUID = "0b7e0c3a-4f6e-4d2b-9a51-3c2d1e0f9a8b";

describe("the cloud-init seed of a definition", () => {
  it("has none without [cloud_init]", () => {
    expect(seedConfigFor(validateDefinition({ name: "a" }))).toBeUndefined();
  });

  it("takes the uuid as instance-id and the table's users, keys, packages and network-config", () => {
    const def = validateDefinition({
      name: "web_1", uuid: UUID,
      cloud_init: { users: [{ name: "alice", ssh_authorized_keys: [KEY], password_hash: HASH, sudo: true }], packages: ["nginx"], network_config: "version: 2\n" },
    });
    const config = seedConfigFor(def)!;
    expect(renderMetaData(config)).toBe(`instance-id: "${UUID}"\nlocal-hostname: "web-1"\n`);
    const userData = renderUserData(config);
    expect(userData).toMatch(/^#cloud-config\n/);
    expect(userData).toContain(`passwd: "${HASH}"`);
    expect(userData).toContain('packages:\n  - "nginx"');
    expect(userData).not.toContain('"default"');
    expect(renderNetworkConfig(config)).toBe("version: 2\n");
  });

  it("gives keys without users to the image's default user, and writes user_data as given", () => {
    const keysOnly = renderUserData(seedConfigFor(validateDefinition({ name: "a", uuid: UUID, cloud_init: { ssh_authorized_keys: [KEY] } }))!);
    expect(keysOnly).toContain('users:\n  - "default"\n');
    expect(keysOnly).toContain(`ssh_authorized_keys:\n  - "${KEY}"`);
    const own = "#!/bin/sh\necho hi > /tmp/hi\n";
    expect(renderUserData(seedConfigFor(validateDefinition({ name: "a", uuid: UUID, cloud_init: { user_data: own } }))!)).toBe(own);
  });
});

describe("what a reader without vm.edit sees", () => {
  it("hides hashes and user-data in the parsed definition, and leaves one without them as it is", () => {
    const detail = { name: "a", definition: validateDefinition({ name: "a", cloud_init: { users: [{ name: "alice", password_hash: HASH }, { name: "bob", ssh_authorized_keys: [KEY] }] } }) };
    const hidden = hideCloudInitSecrets(detail);
    expect(hidden.definition!.cloud_init!.users.map((u) => u.password_hash)).toEqual([HIDDEN_SECRET, undefined]);
    expect(hidden.definition!.cloud_init!.users[1]!.ssh_authorized_keys).toEqual([KEY]);
    expect(detail.definition!.cloud_init!.users[0]!.password_hash).toBe(HASH);
    const plain = { name: "b", definition: validateDefinition({ name: "b", cloud_init: { hostname: "b" } }) };
    expect(hideCloudInitSecrets(plain)).toBe(plain);
    const broken = { name: "c", definition: null };
    expect(hideCloudInitSecrets(broken)).toBe(broken);
  });

  it("hides them in the TOML text, multi-line user-data included; a text without them is returned unchanged", () => {
    const text = `# mine\nname = "a"\n[cloud_init]\nuser_data = """#cloud-config\nruncmd: ["echo token-1"]\n"""\n`;
    const shown = hideCloudInitSecretsToml(text);
    expect(shown).not.toContain("token-1");
    expect((parseToml(shown) as { cloud_init: { user_data: string } }).cloud_init.user_data).toBe(HIDDEN_SECRET);
    const withHash = `name = "a"\n[[cloud_init.users]]\nname = "alice"\npassword_hash = "${HASH}"\n`;
    expect(hideCloudInitSecretsToml(withHash)).not.toContain("saltsalt");
    expect(parseDefinitionToml(withHash).cloud_init!.users[0]!.password_hash).toBe(HASH);
    const none = `name = "a" # comment kept\n[cloud_init]\nhostname = "x"\n`;
    expect(hideCloudInitSecretsToml(none)).toBe(none);
    expect(hideCloudInitSecretsToml(`name = "a"\npassword_hash = = "${HASH}"`)).not.toContain("saltsalt");
  });
});
