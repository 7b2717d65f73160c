// $VMCTL_HOME/cluster.json (0600): what a host got when it joined a vmcenter cluster — the cluster's
// id and token issuer, vmcenter's public keys (cluster tokens are verified offline with them), the
// etcd endpoints and vmcenter's URLs. Written once at `vmctld --join`; every later start uses it
// without the join token. A file that does not validate stops vmctld with what to fix.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { VmctlError } from "@vmctl/api-types";
import { JoinAnswerSchema } from "@vmctl/center";
import { writeFileAtomic } from "../domain/atomic-write.js";

export const CLUSTER_FILE = "cluster.json";
/** A host's name in the cluster: what --host-name takes. */
export const HOST_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$";

export const ClusterConfigSchema = Type.Composite([JoinAnswerSchema, Type.Object({
  joinedAt: Type.String(),
  /** The vmcenter URL the host joined through. */
  joinedVia: Type.String(),
  /** The name the host joined as (vmctld --host-name), kept for later starts. */
  hostName: Type.Optional(Type.String({ pattern: HOST_NAME_PATTERN })),
})]);
export type ClusterConfig = Static<typeof ClusterConfigSchema>;

export function clusterFile(home: string): string {
  return join(home, CLUSTER_FILE);
}

/** The host's cluster membership, or null when it never joined one. */
export function readClusterConfig(home: string): ClusterConfig | null {
  const file = clusterFile(home);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new VmctlError("bad_request", `${file} is not JSON; join again with \`vmctld --join URL --join-token T\` (or remove the file to leave the cluster)`);
  }
  const problem = [...Value.Errors(ClusterConfigSchema, raw)][0];
  if (problem) throw new VmctlError("bad_request", `${file}: ${problem.path || "/"} ${problem.message}; join again with \`vmctld --join URL --join-token T\` (or remove the file to leave the cluster)`);
  return raw as ClusterConfig;
}

export async function writeClusterConfig(home: string, config: ClusterConfig): Promise<void> {
  await writeFileAtomic(clusterFile(home), `${JSON.stringify(config, null, 2)}\n`, 0o600);
}
