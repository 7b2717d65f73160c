// A host's migration routes, which vmcenter drives (vm.migrate: Admin only). Live, on shared
// storage: POST /migrations/incoming on the target (a QEMU waiting for the stream, its uri), then
// POST /vms/{name}/migrate-out on the source (a task; DELETE /tasks/{id} cancels it); GET and
// DELETE /migrations/{id} follow or end the target's side. Cold, on copied storage: POST
// /migrations/register writes the definition beside the copied disks, keeping the uuid.
import {
  IncomingMigrationAnswerSchema, IncomingMigrationRequestSchema, MigrateOutRequestSchema, MigrationParamsSchema, MigrationStatusSchema,
  RegisterMigrationRequestSchema, TaskSchema, VmDetailSchema, VmNameParamsSchema,
} from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";
import { userOf } from "./request-user.js";
import { VmMigrations } from "../domain/vm-migration.js";

export function registerMigrationRoutes(app: ApiApp, host: Host, migrations = new VmMigrations(host)): void {
  // The app is built once the host has started (main.ts): incoming QEMUs of a vmctld before this one end.
  app.addHook("onReady", async () => {
    void migrations.sweep().catch((error: unknown) => host.log.warn({ err: error }, "could not look for incoming migrations left by the last vmctld"));
  });
  app.post("/api/v1/migrations/incoming", {
    schema: {
      body: IncomingMigrationRequestSchema, response: responses({ 201: IncomingMigrationAnswerSchema }, 403, 404, 409),
      summary: "Target of a live migration: start a QEMU waiting for the VM whose folder is on a shared datastore; the answer's uri goes to migrate-out on the source",
    },
  }, async (request, reply) => {
    const answer = await migrations.incoming(request.body);
    return reply.status(201).header("Location", `/api/v1/migrations/${answer.id}`).send(answer);
  });

  app.get("/api/v1/migrations/:id", {
    schema: { params: MigrationParamsSchema, response: responses({ 200: MigrationStatusSchema }, 403, 404), summary: "An incoming migration: waiting, running, completed (the VM runs here), failed or cancelled" },
  }, async (request) => migrations.status(request.params.id));

  app.delete("/api/v1/migrations/:id", {
    schema: { params: MigrationParamsSchema, response: responses({ 200: MigrationStatusSchema }, 403, 404, 409), summary: "End an incoming migration that has not completed: its QEMU is killed; the VM stays the source's" },
  }, async (request) => migrations.cancelIncoming(request.params.id));

  app.post("/api/v1/vms/:name/migrate-out", {
    schema: {
      params: VmNameParamsSchema, body: MigrateOutRequestSchema, response: responses({ 202: TaskSchema }, 403, 404, 409),
      summary: "Source of a live migration: stream the running VM to the target's uri; a task (result: downtimeMs, bytes, totalMs) that DELETE /api/v1/tasks/{id} cancels, leaving the VM running here",
    },
  }, async (request, reply) => {
    const task = migrations.migrateOut(request.params.name, request.body, userOf(request));
    return reply.status(202).header("Location", `/api/v1/tasks/${task.id}`).send(task);
  });

  app.post("/api/v1/migrations/register", {
    schema: {
      body: RegisterMigrationRequestSchema, response: responses({ 201: VmDetailSchema }, 403, 404, 409),
      summary: "Target of a cold migration on copied storage: define the VM whose disk files were copied into the datastore, keeping its uuid",
    },
  }, async (request, reply) => {
    const vm = await migrations.register(request.body);
    return reply.status(201).header("Location", `/api/v1/vms/${vm.name}`).header("ETag", vm.etag).send(vm);
  });
}
