// What a cluster is made of once, by whichever vmcenter replica starts first: its id, the key that
// signs cluster tokens, the join token (stored as its SHA-256 only) and the user admin with an API
// token. Each is written with create-if-absent, so replicas racing at the very first start agree
// on the one that got in; only the replica that made the cluster learns the secrets and writes them
// to $home/initial-admin.json.
import { randomUUID } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { keys, type ClusterRecord, type SigningKeyRecord } from "../cluster-keys.js";
import type { ClusterStore } from "../cluster-store.js";
import { makeSigningKey } from "../cluster-token.js";
import { AuthStore } from "./auth-store.js";
import { makeApiToken, randomSecret, sameSecret, sha256 } from "./secrets.js";
import type { StoredToken } from "./auth-store.js";

/** config/join-token: the SHA-256 (hex) of the join token hosts present at `vmctld --join`. */
export interface JoinTokenRecord { sha256: string; createdAt: string }

/** Whether a presented join token is the cluster's (for the join route). */
export async function joinTokenMatches(store: ClusterStore, token: string): Promise<boolean> {
  const record = await store.get<JoinTokenRecord>(keys.joinToken());
  return !!record && typeof record.value.sha256 === "string" && sameSecret(sha256(token), record.value.sha256);
}

export interface InitialAdmin { username: string; password: string; token: string; joinToken: string; clusterId: string }

export interface Bootstrapped { cluster: ClusterRecord; signingKey: SigningKeyRecord; initialAdmin: InitialAdmin | null }

/**
 * Reads the cluster, or makes it: the cluster record, the signing key, the join token and the user
 * admin with its API token, all in one etcd transaction guarded by "the cluster record does not
 * exist", so replicas racing at the first start agree and a crash never leaves half a cluster.
 */
/** A cluster as this replica would make it, secrets included: drawn once, whatever attempts follow. */
export interface ClusterCandidate { cluster: ClusterRecord; signingKey: SigningKeyRecord; joinToken: string; password: string; apiToken: string; writes: Array<[string, unknown]> }

export async function prepareCluster(): Promise<ClusterCandidate> {
  const now = new Date().toISOString();
  const cluster: ClusterRecord = { clusterId: randomUUID(), createdAt: now };
  const signingKey: SigningKeyRecord = { ...makeSigningKey(), createdAt: now };
  const joinToken = `vmjoin_${randomSecret(32)}`;
  const password = randomSecret(18);
  const admin = await AuthStore.newUser("admin", password, "Admin");
  const made = makeApiToken();
  const token: StoredToken = { id: made.id, user: "admin", label: "initial", role: "Admin", secretHash: made.secretHash, createdAt: now, expiresAt: null };
  const writes: Array<[string, unknown]> = [
    [keys.cluster(), cluster], [keys.signingKey(), signingKey], [keys.joinToken(), { sha256: sha256(joinToken), createdAt: now } satisfies JoinTokenRecord],
    [keys.user("admin"), admin], [keys.token(made.id), token],
  ];
  return { cluster, signingKey, joinToken, password, apiToken: made.token, writes };
}

/**
 * Reads the cluster, or makes it from the candidate: the cluster record, the signing key, the join
 * token and the user admin with its API token, all in one etcd transaction guarded by "the cluster
 * record does not exist", so replicas racing at the first start agree and a crash never leaves
 * half a cluster. An attempt given up while its transaction went through is recognised by the id.
 */
export async function bootstrapCluster(store: ClusterStore, candidate: ClusterCandidate): Promise<Bootstrapped> {
  await store.etcd.if(keys.cluster(), "Create", "==", 0).then(...candidate.writes.map(([key, value]) => store.etcd.put(key).value(JSON.stringify(value)))).commit();
  const storedCluster = await store.get<ClusterRecord>(keys.cluster());
  const storedKey = await store.get<SigningKeyRecord>(keys.signingKey());
  if (!storedCluster || !storedKey) throw new Error("etcd holds a cluster record without its signing key (or none at all): the cluster's config/ keys were changed by hand");
  const mine = storedCluster.value.clusterId === candidate.cluster.clusterId;
  return {
    cluster: storedCluster.value, signingKey: storedKey.value,
    initialAdmin: mine ? { username: "admin", password: candidate.password, token: candidate.apiToken, joinToken: candidate.joinToken, clusterId: candidate.cluster.clusterId } : null,
  };
}

/** Writes a file whole or not at all (a reader polling for it never sees half), mode 0600. */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, path);
}

export async function writeInitialAdmin(home: string, admin: InitialAdmin): Promise<string> {
  const path = join(home, "initial-admin.json");
  await writePrivateFile(path, `${JSON.stringify(admin, null, 2)}\n`);
  return path;
}
