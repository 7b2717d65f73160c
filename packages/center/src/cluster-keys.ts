// The cluster's state in etcd: every key under one prefix, and the shape of each record. vmcenter
// (its leader) writes desired state and host metadata; a host's agent writes its own host record and
// the observed state of its VMs, both under its lease, so they vanish when the host does.
import type { Task, VmSummary } from "@vmctl/api-types";

export const PREFIX = "/vmctl/";

export const keys = {
  /** The agent's live record, under its lease (TTL HOST_LEASE_SECONDS): present means connected. */
  host: (hostId: string) => `${PREFIX}hosts/${hostId}`,
  hosts: () => `${PREFIX}hosts/`,
  /** What vmcenter knows of a host beyond its lease: written at join, kept when the host is gone. */
  hostMeta: (hostId: string) => `${PREFIX}hostmeta/${hostId}`,
  hostMetas: () => `${PREFIX}hostmeta/`,
  /** Where a VM should run and in which power state: vmcenter writes it (an agent only creates it for a VM made locally). */
  desired: (uuid: string) => `${PREFIX}vms/${uuid}/desired`,
  /** What the owning agent sees, under its lease. */
  observed: (uuid: string) => `${PREFIX}vms/${uuid}/observed`,
  vms: () => `${PREFIX}vms/`,
  task: (id: string) => `${PREFIX}tasks/${id}`,
  tasks: () => `${PREFIX}tasks/`,
  /** Cluster events, key = ISO time + random suffix so that a prefix range reads them in order; capped. */
  event: (sortable: string) => `${PREFIX}events/${sortable}`,
  events: () => `${PREFIX}events/`,
  user: (name: string) => `${PREFIX}users/${name}`,
  users: () => `${PREFIX}users/`,
  /** API tokens for vmcenter, by id; the record holds the secret's hash only. */
  token: (id: string) => `${PREFIX}tokens/${id}`,
  tokens: () => `${PREFIX}tokens/`,
  /** Browser sessions, by the hash of the cookie, under a lease of the session's lifetime. */
  session: (hash: string) => `${PREFIX}sessions/${hash}`,
  /** Placement rules (affinity, anti-affinity) by name. */
  rule: (name: string) => `${PREFIX}rules/${name}`,
  rules: () => `${PREFIX}rules/`,
  /** { clusterId, createdAt }: written once by the first vmcenter. */
  cluster: () => `${PREFIX}config/cluster`,
  /** The Ed25519 key pair that signs cluster tokens (hosts verify with the public half). */
  signingKey: () => `${PREFIX}config/signing-key`,
  /** sha256 of the join token hosts present at `vmctld --join`. */
  joinToken: () => `${PREFIX}config/join-token`,
  /** The etcd election among vmcenter replicas (etcd3's Election under this name). */
  election: () => "vmcenter-leader",
} as const;

/** The host record's lease: a host whose agent stops heartbeating drops out after this long. */
export const HOST_LEASE_SECONDS = 6;

export interface DatastoreInfo { name: string; shared: boolean; freeBytes: number }

/** hosts/<id>: written by the agent every few seconds under its lease. */
export interface HostRecord {
  id: string;
  name: string;
  /** The host's HTTPS API, e.g. "https://127.0.0.1:8443". */
  url: string;
  /** The host's TLS certificate (PEM): vmcenter pins it. */
  certPem: string;
  cpus: number;
  memoryBytes: number;
  freeMemoryBytes: number;
  /** 1-minute load average. */
  load: number;
  /** "7.2.x" as `query-version` reports: live migration needs the same on both sides. */
  qemuVersion: string;
  /** The CPU model the host's VMs get ("qemu64" under TCG, "host" under KVM). */
  cpuModel: string;
  accel: "kvm" | "tcg";
  datastores: DatastoreInfo[];
  networks: string[];
  /** The address QEMU on this host listens on for incoming migrations. */
  migrationAddress: string;
  /** VMs this host owns, and how many of them run. */
  vms: number;
  runningVms: number;
  /** Memory promised to its running VMs (sum of their `memory`). */
  allocatedMemoryBytes: number;
  agentVersion: string;
  startedAt: string;
  heartbeatAt: string;
}

/** hostmeta/<id>: vmcenter's own knowledge of a host, kept when its lease expires. */
export interface HostMeta {
  id: string;
  name: string;
  url: string;
  certPem: string;
  joinedAt: string;
  maintenance: boolean;
  schedulable: boolean;
  tags: string[];
  /** Set by the HA controller once the lease has been gone for the grace period. */
  deadSince: string | null;
}

export type HostState = "connected" | "disconnected" | "dead";

/** vms/<uuid>/desired */
export interface DesiredVm {
  uuid: string;
  name: string;
  /** The host that owns the VM: only its agent acts on it. */
  host: string;
  /** The power state vmcenter wants; null leaves it to the host (a VM made locally, or never asked). */
  power: "running" | "stopped" | null;
  /** `[policy] ha = true` in its definition. */
  ha: boolean;
  /** The datastore that holds its definition folder, and whether every host mounts it (shared). */
  datastore: string;
  shared: boolean;
  memoryBytes: number;
  cpus: number;
  /** Grows with every write: agents ignore a desired record older than one they acted on. */
  generation: number;
  updatedAt: string;
  /** Why it was last written ("created by admin", "HA restart after host h2 died", "migrated …"). */
  reason: string;
  /**
   * (added by E) Set by vmcenter while it moves the VM between hosts: neither agent stops, starts,
   * adopts or releases the VM while this is set (vmcenter drives both ends), so the target's agent
   * does not stop the VM that just arrived before `host` names it. Cleared (null) when it ends.
   */
  migration?: { from: string; to: string; task: string; since: string } | null;
}

/** vms/<uuid>/observed: the owning host's view, under its lease. */
export interface ObservedVm {
  uuid: string;
  name: string;
  host: string;
  /** As the host API gives it (GET /api/v1/vms). */
  summary: VmSummary;
  updatedAt: string;
}

/** tasks/<id>: a cluster task, in the host's task shape, plus what a resumed leader needs. */
export interface ClusterTaskRecord extends Task {
  /** The task's result (the chosen host and why, a migration's downtimeMs and bytes). */
  result: Record<string, unknown> | null;
  /** Host tasks this task started: "<host id>:<uuid>". */
  children: string[];
  /** What the task was asked (to resume it on another leader). */
  params: Record<string, unknown>;
  /** The replica that runs it ("<replica id>"), so that a new leader knows which ones were orphaned. */
  runner: string;
}

export interface UserRecord { name: string; role: "Admin" | "Operator" | "ReadOnly"; passwordHash: string; createdAt: string; disabled: boolean }
export interface TokenRecord { id: string; user: string; label: string; secretHash: string; createdAt: string; expiresAt: string | null }
export interface SessionRecord { user: string; csrf: string; expiresAt: string }

export interface RuleRecord {
  name: string;
  /** affinity: keep these VMs on one host; anti-affinity: on different hosts. */
  type: "affinity" | "anti-affinity";
  vms: string[];
}

export interface ClusterRecord { clusterId: string; createdAt: string }
export interface SigningKeyRecord { kid: string; privateKeyPem: string; publicKeyPem: string; createdAt: string }
