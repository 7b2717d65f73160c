// The routes of vmcenter's cluster API: hosts, VMs across hosts, placement, create (placed), migrate
// and maintenance. Reads are ReadOnly; everything that changes the cluster is Admin. Long work answers
// 202 with a cluster task (GET /api/v1/tasks/{id}?wait= follows it).
import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  VmctlError, VmNameParamsSchema, ClusterCreateQuerySchema, ClusterHostListSchema, ClusterHostParamsSchema, ClusterHostPatchSchema, ClusterHostSchema,
  ClusterMigrateRequestSchema, ClusterTaskSchema, ClusterVmListSchema, MaintenanceRequestSchema, PlacementAnswerSchema,
  type ClusterHostPatch, type ClusterMigrateRequest, type MaintenanceRequest, type PlacementAnswer,
} from "@vmctl/api-types";
import { keys, type HostMeta } from "../cluster-keys.js";
import type { CenterContext, ClusterPrincipal } from "../center-context.js";
import { responses } from "../server/openapi.js";
import { principalOf } from "../server/role-hook.js";
import { clusterVms, desiredByName, nameTaken, placementHosts, placementOptions, snapshot, wireHost } from "./cluster-state.js";
import { placementVmOf } from "./migrate-task.js";
import { place, type PlacementVm } from "./placement.js";
import { documentOf, readVmRequest, type CreateBody } from "./vm-request.js";

type Params<T> = FastifyRequest<{ Params: T }>;

/** Who asks, as the task records keep it (no more than name, user and role). */
const asker = (request: FastifyRequest): ClusterPrincipal => {
  const p = principalOf(request);
  return { user: p.user, role: p.role, name: p.name };
};

/** The create body as sent: JSON (parsed by Fastify) or TOML (a string). */
function createBody(request: FastifyRequest): CreateBody {
  const type = String(request.headers["content-type"] ?? "application/json").split(";")[0]!.trim().toLowerCase();
  if (typeof request.body === "string") return { type: type === "application/json" ? "application/json" : "application/toml", text: request.body };
  if (request.body === undefined || request.body === null) throw new VmctlError("bad_request", "the body must be a VM definition (JSON or TOML), as for a host's POST /api/v1/vms");
  return { type: "application/json", text: JSON.stringify(request.body) };
}

