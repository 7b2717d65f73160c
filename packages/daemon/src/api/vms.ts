// /api/v1/vms: list, create (JSON or TOML), show, destroy, and the definition as written.
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { VmNameParamsSchema, VmctlError, VM_STATES } from "@vmctl/api-types";
import type { Host } from "../host.js";

export function registerVmRoutes(app: FastifyInstance, host: Host): void {
  app.get("/api/v1/vms", {
    schema: { querystring: Type.Object({ state: Type.Optional(Type.Union(VM_STATES.map((s) => Type.Literal(s)))), sort: Type.Optional(Type.String()) }, { additionalProperties: false }) },
  }, async (request) => {
    const query = request.query as { state?: string };
    const vms = host.vms.list();
    return { vms: query.state ? vms.filter((vm) => vm.state === query.state) : vms };
  });

  app.post("/api/v1/vms", {
    schema: { querystring: Type.Object({ datastore: Type.Optional(Type.String()) }, { additionalProperties: false }) },
  }, async (request, reply) => {
    const { datastore } = request.query as { datastore?: string };
    const body = request.body;
    const vm = typeof body === "string"
      ? await host.vms.create({ toml: body, ...(datastore ? { datastore } : {}) })
      : await host.vms.create({ json: body, ...(datastore ? { datastore } : {}) });
    return reply.status(201).header("Location", `/api/v1/vms/${vm.name}`).header("ETag", vm.etag).send(vm);
  });

  app.get("/api/v1/vms/:name", { schema: { params: VmNameParamsSchema } }, async (request, reply) => {
    const vm = host.vms.detail((request.params as { name: string }).name);
    return reply.header("ETag", vm.etag).send(vm);
  });

  app.delete("/api/v1/vms/:name", {
    schema: { params: VmNameParamsSchema, querystring: Type.Object({ keepDisks: Type.Optional(Type.Boolean()) }, { additionalProperties: false }) },
  }, async (request) => {
    const { name } = request.params as { name: string };
    const { keepDisks } = request.query as { keepDisks?: boolean };
    return host.withVmLock(name, () => host.vms.destroy(name, keepDisks ?? false));
  });

  app.get("/api/v1/vms/:name/definition", { schema: { params: VmNameParamsSchema } }, async (request, reply) => {
    const entry = host.inventory.get((request.params as { name: string }).name);
    return reply.header("Content-Type", "application/toml; charset=utf-8").header("ETag", entry.etag).send(entry.text);
  });

  app.put("/api/v1/vms/:name/definition", { schema: { params: VmNameParamsSchema } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    if (typeof request.body !== "string") throw new VmctlError("unsupported_media_type", "send the definition as TOML with Content-Type: application/toml");
    const ifMatch = request.headers["if-match"];
    const body = request.body;
    const vm = await host.withVmLock(name, () => host.vms.updateDefinition(name, body, ifMatch));
    return reply.header("ETag", vm.etag).send(vm);
  });
}
