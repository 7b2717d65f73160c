// POST /api/v1/import (an OVA as the body, or a package already in a datastore) and
// GET /api/v1/vms/{name}/export (the VM as an OVA). Imports answer 202 with their task.
import { Readable } from "node:stream";
import type { FastifyRequest } from "fastify";
import { TaskSchema, VmNameParamsSchema, ImportQuerySchema, ImportBody, OvaAnswer, OVA_MEDIA_TYPES, VmctlError, type ImportFromDatastore, type Task } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";
import { userOf } from "./request-user.js";
import { assertFiles, createGuard, principalOf } from "./file-access-guards.js";
import { can } from "../security/principal.js";
import { fileRefsOf, holdsCloudInitSecrets } from "../security/file-access.js";
import { endRefusedBody } from "./refused-body.js";

export async function registerImportRoutes(app: ApiApp, host: Host): Promise<void> {
  await app.register(async (scope: ApiApp) => {
    // An OVA body is handed over as the request stream: no parsing and no 1 MiB body limit.
    const streams = new WeakMap<FastifyRequest, Readable>();
    for (const type of OVA_MEDIA_TYPES) {
      scope.addContentTypeParser(type, (request, payload, done) => {
        streams.set(request, payload);
        done(null, "");
      });
    }
    scope.post("/api/v1/import", {
      schema: {
        querystring: ImportQuerySchema,
        body: ImportBody,
        response: responses({ 202: TaskSchema }, 404, 409, 413, 415),
        summary: "Import a VM: an OVA as the body, or an OVA/OVF/libvirt XML already in a datastore; the disks are converted to qcow2 as a task",
      },
    }, async (request, reply) => {
      const user = userOf(request);
      const stream = streams.get(request);
      let task: Task;
      if (stream) {
        const query = request.query;
        const length = request.headers["content-length"];
        try {
          task = await host.imports.fromUpload(stream, length === undefined ? undefined : Number(length), { ...query, authorizeDefinition: createGuard(host, request) }, user);
        } catch (error) {
          endRefusedBody(request, reply, stream);
          throw error;
        }
      } else {
        // Checked against ImportFromDatastoreSchema as JSON (the body's schema is per media type, which the type provider does not follow).
        const body = request.body as ImportFromDatastore;
        // The package is read into a new VM: it must be a file its requester may read (not another VM's).
        // (The new VM has no files yet: "" is no VM's name.)
        await assertFiles(host, request, "", [{ field: "path", datastore: body.datastore, file: body.path, mode: "read" }]);
        // A libvirt domain names its disks by host path: each must be one the requester may read, too.
        const authorizeFiles = (paths: string[]) => assertFiles(host, request, "", paths.map((path) => ({ field: "path", datastore: body.datastore, file: path, mode: "read" as const })));
        task = await host.imports.fromDatastore({ datastore: body.datastore, path: body.path }, {
          authorizeFiles, authorizeDefinition: createGuard(host, request), ...(body.name ? { name: body.name } : {}), ...(body.targetDatastore ? { datastore: body.targetDatastore } : {}), ...(body.start ? { start: true } : {}),
        }, user);
      }
      return reply.status(202).header("Location", `/api/v1/tasks/${task.id}`).send(task);
    });
  });

  app.get("/api/v1/vms/:name/export", {
    schema: {
      params: VmNameParamsSchema,
      response: responses({ 200: OvaAnswer }, 404, 409),
      summary: "Export a stopped VM as an OVA that VMware and vmctl import; the disk conversion is a task (vm.export) named in X-Vmctl-Task",
    },
  }, async (request, reply) => {
    const { name } = request.params;
    // The OVA carries the definition as written, [cloud_init] password hashes and user-data too,
    // which GET /vms/{name} hides from whoever lacks vm.edit: so they need vm.edit, as its disks do.
    const principal = principalOf(request);
    const secrets = holdsCloudInitSecrets(host.inventory.get(name));
    for (const privilege of ["vm.read", ...(secrets ? ["vm.edit" as const] : [])] as const) {
      if (!can(principal, privilege, name)) {
        throw new VmctlError("forbidden", `${principal.name} may not export VM "${name}": ${privilege === "vm.read" ? "the OVA holds its definition" : "its definition holds [cloud_init] password hashes or user-data"}, which needs the privilege "${privilege}" on VM "${name}"`, { privilege, vm: name });
      }
    }
    // The OVA carries the VM's disks: reading them needs what downloading them needs (vm.edit on the VM).
    await assertFiles(host, request, "", fileRefsOf(host.inventory.definition(name), host.inventory.get(name).datastore).filter((ref) => ref.field.startsWith("disks.")).map((ref) => ({ ...ref, mode: "read" as const })));
    const ova = await host.exports.prepare(name, userOf(request));
    ova.stream.on("error", (error) => ova.done(false, error));
    reply.raw.on("close", () => ova.done(reply.raw.writableFinished));
    return reply.type("application/x-tar").header("content-length", String(ova.size))
      .header("content-disposition", `attachment; filename="${ova.name}"`).header("x-vmctl-task", ova.taskId)
      .send(ova.stream);
  });
}