export function registerClusterRoutes(app: FastifyInstance, ctx: CenterContext): void {
  app.get("/api/v1/cluster/hosts", {
    config: { role: "ReadOnly" },
    schema: { summary: "Every host joined to the cluster, with its state, load and resources", response: responses({ 200: ClusterHostListSchema }) },
  }, async () => (await ctx.hosts.list()).map(wireHost));

  app.get("/api/v1/cluster/hosts/:id", {
    config: { role: "ReadOnly" },
    schema: { summary: "One host (by id or name)", params: ClusterHostParamsSchema, response: responses({ 200: ClusterHostSchema }, 404) },
  }, async (request: Params<{ id: string }>) => wireHost(await ctx.hosts.get(request.params.id)));

  app.patch("/api/v1/cluster/hosts/:id", {
    config: { role: "Admin" },
    schema: { summary: "Set a host's tags and whether placement may choose it (Admin)", params: ClusterHostParamsSchema, body: ClusterHostPatchSchema, response: responses({ 200: ClusterHostSchema }, 404) },
  }, async (request: FastifyRequest<{ Params: { id: string }; Body: ClusterHostPatch }>) => {
    const host = await ctx.hosts.get(request.params.id);
    const patch = request.body;
    await ctx.store.update<HostMeta>(keys.hostMeta(host.meta.id), (current) => (current ? {
      ...current, ...(patch.tags ? { tags: [...new Set(patch.tags)].sort() } : {}), ...(patch.schedulable !== undefined ? { schedulable: patch.schedulable } : {}),
    } : undefined));
    const user = principalOf(request).name;
    await ctx.events.emit("cluster.host.changed", { target: `host/${host.meta.id}`, user, message: `host ${host.meta.name} changed by ${user}: ${JSON.stringify(patch)}`, data: { host: host.meta.id, ...patch } });
    return wireHost(await ctx.hosts.get(host.meta.id));
  });

  app.post("/api/v1/cluster/hosts/:id/maintenance", {
    config: { role: "Admin" },
    schema: {
      summary: "Maintenance mode (Admin): enabled marks the host unschedulable and moves its VMs away (running ones live); false puts it back in service. A cluster.maintenance task",
      params: ClusterHostParamsSchema, body: MaintenanceRequestSchema, response: responses({ 202: ClusterTaskSchema }, 404),
    },
  }, async (request: FastifyRequest<{ Params: { id: string }; Body: MaintenanceRequest }>, reply) => {
    const host = await ctx.hosts.get(request.params.id);
    const task = await ctx.tasks.start({ op: "cluster.maintenance", target: `host/${host.meta.id}`, user: asker(request), params: { host: host.meta.id, enabled: request.body.enabled, user: asker(request) }, resumable: true });
    return reply.status(202).send(task);
  });

  app.get("/api/v1/cluster/vms", {
    config: { role: "ReadOnly" },
    schema: { summary: "Every VM of the cluster, as its host reports it, with its host (id and name)", response: responses({ 200: ClusterVmListSchema }) },
  }, async () => clusterVms(await snapshot(ctx)));

  const create = async (request: FastifyRequest<{ Querystring: { datastore?: string } }>, reply: import("fastify").FastifyReply) => {
    const body = createBody(request);
    const vm = readVmRequest(documentOf(body), request.query.datastore ?? null);
    const taken = nameTaken(await snapshot(ctx), vm.name);
    if (taken) throw new VmctlError("vm_exists", `a VM named "${vm.name}" already exists in the cluster (on host ${taken.host}); VM names are unique across hosts: choose another`, { vm: vm.name, host: taken.host });
    const user = asker(request);
    const task = await ctx.tasks.start({ op: "cluster.create", target: `vm/${vm.name}`, user, params: { body, datastore: request.query.datastore ?? null, user }, resumable: true });
    return reply.status(202).send(task);
  };
  const createSchema = (summary: string) => ({ summary, querystring: ClusterCreateQuerySchema, response: responses({ 202: ClusterTaskSchema }, 409) });
  app.post("/api/v1/cluster/vms", {
    config: { role: "Admin" },
    schema: createSchema("Create a VM where placement says (Admin): the body of a host's POST /api/v1/vms (JSON or TOML); a cluster.create task whose result names the host and why"),
  }, create);
  app.post("/api/v1/vms", {
    config: { role: "Admin" },
    schema: createSchema("Create a VM in the cluster (Admin), as on a host: placed by vmcenter (the same as POST /api/v1/cluster/vms); a cluster.create task"),
  }, create);

  app.get("/api/v1/cluster/vms/:name/placement", {
    config: { role: "ReadOnly" },
    schema: { summary: "Where the VM would move now (never its current host), with every host's verdict", params: VmNameParamsSchema, response: responses({ 200: PlacementAnswerSchema }, 404) },
  }, async (request: Params<{ name: string }>): Promise<PlacementAnswer> => {
    const state = await snapshot(ctx);
    const desired = desiredByName(state, request.params.name);
    let vm: PlacementVm = { name: desired.name, memoryBytes: desired.memoryBytes, cpus: desired.cpus, datastore: desired.datastore, networks: [], hostTags: [] };
    const owner = state.hosts.find((h) => h.meta.id === desired.host);
    if (owner?.live) {
      const client = await ctx.hosts.client(owner.meta.id, principalOf(request));
      const detail = await client.getVm(desired.name).catch(() => null);
      if (detail) vm = placementVmOf(detail);
    }
    const placement = place(vm, placementHosts(state), placementOptions(state, { [desired.host]: "the VM is here now" }));
    return { vm: desired.name, current: desired.host, chosen: placement.chosen?.id ?? null, hosts: placement.hosts };
  });

  app.post("/api/v1/cluster/vms/:name/migrate", {
    config: { role: "Admin" },
    schema: {
      summary: "Move a VM to another host (Admin): live by default when it runs (shared storage), cold otherwise (shared: handed over; local: disks copied). A cluster.migrate task whose result has downtimeMs and bytes",
      params: VmNameParamsSchema, body: ClusterMigrateRequestSchema, response: responses({ 202: ClusterTaskSchema }, 404, 409),
    },
  }, async (request: FastifyRequest<{ Params: { name: string }; Body: ClusterMigrateRequest | undefined }>, reply) => {
    const name = request.params.name;
    const desired = desiredByName(await snapshot(ctx), name);
    if (request.body?.host) await ctx.hosts.get(request.body.host);
    const user = asker(request);
    const task = await ctx.tasks.start({
      op: "cluster.migrate", target: `vm/${name}`, targetUuid: desired.uuid, user,
      params: { vm: name, host: request.body?.host ?? null, live: request.body?.live ?? null, user }, resumable: false,
    });
    return reply.status(202).send(task);
  });
}
