// A NoCloud seed for cloud-init: an ISO9660 volume labelled `cidata` holding meta-data, user-data
// and optionally network-config. The YAML is rendered here with every string double-quoted and
// escaped, so no value (a hostname with a newline, a key with a `#`) can add keys of its own; and the
// values are checked first, so a bad one fails naming its field instead of reaching the guest.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./exec.js";

export interface SeedUser {
  name: string;
  sshAuthorizedKeys: string[];
  /** true: passwordless sudo (ALL=(ALL) NOPASSWD:ALL); a string: that sudoers rule; false/absent: none. */
  sudo?: boolean | string;
  /** A crypt(3) hash (`openssl passwd -6`, `mkpasswd -m sha-512`); without one the password stays locked. */
  passwordHash?: string;
  shell?: string;
}

export interface SeedConfig {
  instanceId: string;
  hostname: string;
  users: SeedUser[];
  /** NoCloud network config (version 1 or 2): data rendered as YAML, or YAML text written as given; without it cloud-init does DHCP on the first NIC. */
  networkConfig?: Record<string, unknown> | string;
  /** Keys for the image's default user (debian on Debian images): cloud-init then makes that user too. */
  defaultUserKeys?: string[];
  /** Packages to install at first boot. */
  packages?: string[];
  /** user-data written as given, instead of the one made from users, defaultUserKeys and packages. */
  userData?: string;
}

export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue | undefined };

/**
 * A YAML double-quoted scalar: JSON's escapes (which YAML 1.1 shares) plus \u/\U for everything
 * outside printable ASCII, so line and paragraph separators, which YAML would fold, stay characters.
 */
export function yamlString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '"' || char === "\\") out += `\\${char}`;
    else if (char === "\n") out += "\\n";
    else if (char === "\t") out += "\\t";
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return `${out}"`;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function scalar(value: string | number | boolean | null): string {
  if (typeof value === "string") return yamlString(value);
  if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`cannot write ${value} in YAML`);
  return String(value);
}

/** Block-style YAML of plain data: mappings, sequences, quoted strings, numbers, booleans, null. */
export function renderYaml(value: YamlValue, indent = ""): string {
  if (value === null || typeof value !== "object") return `${indent}${scalar(value)}\n`;
  const nested = (child: YamlValue, lead: string): string => {
    if (child !== null && typeof child === "object" && (Array.isArray(child) ? child.length > 0 : Object.keys(child).length > 0)) {
      return `${lead}\n${renderYaml(child, `${indent}  `)}`;
    }
    const empty = Array.isArray(child) ? "[]" : child !== null && typeof child === "object" ? "{}" : scalar(child as string);
    return `${lead} ${empty}\n`;
  };
  if (Array.isArray(value)) {
    return (value as readonly YamlValue[]).map((item) => nested(item, `${indent}-`)).join("");
  }
  return Object.entries(value as Record<string, YamlValue | undefined>)
    .filter((entry): entry is [string, YamlValue] => entry[1] !== undefined)
    .map(([key, child]) => nested(child, `${indent}${PLAIN_KEY.test(key) ? key : yamlString(key)}:`)).join("");
}

