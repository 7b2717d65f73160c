// /api/v1/vms: list, create (JSON or TOML), show, destroy, and the definition as written.
import { parse as parseToml } from "smol-toml";
import {
  VmNameParamsSchema, VmctlError, BatchRequestSchema, VmListSchema, VmDetailSchema, TaskSchema, DestroyResultSchema, VmListQuerySchema, VmCreateQuerySchema,
  VmDestroyQuerySchema, VmRenameBodySchema, VmCreateBody, VmDefinitionBodySchema, VmDefinitionPatchSchema, TomlDefinitionAnswer, TomlDefinitionBody,
  type VmSummary, type VmSortKey, type VmListQuery, type VmList,
} from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { definitionBodyValidator } from "./definition-body.js";
import { responses } from "./openapi.js";
import { renderDefinition } from "../domain/definition-store.js";
import type { Host } from "../host.js";
import { startBatch } from "../domain/vm-batch.js";
import { renameVm } from "../domain/vm-rename.js";
import { compileNamePattern } from "../domain/name-pattern.js";
import { userOf } from "./request-user.js";
import { createGuard, principalOf, updateGuard } from "./file-access-guards.js";
import { can } from "../security/principal.js";
import { hideCloudInitSecrets, hideCloudInitSecretsToml } from "../domain/cloud-init.js";

