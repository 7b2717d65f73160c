// /api/v1/vms: list, create (JSON or TOML), show, destroy, and the definition as written.
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { parse as parseToml } from "smol-toml";
import { Type as T } from "@sinclair/typebox";
import { VmNameParamsSchema, VmctlError, VM_STATES, literalUnion, BatchRequestSchema, VmListSchema, VmDetailSchema, TaskSchema, DestroyResultSchema, type VmSummary } from "@vmctl/api-types";
import { responses } from "./openapi.js";
import { renderDefinition } from "../domain/definition-store.js";
import type { Host } from "../host.js";
import { startBatch, type BatchRequest } from "../domain/vm-batch.js";
import { compileNamePattern } from "../domain/name-pattern.js";
import { userOf } from "./request-user.js";
import { createGuard, principalOf, updateGuard } from "./file-access-guards.js";
import { can } from "../security/principal.js";

const SORT_KEYS = ["name", "-name", "state", "-state", "cpus", "-cpus", "memory", "-memory", "lastStateChange", "-lastStateChange"] as const;
type SortKey = (typeof SORT_KEYS)[number];

function sortVms(vms: VmSummary[], key: SortKey): VmSummary[] {
  const descending = key.startsWith("-");
  const field = key.replace(/^-/, "");
  const value = (vm: VmSummary): string | number => (field === "memory" ? vm.memoryBytes : (vm[field as keyof VmSummary] as string | number));
  const sorted = [...vms].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y))) || a.name.localeCompare(b.name);
  });
  return descending ? sorted.reverse() : sorted;
}

/** RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> = typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export function registerVmRoutes(app: FastifyInstance, host: Host): void {
  const listCache = { version: "", answers: new Map<string, Buffer>() };
  app.get("/api/v1/vms", {
    schema: {
      querystring: Type.Object({
        state: Type.Optional(literalUnion(VM_STATES)),
        name: Type.Optional(Type.String({ maxLength: 64, description: 'a name pattern, e.g. "web-*"' })),
        sort: Type.Optional(literalUnion(SORT_KEYS)),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
        offset: Type.Optional(Type.Integer({ minimum: 0 })),
      }, { additionalProperties: false }),
      response: responses({ 200: VmListSchema }),
      summary: "List the VMs the caller may read (vm.read at host scope: all; else those of its grants), filtered by state and name pattern, sorted and paged",
    },
  }, async (request, reply) => {
    const query = request.query as { state?: string; name?: string; sort?: SortKey; limit?: number; offset?: number };
    // Listing is the hottest read: the answer is kept, serialized, until an event or a definition changes it.
    // It lists the VMs the principal may read: all of them with vm.read at host scope (one shared
    // answer), else those of its grants that hold vm.read (an answer per set of such VMs).
    const principal = principalOf(request);
    const readable = can(principal, "vm.read") ? undefined : new Set([...principal.vms].filter(([, held]) => held.has("vm.read")).map(([vm]) => vm));
    host.inventory.scan(false);
    const version = `${host.events.lastId}/${host.inventory.generation}`;
    const key = readable === undefined ? request.url : `${[...readable].sort().join(",")} ${request.url}`;
    if (listCache.version !== version) { listCache.version = version; listCache.answers.clear(); }
    let body = listCache.answers.get(key);
    if (body === undefined) {
      const all = host.vms.list();
      body = Buffer.from(JSON.stringify(listVms(readable === undefined ? all : all.filter((vm) => readable.has(vm.name)), query)));
      if (listCache.answers.size < 64) listCache.answers.set(key, body);
    }
    return reply.type("application/json; charset=utf-8").send(body);
  });

  function listVms(all: VmSummary[], query: { state?: string; name?: string; sort?: SortKey; limit?: number; offset?: number }) {
    let vms = all;
    if (query.state) vms = vms.filter((vm) => vm.state === query.state);
    if (query.name) { const matches = compileNamePattern(query.name); vms = vms.filter((vm) => matches(vm.name)); }
    if (query.sort) vms = sortVms(vms, query.sort);
    const offset = query.offset ?? 0;
    return { vms: vms.slice(offset, query.limit === undefined ? undefined : offset + query.limit), total: vms.length };
  }

  app.post("/api/v1/vms::batch", { schema: { body: BatchRequestSchema, response: responses({ 202: TaskSchema }, 404), summary: "One power action on many VMs: a parent task with a child task per VM" } }, async (request, reply) => {
    const task = startBatch(host.power, host.tasks, host.inventory, request.body as BatchRequest, userOf(request));
    return reply.status(202).header("Location", `/api/v1/tasks/${task.id}`).send(task);
  });

  // The whole definition as JSON (PUT) or a JSON merge patch of it (PATCH), guarded by If-Match.
  // Written back as TOML: comments of a hand-written file are kept only by the TOML route.
  for (const method of ["PUT", "PATCH"] as const) {
    app.route({
      method, url: "/api/v1/vms/:name",
      schema: {
        params: VmNameParamsSchema, body: Type.Object({}, { additionalProperties: true }), response: responses({ 200: VmDetailSchema }, 404, 409, 412),
        summary: method === "PUT" ? "Replace the definition (JSON), guarded by If-Match" : "Change the definition with a JSON merge patch, guarded by If-Match",
      },
      handler: async (request, reply) => {
        const { name } = request.params;
        // The patch applies to the definition as it is in the VM's exclusive section.
        const vm = await host.vms.updateDefinition(name, (entry) => {
          const current = parseToml(entry.text) as Record<string, unknown>;
          const next = method === "PUT" ? (request.body as Record<string, unknown>) : mergePatch(current, request.body);
          // Validated before rendered as TOML: TOML has no null and no mixed arrays, so junk must stop here.
          return renderDefinition(next, entry.file).text;
        }, request.headers["if-match"], updateGuard(host, request, name));
        return reply.header("ETag", vm.etag).send(vm);
      },
    });
  }

  app.post("/api/v1/vms", {
    schema: {
      querystring: Type.Object({ datastore: Type.Optional(Type.String()) }, { additionalProperties: false }),
      response: responses({ 201: VmDetailSchema }, 404, 409, 413, 415),
      summary: "Define a VM from a JSON definition, or TOML with Content-Type: application/toml",
    },
  }, async (request, reply) => {
    const { datastore } = request.query as { datastore?: string };
    const body = request.body;
    const authorize = createGuard(host, request);
    const vm = typeof body === "string"
      ? await host.vms.create({ toml: body, authorize, ...(datastore ? { datastore } : {}) })
      : await host.vms.create({ json: body, authorize, ...(datastore ? { datastore } : {}) });
    return reply.status(201).header("Location", `/api/v1/vms/${vm.name}`).header("ETag", vm.etag).send(vm);
  });

  app.get("/api/v1/vms/:name", { schema: { params: VmNameParamsSchema, response: responses({ 200: VmDetailSchema }, 404), summary: "A VM: state, process and definition" } }, async (request, reply) => {
    const vm = host.vms.detail((request.params as { name: string }).name);
    return reply.header("ETag", vm.etag).send(vm);
  });

  app.delete("/api/v1/vms/:name", {
    schema: {
      params: VmNameParamsSchema, querystring: Type.Object({ keepDisks: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: responses({ 200: DestroyResultSchema }, 404, 409), summary: "Destroy a stopped VM and its files (keepDisks keeps disk images)",
    },
  }, async (request) => {
    return host.vms.destroy(request.params.name, request.query.keepDisks ?? false);
  });

  app.get("/api/v1/vms/:name/definition", { schema: { params: VmNameParamsSchema, response: responses({ 200: { description: "the TOML as written", content: { "application/toml": { schema: T.String() } } } }, 404), summary: "The definition as written (TOML), with its ETag" } }, async (request, reply) => {
    const entry = host.inventory.get((request.params as { name: string }).name);
    return reply.header("Content-Type", "application/toml; charset=utf-8").header("ETag", entry.etag).send(entry.text);
  });

  app.put("/api/v1/vms/:name/definition", { schema: { params: VmNameParamsSchema, consumes: ["application/toml"], response: responses({ 200: VmDetailSchema }, 404, 409, 412, 415), summary: "Replace the definition with TOML, guarded by If-Match" } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    if (typeof request.body !== "string") throw new VmctlError("unsupported_media_type", "send the definition as TOML with Content-Type: application/toml");
    const ifMatch = request.headers["if-match"];
    const body = request.body;
    const vm = await host.vms.updateDefinition(name, body, ifMatch, updateGuard(host, request, name));
    return reply.header("ETag", vm.etag).send(vm);
  });
}