// What cloud-init and the guest accept, checked before anything is written.
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const SSH_KEY = /^(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+=*(?: [ -~]*)?$/;
const CRYPT_HASH = /^\$[0-9a-z]+\$[!-~]+$/;
const INSTANCE_ID = /^[A-Za-z0-9._-]{1,128}$/;
const SUDO_RULE = /^[ -~]+$/;
const SHELL = /^\/[A-Za-z0-9._/-]+$/;
const PACKAGE = /^[a-z0-9][a-z0-9+._-]{0,127}(?:=[A-Za-z0-9.+~:_-]{1,128})?$/;

export function validateSeed(config: SeedConfig): void {
  const fail = (field: string, what: string, fix: string) => { throw new Error(`cloud-init seed: ${field} ${what}; ${fix}`); };
  if (!INSTANCE_ID.test(config.instanceId)) fail("instanceId", `is ${JSON.stringify(config.instanceId)}`, "use 1-128 letters, digits, '.', '_' or '-'");
  if (!HOSTNAME.test(config.hostname)) fail("hostname", `is ${JSON.stringify(config.hostname)}`, "use DNS labels: letters, digits and '-', dot-separated, at most 63 characters each");
  // A seed from a definition's [cloud_init] (defaultUserKeys or userData given) may leave users to the image.
  if (config.users.length === 0 && config.defaultUserKeys === undefined && config.userData === undefined) fail("users", "is empty", "give at least one user with an ssh key or a password hash");
  (config.defaultUserKeys ?? []).forEach((key, k) => {
    if (!SSH_KEY.test(key)) fail(`defaultUserKeys[${k}]`, "is not one public key on one line", "paste one line of a .pub file (type, base64 key, optional comment)");
  });
  (config.packages ?? []).forEach((name, k) => {
    if (!PACKAGE.test(name)) fail(`packages[${k}]`, `is ${JSON.stringify(name)}`, "give a package name such as nginx (optionally =version)");
  });
  const seen = new Set<string>();
  config.users.forEach((user, i) => {
    const at = `users[${i}]`;
    if (!USER_NAME.test(user.name)) fail(`${at}.name`, `is ${JSON.stringify(user.name)}`, "use a Linux user name: lower-case letters, digits, '_' or '-', starting with a letter or '_', at most 32");
    if (user.name === "root") fail(`${at}.name`, "is root", "give an ordinary user (with sudo: true for root's powers)");
    if (seen.has(user.name)) fail(`${at}.name`, `repeats ${user.name}`, "give each user once");
    seen.add(user.name);
    user.sshAuthorizedKeys.forEach((key, k) => {
      if (!SSH_KEY.test(key)) fail(`${at}.sshAuthorizedKeys[${k}]`, "is not one public key on one line", "paste one line of a .pub file (type, base64 key, optional comment)");
    });
    if (user.passwordHash !== undefined && !CRYPT_HASH.test(user.passwordHash)) {
      fail(`${at}.passwordHash`, "is not a crypt(3) hash", "give the output of `openssl passwd -6`, never the password itself");
    }
    if (user.sshAuthorizedKeys.length === 0 && user.passwordHash === undefined) fail(at, "has neither ssh key nor password hash", "give one, or the user cannot log in");
    if (typeof user.sudo === "string" && !SUDO_RULE.test(user.sudo)) fail(`${at}.sudo`, "is not one line of printable ASCII", "give a sudoers rule such as ALL=(ALL) NOPASSWD:ALL");
    if (user.shell !== undefined && !SHELL.test(user.shell)) fail(`${at}.shell`, `is ${JSON.stringify(user.shell)}`, "give an absolute path such as /bin/bash");
  });
}

export function renderMetaData(config: SeedConfig): string {
  validateSeed(config);
  return renderYaml({ "instance-id": config.instanceId, "local-hostname": config.hostname });
}

export function renderUserData(config: SeedConfig): string {
  validateSeed(config);
  if (config.userData !== undefined) return config.userData;
  const defaultKeys = config.defaultUserKeys ?? [];
  const packages = config.packages ?? [];
  const users: YamlValue[] = defaultKeys.length > 0 || (config.users.length === 0 && config.defaultUserKeys !== undefined) ? ["default"] : [];
  users.push(...config.users.map((user) => {
    const sudo = user.sudo === true ? "ALL=(ALL) NOPASSWD:ALL" : typeof user.sudo === "string" ? user.sudo : undefined;
    return {
      name: user.name, shell: user.shell ?? "/bin/bash",
      ...(sudo !== undefined ? { sudo } : {}),
      lock_passwd: user.passwordHash === undefined,
      ...(user.passwordHash !== undefined ? { passwd: user.passwordHash } : {}),
      ...(user.sshAuthorizedKeys.length > 0 ? { ssh_authorized_keys: user.sshAuthorizedKeys } : {}),
    };
  }));
  const passwords = config.users.some((u) => u.passwordHash !== undefined);
  // "users" without "default": only these users, not the image's default one; top-level
  // ssh_authorized_keys go to the default user.
  return `#cloud-config\n${renderYaml({
    hostname: config.hostname, preserve_hostname: false, manage_etc_hosts: true, users, ssh_pwauth: passwords,
    ...(defaultKeys.length > 0 ? { ssh_authorized_keys: defaultKeys } : {}),
    ...(packages.length > 0 ? { packages } : {}),
  })}`;
}

export function renderNetworkConfig(config: SeedConfig): string | undefined {
  if (typeof config.networkConfig === "string") return config.networkConfig;
  return config.networkConfig === undefined ? undefined : renderYaml(config.networkConfig as YamlValue);
}

/**
 * Writes the seed ISO at `out` with genisoimage, or xorriso's mkisofs mode where only that is
 * installed (same arguments). Both from Debian: `apt-get install genisoimage`.
 */
export async function makeSeedIso(config: SeedConfig, out: string, options: { workDir?: string } = {}): Promise<void> {
  const files: Array<[string, string | undefined]> = [
    ["meta-data", renderMetaData(config)], ["user-data", renderUserData(config)], ["network-config", renderNetworkConfig(config)],
  ];
  const work = await mkdtemp(join(options.workDir ?? tmpdir(), "vmctl-seed-"));
  try {
    const paths: string[] = [];
    for (const [name, content] of files) {
      if (content === undefined) continue;
      await writeFile(join(work, name), content);
      paths.push(join(work, name));
    }
    // Joliet and Rock Ridge keep the names lower-case and with their dashes; cloud-init finds the volume by its label.
    const args = ["-output", out, "-volid", "cidata", "-joliet", "-rock", "-input-charset", "utf-8", "-quiet", ...paths];
    try {
      await run("genisoimage", args, { aptPackage: "genisoimage" });
    } catch (error) {
      if (!/not found/.test((error as Error).message)) throw error;
      await run("xorriso", ["-as", "mkisofs", ...args], { aptPackage: "genisoimage (or xorriso)" });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