function sortVms(vms: VmSummary[], key: VmSortKey): VmSummary[] {
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

/** How deep a merge patch may nest: a definition is three levels deep (disks.disk0.file); 100,000 levels blew the stack (a 500). */
export const MAX_PATCH_DEPTH = 16;

/** RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown, path: string[] = []): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  if (path.length >= MAX_PATCH_DEPTH) {
    throw new VmctlError("bad_request", `${path.join(".")}: nested deeper than ${MAX_PATCH_DEPTH} levels; a definition is at most three deep (disks.disk0.file)`);
  }
  const result: Record<string, unknown> = typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value, [...path, key]);
  }
  return result;
}

export function registerVmRoutes(app: ApiApp, host: Host): void {
  const listCache = { version: "", answers: new Map<string, Buffer>() };
  app.get("/api/v1/vms", {
    schema: {
      querystring: VmListQuerySchema,
      response: responses({ 200: VmListSchema }),
      summary: "List the VMs the caller may read (vm.read at host scope: all; else those of its grants), filtered by state and name pattern, sorted and paged",
    },
  }, async (request, reply) => {
    const query = request.query;
    // Listing is the hottest read: the answer is kept, serialized, until an event or a definition changes it.
    // It lists the VMs the principal may read: all of them with vm.read at host scope (one shared
    // answer), else those of its grants that hold vm.read (an answer per set of such VMs).
    const principal = principalOf(request);
    const readable = can(principal, "vm.read") ? undefined : new Set([...principal.vms].filter(([, held]) => held.has("vm.read")).map(([vm]) => vm));
    host.inventory.scan(false);
    await host.addresses.refresh();
    const version = `${host.events.lastId}/${host.inventory.generation}/${host.addresses.generation}`;
    const key = readable === undefined ? request.url : `${[...readable].sort().join(",")} ${request.url}`;
    if (listCache.version !== version) { listCache.version = version; listCache.answers.clear(); }
    let body = listCache.answers.get(key);
    if (body === undefined) {
      const all = host.vms.list();
      const answer: VmList = listVms(readable === undefined ? all : all.filter((vm) => readable.has(vm.name)), query);
      body = Buffer.from(JSON.stringify(answer));
      if (listCache.answers.size < 64) listCache.answers.set(key, body);
    }
    // A Buffer goes out as it is, past the serializer: the one answer typed above, not by the route.
    return reply.type("application/json; charset=utf-8").send(body as unknown as VmList);
  });

  function listVms(all: VmSummary[], query: VmListQuery) {
    let vms = all;
    if (query.state) vms = vms.filter((vm) => vm.state === query.state);
    if (query.name) { const matches = compileNamePattern(query.name); vms = vms.filter((vm) => matches(vm.name)); }
    if (query.sort) vms = sortVms(vms, query.sort);
    const offset = query.offset ?? 0;
    return { vms: vms.slice(offset, query.limit === undefined ? undefined : offset + query.limit), total: vms.length };
  }

  app.post("/api/v1/vms::batch", { schema: { body: BatchRequestSchema, response: responses({ 202: TaskSchema }, 404), summary: "One power action on many VMs: a parent task with a child task per VM" } }, async (request, reply) => {
    const task = startBatch(host.power, host.tasks, host.inventory, request.body, userOf(request));
    return reply.status(202).header("Location", `/api/v1/tasks/${task.id}`).send(task);
  });

  // The whole definition as JSON (PUT) or a JSON merge patch of it (PATCH), guarded by If-Match.
  // Written back as TOML: comments of a hand-written file are kept only by the TOML route.
  const validatorCompiler = definitionBodyValidator(app);
  for (const method of ["PUT", "PATCH"] as const) {
    app.route({
      method, url: "/api/v1/vms/:name", validatorCompiler,
      schema: {
        params: VmNameParamsSchema, body: method === "PUT" ? VmDefinitionBodySchema : VmDefinitionPatchSchema, response: responses({ 200: VmDetailSchema }, 404, 409, 412),
        summary: method === "PUT" ? "Replace the definition (JSON), guarded by If-Match" : "Change the definition with a JSON merge patch, guarded by If-Match",
      },
      handler: async (request, reply) => {
        const { name } = request.params;
        // The patch applies to the definition as it is in the VM's exclusive section.
        const vm = await host.vms.updateDefinition(name, (entry) => {
          const current = parseToml(entry.text) as Record<string, unknown>;
          const next = method === "PUT" ? request.body : mergePatch(current, request.body);
          // Validated before rendered as TOML: TOML has no null and no mixed arrays, so junk must stop here.
          return renderDefinition(next, entry.file).text;
        }, request.headers["if-match"], updateGuard(host, request, name));
        return reply.header("ETag", vm.etag).send(vm);
      },
    });
  }

  app.post("/api/v1/vms", {
    validatorCompiler,
    schema: {
      querystring: VmCreateQuerySchema, body: VmCreateBody,
      response: responses({ 201: VmDetailSchema }, 404, 409, 413, 415),
      summary: "Define a VM from a JSON definition, or TOML with Content-Type: application/toml",
    },
  }, async (request, reply) => {
    const { datastore } = request.query;
    const body = request.body;
    const authorize = createGuard(host, request);
    const vm = typeof body === "string"
      ? await host.vms.create({ toml: body, authorize, ...(datastore ? { datastore } : {}) })
      : await host.vms.create({ json: body, authorize, ...(datastore ? { datastore } : {}) });
    return reply.status(201).header("Location", `/api/v1/vms/${vm.name}`).header("ETag", vm.etag).send(vm);
  });

  app.get("/api/v1/vms/:name", { schema: { params: VmNameParamsSchema, response: responses({ 200: VmDetailSchema }, 404), summary: "A VM: state, process and definition" } }, async (request, reply) => {
    await host.addresses.refresh();
    const vm = host.vms.detail(request.params.name);
    // A reader who may not change the VM does not see [cloud_init]'s password hashes and user-data.
    return reply.header("ETag", vm.etag).send(can(principalOf(request), "vm.edit", vm.name) ? vm : hideCloudInitSecrets(vm));
  });

  app.delete("/api/v1/vms/:name", {
    schema: {
      params: VmNameParamsSchema, querystring: VmDestroyQuerySchema,
      response: responses({ 200: DestroyResultSchema }, 404, 409), summary: "Destroy a stopped VM and its files (keepDisks keeps disk images)",
    },
  }, async (request) => {
    return host.vms.destroy(request.params.name, request.query.keepDisks ?? false);
  });

  app.post("/api/v1/vms/:name/rename", {
    schema: { params: VmNameParamsSchema, body: VmRenameBodySchema, response: responses({ 200: VmDetailSchema }, 404, 409), summary: "Rename a stopped VM: its folder and definition, atomically; the uuid (grants, port forwards, history) is kept" },
  }, async (request, reply) => {
    const from = request.params.name;
    await renameVm({
      inventory: host.inventory, datastores: host.datastores, runtimes: host.runtimes, lifecycle: host.lifecycle, events: host.events,
      runDir: host.config.runDir, linkedClones: (name) => host.clones.linkedClones(name),
    }, from, request.body.name);
    const vm = host.vms.detail(request.body.name);
    return reply.header("ETag", vm.etag).header("Location", `/api/v1/vms/${vm.name}`).send(can(principalOf(request), "vm.edit", vm.name) ? vm : hideCloudInitSecrets(vm));
  });

  app.get("/api/v1/vms/:name/definition", { schema: { params: VmNameParamsSchema, response: responses({ 200: TomlDefinitionAnswer }, 404), summary: "The definition as written (TOML), with its ETag" } }, async (request, reply) => {
    const entry = host.inventory.get(request.params.name);
    const text = can(principalOf(request), "vm.edit", entry.name) ? entry.text : hideCloudInitSecretsToml(entry.text);
    return reply.header("Content-Type", "application/toml; charset=utf-8").header("ETag", entry.etag).send(text);
  });

  app.put("/api/v1/vms/:name/definition", { validatorCompiler, schema: { params: VmNameParamsSchema, body: TomlDefinitionBody, response: responses({ 200: VmDetailSchema }, 404, 409, 412, 415), summary: "Replace the definition with TOML, guarded by If-Match" } }, async (request, reply) => {
    const { name } = request.params;
    if (typeof request.body !== "string") throw new VmctlError("unsupported_media_type", "send the definition as TOML with Content-Type: application/toml");
    const ifMatch = request.headers["if-match"];
    const body = request.body;
    const vm = await host.vms.updateDefinition(name, body, ifMatch, updateGuard(host, request, name));
    return reply.header("ETag", vm.etag).send(vm);
  });
}
