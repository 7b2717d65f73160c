// The cluster API of vmcenter and the host-side migration routes it drives, for the CLI, the Host Client and vmcenter itself.
// `client.cluster` on VmctlClient and BrowserClient; over the same Transport as VmctlApi.
import type {
  ClusterCreateResult, ClusterHost, ClusterHostPatch, ClusterInfo, ClusterMigrateRequest, ClusterMigrateResult, ClusterRule, ClusterTask,
  ClusterVm, IncomingMigrationAnswer, IncomingMigrationRequest, MaintenanceResult, MigrateOutRequest, MigrationStatus, PlacementAnswer,
  RegisterMigrationRequest, Task, VmDetail,
} from "@vmctl/api-types";
import { apiPaths } from "./api-paths.js";
import { ApiError, parseAnswer } from "./api-error.js";
import { clusterPaths, migrationPaths } from "./cluster-paths.js";
import type { RequestBody, Transport } from "./transport.js";

export type { ClusterCreateResult, ClusterMigrateResult, MaintenanceResult };

const json = (value: unknown): RequestBody => ({ type: "application/json", text: JSON.stringify(value) });

export class ClusterApi {
  constructor(private readonly transport: Transport) {}

  private async request<T>(method: string, path: string, body?: RequestBody): Promise<T> {
    return parseAnswer<T>(await this.transport.send({ method, path, ...(body ? { body } : {}) }));
  }

  /** The cluster vmcenter leads (GET /api/v1/cluster); throws ApiError 404 on a plain host. */
  info(): Promise<ClusterInfo> { return this.request("GET", clusterPaths.info()); }
  /** The cluster's info at vmcenter, or null when the server is a plain host (it answers 404 there). */
  async detect(): Promise<ClusterInfo | null> {
    try {
      return await this.info();
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  // Hosts.
  hosts(): Promise<ClusterHost[]> { return this.request("GET", clusterPaths.hosts()); }
  /** A host by id or name. */
  host(idOrName: string): Promise<ClusterHost> { return this.request("GET", clusterPaths.host(idOrName)); }
  /** Sets a host's tags and whether placement may choose it (Admin). */
  patchHost(idOrName: string, patch: ClusterHostPatch): Promise<ClusterHost> { return this.request("PATCH", clusterPaths.host(idOrName), json(patch)); }
  /** enabled: marks the host unschedulable and moves its VMs away; false: back in service. A cluster.maintenance task (Admin). */
  maintenance(idOrName: string, enabled: boolean): Promise<ClusterTask> { return this.request("POST", clusterPaths.maintenance(idOrName), json({ enabled })); }

  // VMs across hosts.
  vms(): Promise<ClusterVm[]> { return this.request("GET", clusterPaths.vms()); }
  /** Places and creates a VM (the body of a host's POST /vms); a cluster.create task whose result is a ClusterCreateResult. */
  createVm(definition: unknown, datastore?: string): Promise<ClusterTask> {
    return this.request("POST", clusterPaths.vms(datastore ? { datastore } : {}), json(definition));
  }
  createVmFromToml(toml: string, datastore?: string): Promise<ClusterTask> {
    return this.request("POST", clusterPaths.vms(datastore ? { datastore } : {}), { type: "application/toml", text: toml });
  }
  /** Where placement would put the VM now, with one verdict per host. */
  placement(name: string): Promise<PlacementAnswer> { return this.request("GET", clusterPaths.placement(name)); }
  /** Moves a VM to `host` (or where placement says); a cluster.migrate task whose result is a ClusterMigrateResult (Admin). */
  migrate(name: string, request: ClusterMigrateRequest = {}): Promise<ClusterTask> { return this.request("POST", clusterPaths.migrate(name), json(request)); }

  // Placement rules.
  rules(): Promise<ClusterRule[]> { return this.request("GET", clusterPaths.rules()); }
  /** Creates or replaces a rule by name (Admin). */
  putRule(rule: ClusterRule): Promise<ClusterRule> { return this.request("POST", clusterPaths.rules(), json(rule)); }
  removeRule(name: string): Promise<ClusterRule> { return this.request("DELETE", clusterPaths.rule(name)); }

  // Cluster tasks (ids "<cluster id>:<uuid>"; a host task id is forwarded to its host).
  task(id: string, waitSeconds = 0): Promise<ClusterTask> { return this.request("GET", apiPaths.task(id, waitSeconds ? { wait: waitSeconds } : {})); }
  cancelTask(id: string): Promise<ClusterTask> { return this.request("DELETE", apiPaths.task(id)); }
  /** Waits for a task to end, however long it takes. */
  async waitTask(id: string): Promise<ClusterTask> {
    for (;;) {
      const task = await this.task(id, 30);
      if (task.state !== "running" && task.state !== "queued") return task;
    }
  }

  // A host's migration routes (what vmcenter calls on hosts; Admin only there).
  /** On the target: an incoming QEMU for a VM whose folder is on a shared datastore. */
  incomingMigration(request: IncomingMigrationRequest): Promise<IncomingMigrationAnswer> { return this.request("POST", migrationPaths.incoming(), json(request)); }
  migrationStatus(id: string): Promise<MigrationStatus> { return this.request("GET", migrationPaths.migration(id)); }
  /** Kills a not-completed incoming QEMU. */
  cancelIncomingMigration(id: string): Promise<MigrationStatus> { return this.request("DELETE", migrationPaths.migration(id)); }
  /** On the source: streams the running VM to the target's uri; a task whose result is a MigrationResult. */
  migrateOut(name: string, request: MigrateOutRequest): Promise<Task> { return this.request("POST", migrationPaths.migrateOut(name), json(request)); }
  /** On the target: registers a VM whose disk files were copied into the datastore, keeping its uuid. */
  registerMigrated(request: RegisterMigrationRequest): Promise<VmDetail> { return this.request("POST", migrationPaths.register(), json(request)); }
}
