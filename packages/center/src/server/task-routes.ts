// /api/v1/tasks at vmcenter, the paths and answers of a host's (daemon api/tasks.ts): cluster tasks
// from etcd, newest first; GET …/{id}?wait=N. A task id whose prefix (before ':') is a joined host's
// id is that host's task: asked of the host as the same user. Cancel is DELETE /api/v1/tasks/{id}
// (as on a host) or POST /api/v1/tasks/{id}/cancel.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Type } from "@sinclair/typebox";
import { TaskSchema, TaskListQuerySchema, TaskParamsSchema, TaskWaitQuerySchema, VmctlError } from "@vmctl/api-types";
import type { CenterContext } from "../center-context.js";
import type { ClusterTaskRecord } from "../cluster-keys.js";
import { publicView, type EtcdClusterTasks, type StoredTask } from "./cluster-tasks.js";
import { hostError } from "./host-errors.js";
import { principalOf } from "./role-hook.js";
import { responses } from "./openapi.js";

/** A cluster task: the host task shape plus result, child host tasks, what it was asked and its runner. A host task has only the host shape. */
export const ClusterTaskSchema = Type.Intersect([TaskSchema, Type.Object({
  result: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: "the task's result (the chosen host and why, a migration's downtimeMs and bytes)" })),
  children: Type.Optional(Type.Array(Type.String(), { description: "host tasks it started: \"<host id>:<uuid>\"" })),
  params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  runner: Type.Optional(Type.String({ description: "the vmcenter replica that runs it (\"\" while none does)" })),
})]);
export const ClusterTaskListSchema = Type.Object({ tasks: Type.Array(ClusterTaskSchema) });

/** "<prefix>:<rest>" → the prefix, which names the cluster or a host. */
export function taskOwner(id: string, clusterId: string): { kind: "cluster" } | { kind: "host"; hostId: string } {
  const colon = id.indexOf(":");
  const prefix = colon < 0 ? "" : id.slice(0, colon);
  if (!prefix || colon === id.length - 1) throw new VmctlError("task_not_found", `task id "${id.slice(0, 128)}" is not "<cluster or host id>:<uuid>"`, { id: id.slice(0, 128) });
  return prefix === clusterId ? { kind: "cluster" } : { kind: "host", hostId: prefix };
}

export function registerTaskRoutes(root: FastifyInstance, ctx: CenterContext, tasks: EtcdClusterTasks): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const notFound = (id: string) => new VmctlError("task_not_found", `no task "${id.slice(0, 128)}"; GET /api/v1/tasks lists the recent ones`, { id: id.slice(0, 128) });
  const onHost = async <T>(request: FastifyRequest, hostId: string, work: (client: Awaited<ReturnType<CenterContext["hosts"]["client"]>>) => Promise<T>): Promise<T> => {
    const host = await ctx.hosts.get(hostId);
    try {
      return await work(await ctx.hosts.client(host.meta.id, principalOf(request)));
    } catch (error) {
      throw hostError(error, host.meta.id);
    }
  };

  app.get("/api/v1/tasks", { config: { role: "ReadOnly" }, schema: { querystring: TaskListQuerySchema, response: responses({ 200: ClusterTaskListSchema }), summary: "Recent cluster tasks, newest first" } }, async (request) => {
    return { tasks: (await tasks.list(request.query)).map(publicView) };
  });

  app.get("/api/v1/tasks/:id", {
    config: { role: "ReadOnly" },
    schema: { params: TaskParamsSchema, querystring: TaskWaitQuerySchema, response: responses({ 200: ClusterTaskSchema }, 404, 502), summary: "A cluster task, or a host's (its id's prefix is the host's id); ?wait=N blocks up to N seconds for it to end" },
  }, async (request) => {
    const { id } = request.params;
    const wait = request.query.wait ?? 0;
    const owner = taskOwner(id, ctx.clusterId);
    if (owner.kind === "host") return onHost(request, owner.hostId, (client) => client.getTask(id, wait));
    const task = await tasks.wait(id, wait);
    if (!task) throw notFound(id);
    return publicView(task);
  });

  const cancel = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<ClusterTaskRecord> => {
    const { id } = request.params;
    const owner = taskOwner(id, ctx.clusterId);
    if (owner.kind === "host") return onHost(request, owner.hostId, (client) => client.cancelTask(id)) as Promise<ClusterTaskRecord>;
    const task: StoredTask = await tasks.cancel(id);
    return publicView(task);
  };
  app.delete("/api/v1/tasks/:id", { config: { role: "Operator" }, schema: { params: TaskParamsSchema, response: responses({ 200: ClusterTaskSchema }, 404, 409), summary: "Cancel a task (a host's is cancelled on its host)" } }, cancel);
  app.post("/api/v1/tasks/:id/cancel", { config: { role: "Operator" }, schema: { params: TaskParamsSchema, response: responses({ 200: ClusterTaskSchema }, 404, 409), summary: "Cancel a task (the same as DELETE /api/v1/tasks/{id})" } }, cancel);
}
