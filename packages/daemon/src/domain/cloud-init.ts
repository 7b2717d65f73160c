// The cloud-init NoCloud seed of a VM with [cloud_init]: an ISO labelled cidata (meta-data with the
// VM's uuid as instance-id and its hostname, user-data, network-config when given) that vmctld
// writes into the VM's run dir right before QEMU starts, and removes once QEMU has ended.
// build-argv.ts attaches it (runPaths().cloudInitSeed) read-only whenever the definition has the table.
//
// The seed holds password hashes and user-data: it is made in a folder only root can enter, given
// to the QEMU user to read (0640, group QEMU user) and never to write, and renamed into place, so
// no name planted in the run dir is followed. Nothing of its content is logged.
import { chmod, chown, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { VmctlError, type VmDefinition, type VmDefinitionInput } from "@vmctl/api-types";
import { makeSeedIso, type SeedConfig } from "@vmctl/guest";
import { runPaths } from "@vmctl/qemu";
import { qemuIdentity } from "../security/qemu-user.js";
import { renderForReader } from "./definition-store.js";

/** The seed's content for a definition, or undefined when it has no [cloud_init]. */
export function seedConfigFor(def: VmDefinition): SeedConfig | undefined {
  const ci = def.cloud_init;
  if (!ci) return undefined;
  return {
    // The uuid is the VM's identity (kept on rename): a clone gets a new one, so cloud-init runs
    // its first boot again there (new host keys, the users of the clone's table).
    instanceId: def.uuid ?? `vmctl-${def.name}`,
    hostname: ci.hostname,
    users: ci.users.map((u) => ({
      name: u.name, sshAuthorizedKeys: u.ssh_authorized_keys, sudo: u.sudo,
      ...(u.password_hash !== undefined ? { passwordHash: u.password_hash } : {}),
      ...(u.shell !== undefined ? { shell: u.shell } : {}),
    })),
    defaultUserKeys: ci.ssh_authorized_keys,
    packages: ci.packages,
    ...(ci.user_data !== undefined ? { userData: ci.user_data } : {}),
    ...(ci.network_config !== undefined ? { networkConfig: ci.network_config } : {}),
  };
}

/**
 * Writes the seed for `def` into `runDir` (made if missing) and returns its path; without
 * [cloud_init] removes any seed left there and returns undefined. `runRoot` is the folder of all
 * run dirs (root's): the seed is made in a private folder there, then renamed into place.
 */
export async function writeCloudInitSeed(def: VmDefinition, runRoot: string, runDir: string): Promise<string | undefined> {
  const target = runPaths(runDir).cloudInitSeed;
  const config = seedConfigFor(def);
  if (!config) {
    await removeCloudInitSeed(runDir);
    return undefined;
  }
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  // A VM name never starts with ".", so this folder is nobody's run dir.
  const staging = await mkdtemp(join(runRoot, ".cidata-"));
  try {
    const iso = join(staging, "cidata.iso");
    try {
      await makeSeedIso(config, iso, { workDir: staging });
    } catch (error) {
      throw new VmctlError("qemu_failed", `cloud_init: the seed ISO could not be made: ${(error as Error).message.split("\n")[0] ?? "unknown error"}; install genisoimage (\`apt-get install genisoimage\`), or remove [cloud_init]`, { field: "cloud_init" });
    }
    const identity = process.getuid?.() === 0 ? qemuIdentity() : null;
    if (identity) await chown(iso, process.getuid?.() ?? 0, identity.gid);
    await chmod(iso, identity ? 0o640 : 0o600);
    await rename(iso, target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}

/** Removes the seed of a VM whose QEMU has ended (unlinks the name; never follows it). */
export async function removeCloudInitSeed(runDir: string): Promise<void> {
  await rm(runPaths(runDir).cloudInitSeed, { force: true });
}

/** What a reader without vm.edit sees in place of a password hash or user-data. */
export const HIDDEN_SECRET = "(hidden: reading it needs vm.edit)";

/**
 * The definition as one who may read the VM but not change it sees it: password hashes and
 * user-data hidden (a crypt hash can be attacked offline; user-data often carries tokens). Who
 * holds vm.edit could set them anyway, and sees them as written.
 */
export function hideCloudInitSecrets<T extends { definition: VmDefinition | null }>(detail: T): T {
  const ci = detail.definition?.cloud_init;
  if (!ci || (ci.user_data === undefined && ci.users.every((u) => u.password_hash === undefined))) return detail;
  return {
    ...detail,
    definition: {
      ...detail.definition!,
      cloud_init: {
        ...ci,
        users: ci.users.map((u) => (u.password_hash === undefined ? u : { ...u, password_hash: HIDDEN_SECRET })),
        ...(ci.user_data !== undefined ? { user_data: HIDDEN_SECRET } : {}),
      },
    },
  };
}

/** The TOML text with the same secrets hidden (rewritten from its data: comments go), or as it is when it holds none. */
export function hideCloudInitSecretsToml(text: string): string {
  let document: Record<string, unknown>;
  try {
    document = parseToml(text) as Record<string, unknown>;
  } catch {
    // Not TOML at all: nothing vmctld parsed from it reaches a guest; shown only to writers.
    return /password_hash|user_data/.test(text) ? `# ${HIDDEN_SECRET}: this definition does not parse\n` : text;
  }
  const ci = document.cloud_init as { users?: Array<Record<string, unknown>>; user_data?: unknown } | undefined;
  const users = Array.isArray(ci?.users) ? ci.users : [];
  if (!ci || typeof ci !== "object" || (ci.user_data === undefined && users.every((u) => typeof u !== "object" || u === null || u.password_hash === undefined))) return text;
  const hidden = {
    ...document,
    cloud_init: {
      ...ci,
      ...(ci.user_data !== undefined ? { user_data: HIDDEN_SECRET } : {}),
      ...(Array.isArray(ci.users) ? { users: users.map((u) => (typeof u === "object" && u !== null && u.password_hash !== undefined ? { ...u, password_hash: HIDDEN_SECRET } : u)) } : {}),
    },
  };
  return `# [cloud_init] secrets ${HIDDEN_SECRET}; rewritten from the file's data, without its comments\n${renderForReader(hidden as VmDefinitionInput)}`;
}
