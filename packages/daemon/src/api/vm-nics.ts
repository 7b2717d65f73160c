// A VM's NICs: /api/v1/vms/{name}/nics. Changes answer once done; an unplug waits for the guest to
// let the NIC go (up to 30 s), as a disk's does.
import { VmNameParamsSchema, NicIdParamsSchema, NicAddRequestSchema, NicLinkRequestSchema, NicInfoSchema, NicListSchema } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";

export function registerNicRoutes(app: ApiApp, host: Host): void {
  app.get("/api/v1/vms/:name/nics", { schema: { params: VmNameParamsSchema, response: responses({ 200: NicListSchema }, 404), summary: "The VM's NICs: network, model, MAC, link, and while it runs its taps and addresses" } }, async (request) => {
    await host.addresses.refresh();
    return { nics: host.nics.list(request.params.name) };
  });

  app.post("/api/v1/vms/:name/nics", { schema: { params: VmNameParamsSchema, body: NicAddRequestSchema, response: responses({ 201: NicInfoSchema }, 404, 409), summary: "Add a NIC on a host network (MAC allocated unique unless given); hot-plugged into a running VM" } }, async (request, reply) => {
    const nic = await host.nics.add(request.params.name, request.body);
    return reply.status(201).send(nic);
  });

  app.delete("/api/v1/vms/:name/nics/:id", { schema: { params: NicIdParamsSchema, response: responses({ 200: NicInfoSchema }, 404, 409, 504), summary: "Remove a NIC (hot-unplugged from a running VM, its tap removed); answers with the NIC removed" } }, async (request) => {
    const { name, id } = request.params;
    return host.nics.remove(name, id);
  });

  app.put("/api/v1/vms/:name/nics/:id/link", { schema: { params: NicIdParamsSchema, body: NicLinkRequestSchema, response: responses({ 200: NicInfoSchema }, 404, 409), summary: "Set a NIC's link up or down (live while running, kept in the definition for the next start)" } }, async (request) => {
    const { name, id } = request.params;
    return host.nics.setLink(name, id, request.body.link);
  });
}
