// /api/v1/isos: the ISO library of every datastore. Uploading an ISO is a PUT into <ds>/files/iso/.
import { IsoListSchema } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";

export function registerIsoRoutes(app: ApiApp, host: Host): void {
  app.get("/api/v1/isos", {
    schema: { response: responses({ 200: IsoListSchema }), summary: "ISO images (iso/*.iso of every datastore) with size, mtime and SHA-256 (null with checksumPending until computed)" },
  }, async () => ({ isos: await host.isos.list() }));
}
