// Who made a request, as tasks and events name them: the authenticated principal.
import type { FastifyRequest } from "fastify";

export function userOf(request: FastifyRequest): string {
  return request.principal?.name ?? "anonymous";
}
