// /api/v1/tasks: follow long work; ?wait=N blocks up to N seconds for the task to end.
import type { FastifyInstance } from "fastify";
import { Type } from "@sinclair/typebox";
import { TaskSchema, TaskListSchema } from "@vmctl/api-types";
import type { Host } from "../host.js";
import { responses } from "./openapi.js";

export function registerTaskRoutes(app: FastifyInstance, host: Host): void {
  app.get("/api/v1/tasks", {
    schema: {
      querystring: Type.Object({
        target: Type.Optional(Type.String()), state: Type.Optional(Type.String()), parent: Type.Optional(Type.String({ description: "children of this task" })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      }, { additionalProperties: false }),
      response: responses({ 200: TaskListSchema }), summary: "Recent tasks, newest first",
    },
  }, async (request) => ({ tasks: host.tasks.list(request.query as { target?: string; state?: string; parent?: string; limit?: number }) }));

  app.get("/api/v1/tasks/:id", {
    schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }), querystring: Type.Object({ wait: Type.Optional(Type.Number({ minimum: 0, maximum: 300 })) }, { additionalProperties: false }), response: responses({ 200: TaskSchema }, 404), summary: "A task; ?wait=N blocks up to N seconds for it to end" },
  }, async (request) => {
    const { id } = request.params as { id: string };
    const { wait } = request.query as { wait?: number };
    return host.tasks.wait(id, (wait ?? 0) * 1000);
  });

  app.delete("/api/v1/tasks/:id", { schema: { params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: responses({ 200: TaskSchema }, 404, 409), summary: "Cancel a queued task or a batch" } }, async (request) => {
    return host.tasks.cancel((request.params as { id: string }).id);
  });
}
