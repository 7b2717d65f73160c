// vmcenter's OpenAPI document, generated from the TypeBox schemas its routes validate with, at
// /api/v1/openapi.json (as vmctld's).
import type { FastifyInstance } from "fastify";
import swagger from "@fastify/swagger";
import { ErrorBodySchema } from "@vmctl/api-types";

/** A route's success answers plus the error body for each error status (typed as the successes). */
export function responses<Success extends Record<number, unknown>>(success: Success, ...errorStatuses: number[]): Success {
  const all: Record<number, unknown> = { ...success };
  for (const status of [400, 500, ...errorStatuses]) all[status] = ErrorBodySchema;
  return all as Success;
}

export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "vmcenter API", version,
        description: "The v1 API of vmcenter, the cluster controller: /api/v1/cluster/… for hosts, placement, migration and maintenance, plus every host route for the VMs of the cluster, forwarded to the owning host. Same conventions as vmctld: long operations answer 202 with a task; errors are {\"error\":{\"code\",\"message\",\"details\"}}.",
      },
    },
  });
  app.get("/api/v1/openapi.json", { config: { role: "public" }, schema: { hide: true } }, async () => app.swagger());
}
