// /api/v1/networks: the host's networks, read by anyone who may read the host, made, changed and
// removed with network.write (Admin). Only networks added through the API change or go.
import { NetworkCreateRequestSchema, NetworkListSchema, NetworkParamsSchema, NetworkPatchSchema, NetworkRemovedSchema, NetworkSchema, hasProcess } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";

export function registerNetworkRoutes(app: ApiApp, host: Host): void {
  app.get("/api/v1/networks", {
    schema: { response: responses({ 200: NetworkListSchema }), summary: "The host's networks: vmctld.toml's, the default one and those added through the API, with their state" },
  }, async () => ({ networks: host.networks.describe() }));

  app.post("/api/v1/networks", {
    schema: { body: NetworkCreateRequestSchema, response: responses({ 201: NetworkSchema }, 409), summary: "Add a network; a nat or isolated one is brought up at once (bridge, dnsmasq, nftables) and kept across restarts" },
  }, async (request, reply) => reply.status(201).send(await host.networks.create(request.body)));

  app.get("/api/v1/networks/:network", {
    schema: { params: NetworkParamsSchema, response: responses({ 200: NetworkSchema }, 404), summary: "One network" },
  }, async (request) => host.networks.describeOne(request.params.network));

  app.patch("/api/v1/networks/:network", {
    schema: { params: NetworkParamsSchema, body: NetworkPatchSchema, response: responses({ 200: NetworkSchema }, 404, 409), summary: "Change a network added through the API (not its kind) while no running VM uses it" },
  }, async (request) => host.networks.patch(request.params.network, request.body, (vm) => hasProcess(host.runtimes.get(vm).state)));

  app.delete("/api/v1/networks/:network", {
    schema: { params: NetworkParamsSchema, response: responses({ 200: NetworkRemovedSchema }, 404, 409), summary: "Remove a network added through the API, with everything vmctld made for it; refused while a VM's NIC names it" },
  }, async (request) => host.networks.remove(request.params.network));
}
