// What vmcenter's parts share, as interfaces: the server (server/), the host proxy (proxy/) and the
// controller (controller/) each implement one side and receive the rest through CenterContext.
import type { Logger } from "pino";
import type { VmctlClient } from "@vmctl/client";
import type { ClusterStore } from "./cluster-store.js";
import type { TokenSigner, ClusterRole } from "./cluster-token.js";
import type { ClusterTaskRecord, HostMeta, HostRecord, HostState } from "./cluster-keys.js";

/** Who asks vmcenter (a cluster user, from a session or an API token). */
export interface ClusterPrincipal {
  user: string;
  role: ClusterRole;
  /** For tasks and events: "admin", "admin (token ci)". */
  name: string;
}

/** The controller's own identity on hosts (tokens minted with sub "vmcenter", role Admin). */
export const CENTER_PRINCIPAL: ClusterPrincipal = { user: "vmcenter", role: "Admin", name: "vmcenter" };

export interface ClusterTaskContext {
  readonly id: string;
  log(line: string): void;
  /** 0..100, with an ETA computed from the progress so far. */
  progress(percent: number): void;
  /** Records a host task this task started ("<host id>:<uuid>"), shown as its child. */
  child(hostTaskId: string): void;
  /** Aborted when a user cancels the task (or the replica loses the lead). */
  readonly signal: AbortSignal;
}

export interface ClusterTaskSpec {
  op: string;
  /** "vm/web01", "host/<id>", "cluster". */
  target: string;
  targetUuid?: string | null;
  user: ClusterPrincipal;
  params: Record<string, unknown>;
  /** Whether a new leader may run it again from the start after the old leader died mid-way. */
  resumable: boolean;
}

export type ClusterTaskRunner = (ctx: ClusterTaskContext, params: Record<string, unknown>) => Promise<Record<string, unknown> | null>;

/** Cluster tasks, stored in etcd (tasks/<id>), in the host task shape; run on the leader. */
export interface ClusterTasks {
  /** Registers how to run (and resume) tasks of an op; called once per op at start. */
  define(op: string, run: ClusterTaskRunner): void;
  /** Creates the task (state queued) and runs it; resolves with the record at once (for a 202). */
  start(spec: ClusterTaskSpec): Promise<ClusterTaskRecord>;
  get(id: string): Promise<ClusterTaskRecord | null>;
  /** Resolves when the task has ended, or after `seconds` with it as it stands. */
  wait(id: string, seconds: number): Promise<ClusterTaskRecord | null>;
}

/** One host as vmcenter sees it: its join record, its live record (null when the lease is gone) and its state. */
export interface ClusterHost {
  meta: HostMeta;
  live: HostRecord | null;
  state: HostState;
}

/** Reaches hosts: their records, and a client that acts on one as a given cluster user. */
export interface HostDirectory {
  list(): Promise<ClusterHost[]>;
  get(idOrName: string): Promise<ClusterHost>;
  /** A client for the host's API, authenticated by a fresh cluster token for `as` (aud = that host). */
  client(hostId: string, as: ClusterPrincipal): Promise<VmctlClient>;
  /** The host that owns a VM by name (from vms/<uuid>/desired), or throws vm_not_found. */
  ownerOf(vmName: string): Promise<{ hostId: string; uuid: string }>;
}

/** Cluster events: written to etcd (capped) and sent to /ws/events subscribers of every replica. */
export interface ClusterEvents {
  emit(type: string, fields: { target?: string; targetUuid?: string | null; user?: string; task?: string | null; message: string; data?: Record<string, unknown> }): Promise<void>;
}

export interface CenterContext {
  clusterId: string;
  /** This replica's id, for task records (runner) and the election. */
  replicaId: string;
  /** This replica's own URL (the others forward writes to the leader's). */
  url: string;
  store: ClusterStore;
  signer: TokenSigner;
  logger: Logger;
  tasks: ClusterTasks;
  hosts: HostDirectory;
  events: ClusterEvents;
  isLeader(): boolean;
  /** The leader's URL (null while no replica leads). */
  leaderUrl(): string | null;
  /** The cluster's settings (HA grace, …) as vmcenter was started with them. */
  settings: CenterSettings;
}

export interface CenterSettings {
  /** How long a host's lease may be gone before HA declares it dead and restarts its VMs. */
  haGraceSeconds: number;
}
