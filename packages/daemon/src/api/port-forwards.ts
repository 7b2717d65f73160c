// /api/v1/vms/{name}/port-forwards: a VM's port forwards, read with vm.read and added or removed
// with vm.edit (what changing the VM needs); a host port below 1024 also needs network.write, as
// only root takes those on a host.
import { PortForwardListSchema, PortForwardParamsSchema, PortForwardRequestSchema, PortForwardSchema, VmNameParamsSchema } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";
import { can } from "../security/principal.js";

export function registerPortForwardRoutes(app: ApiApp, host: Host): void {
  app.get("/api/v1/vms/:name/port-forwards", {
    schema: { params: VmNameParamsSchema, response: responses({ 200: PortForwardListSchema }, 404), summary: "The VM's port forwards (host port → guest port on its NIC of a nat network)" },
  }, async (request) => ({ portForwards: host.portForwards.list(request.params.name) }));

  app.post("/api/v1/vms/:name/port-forwards", {
    schema: {
      params: VmNameParamsSchema, body: PortForwardRequestSchema, response: responses({ 201: PortForwardSchema }, 403, 404, 409),
      summary: "Forward a host port (every host address, loopback included, or hostAddress) to a guest port; kept across restarts, gone with the VM",
    },
  }, async (request, reply) => {
    const privileged = request.principal ? can(request.principal, "network.write") : false;
    return reply.status(201).send(await host.portForwards.add(request.params.name, request.body, privileged));
  });

  app.delete("/api/v1/vms/:name/port-forwards/:id", {
    schema: { params: PortForwardParamsSchema, response: responses({ 200: PortForwardSchema }, 404), summary: "Remove a port forward; its port refuses at once" },
  }, async (request) => host.portForwards.remove(request.params.name, request.params.id));
}
