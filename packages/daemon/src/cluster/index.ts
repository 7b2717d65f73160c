// A joined host's cluster side, in the order vmctld's start needs it: prepareCluster() before
// host.start() (cluster-token check, the "never start an HA VM by itself" rule, orphan QEMUs
// killed), fence() after it and before the API listens, then startHostAgent() once the host serves.
import { hostname } from "node:os";
import type { Logger } from "pino";
import { ClusterStore, startAgent, type Agent, type DesiredVm } from "@vmctl/center";
import type { Host } from "../host.js";
import { ClusterAuth } from "./cluster-auth.js";
import type { ClusterConfig } from "./cluster-config.js";
import { fenceHeld, killOrphans, readDesired } from "./fence.js";
import { DaemonHostPort } from "./host-port.js";
import { haOf } from "./vm-policy.js";

export { readClusterConfig, writeClusterConfig, clusterFile, type ClusterConfig } from "./cluster-config.js";
export { joinCluster } from "./join.js";

export interface ClusterSide {
  store: ClusterStore;
  /** Desired state read before start (null: etcd did not answer in time, nothing was fenced). */
  desired: DesiredVm[] | null;
}

export function defaultHostName(): string {
  return hostname().split(".")[0]!.toLowerCase().replace(/[^a-z0-9_.-]/g, "-").replace(/^[^a-z0-9]+/, "") || "host";
}

/** Before host.start(). */
export async function prepareCluster(host: Host, config: ClusterConfig, name: string, log: Logger): Promise<ClusterSide> {
  const store = new ClusterStore({ endpoints: config.etcd.endpoints });
  let elsewhere = new Set<string>();
  host.cluster = {
    config, name, auth: new ClusterAuth(config, host.hostId),
    mayStartItself: (vm) => {
      const entry = host.inventory.find(vm);
      if (!entry?.def) return true;
      if (haOf(entry) && host.datastores.isShared(entry.datastore)) return false;
      return !(entry.def.uuid !== undefined && elsewhere.has(entry.def.uuid));
    },
  };
  const desired = await readDesired(store);
  if (!desired) {
    log.warn({ etcd: config.etcd.endpoints }, "fence: etcd did not answer; starting without the cluster's desired state (HA VMs on shared datastores are not started by this host)");
    return { store, desired: null };
  }
  const away = desired.filter((d) => d.host !== host.hostId);
  elsewhere = new Set(away.map((d) => d.uuid));
  // The inventory is read here already: killOrphans needs to know which folders are still this host's.
  host.inventory.scan(true);
  killOrphans(host, away, log);
  return { store, desired };
}

/** After host.start(), before the API listens. */
export async function fence(host: Host, side: ClusterSide, log: Logger): Promise<void> {
  if (!side.desired) return;
  const fenced = await fenceHeld(host, side.desired.filter((d) => d.host !== host.hostId), log);
  if (fenced.length) log.warn({ vms: fenced }, "fence: stopped VMs the cluster runs on other hosts");
}

/** Once the API listens: the agent, over this host's own unix socket. */
export async function startHostAgent(host: Host, side: ClusterSide, url: string, certPem: string, log: Logger): Promise<Agent> {
  const cluster = host.cluster!;
  const port = new DaemonHostPort(host, cluster.name, url, certPem);
  return startAgent(port, { store: side.store, clusterId: cluster.config.clusterId, logger: log });
}
