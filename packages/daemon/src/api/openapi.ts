// The OpenAPI document is generated from the same TypeBox schemas the routes validate with, served at
// /api/v1/openapi.json, with a reference page at /api/docs.
import type { FastifyInstance } from "fastify";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { ErrorBodySchema } from "@vmctl/api-types";

/**
 * Response schemas for a route: its success answers plus the error body for each error status. Typed
 * as the success answers alone, so the type provider checks what a handler returns against them
 * (errors are thrown, never returned).
 */
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
        title: "vmctl host API", version,
        description: "The v1 API of vmctld. Long operations answer 202 with a task and a Location header; errors are {\"error\":{\"code\",\"message\",\"details\"}} with the codes of docs/errors.md. WebSockets (/ws/events, /ws/vms/{name}, /ws/vms/{name}/console) are described in docs/api.md.",
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });
  app.get("/api/v1/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
