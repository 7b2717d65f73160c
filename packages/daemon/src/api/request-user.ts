// Who made a request, as tasks and events name them: the authenticated principal.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { withEventCause, type OpenEventContext } from "../domain/event-context.js";

export function userOf(request: FastifyRequest): string {
  return request.principal?.name ?? "anonymous";
}

const contexts = new WeakMap<FastifyRequest, OpenEventContext>();

/**
 * Each request's handler runs inside an event context naming its user (the events it records say
 * who), which ends with the response. preHandler, after the body is read: a body arrives on the
 * socket's own async context, which would lose one set earlier.
 */
export function registerEventCause(app: FastifyInstance): void {
  app.addHook("preHandler", (request, _reply, done) => {
    withEventCause({ user: request.principal?.name ?? null }, (context) => {
      contexts.set(request, context);
      done();
    });
  });
  app.addHook("onResponse", async (request) => { contexts.get(request)?.end(); });
}
