// /api/v1/datastores: adding a datastore at run time and removing one that was added (the list is in
// host-info.ts). The directory is never deleted: a datastore removed is only forgotten.
import { DatastoreAddRequestSchema, DatastoreParamsSchema, DatastoreRemovedSchema, DatastoreSchema } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";

export function registerDatastoreRoutes(app: ApiApp, host: Host): void {
  app.post("/api/v1/datastores", {
    schema: { body: DatastoreAddRequestSchema, response: responses({ 201: DatastoreSchema }, 409), summary: "Add a datastore: an absolute directory, made when missing, inside no other datastore" },
  }, async (request, reply) => reply.status(201).send(host.datastoreRegistry.add(request.body)));

  app.delete("/api/v1/datastores/:ds", {
    schema: { params: DatastoreParamsSchema, response: responses({ 200: DatastoreRemovedSchema }, 404, 409), summary: "Remove a datastore added through the API (its files stay); refused while a VM lives there or uses a file on it" },
  }, async (request) => host.datastoreRegistry.remove(request.params.ds));
}
