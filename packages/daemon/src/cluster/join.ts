// `vmctld --join URL --join-token T [--join-ca FILE]`: the host asks vmcenter to join (POST
// /api/v1/cluster/join with the join token and who it is) and keeps the answer in cluster.json.
// vmcenter's certificate is checked against --join-ca, or the system's CAs without it.
import { Value } from "@sinclair/typebox/value";
import { VmctlError } from "@vmctl/api-types";
import { VmctlClient } from "@vmctl/client";
import { JOIN_PATH, JoinAnswerSchema, type JoinAnswer, type JoinRequest } from "@vmctl/center";
import { writeClusterConfig, type ClusterConfig } from "./cluster-config.js";

export interface JoinOptions {
  url: string;
  joinToken: string;
  /** CA certificates (PEM) that signed vmcenter's certificate. */
  ca?: string;
  host: JoinRequest["host"];
}

export async function requestJoin(options: JoinOptions): Promise<JoinAnswer> {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new VmctlError("bad_request", `--join: "${options.url}" is not a URL; give vmcenter's, e.g. https://center:8444`);
  }
  if (base.protocol !== "https:") throw new VmctlError("bad_request", `--join: "${options.url}" is not https://; vmcenter only speaks HTTPS (the join token must not travel in clear)`);
  const client = new VmctlClient({ url: base.origin, ...(options.ca ? { ca: options.ca } : {}) });
  const body: JoinRequest = { joinToken: options.joinToken, host: options.host };
  const answer = await client.call<unknown>("POST", JOIN_PATH, body);
  if (!Value.Check(JoinAnswerSchema, answer)) {
    const problem = [...Value.Errors(JoinAnswerSchema, answer)][0];
    throw new VmctlError("cluster_unavailable", `vmcenter at ${base.origin} answered the join with something else than a join answer (${problem?.path ?? ""} ${problem?.message ?? ""})`);
  }
  return answer;
}

/** Joins and stores the membership in $home/cluster.json (0600). */
export async function joinCluster(home: string, options: JoinOptions): Promise<ClusterConfig> {
  const answer = await requestJoin(options);
  const config: ClusterConfig = { ...answer, joinedAt: new Date().toISOString(), joinedVia: new URL(options.url).origin, hostName: options.host.name };
  await writeClusterConfig(home, config);
  return config;
}
