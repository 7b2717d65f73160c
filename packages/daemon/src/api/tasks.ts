// /api/v1/tasks: follow long work; ?wait=N blocks up to N seconds for the task to end.
import { TaskSchema, TaskListSchema, TaskListQuerySchema, TaskParamsSchema, TaskWaitQuerySchema } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import type { Host } from "../host.js";
import { responses } from "./openapi.js";

export function registerTaskRoutes(app: ApiApp, host: Host): void {
  app.get("/api/v1/tasks", {
    schema: {
      querystring: TaskListQuerySchema,
      response: responses({ 200: TaskListSchema }), summary: "Recent tasks, newest first",
    },
  }, async (request) => ({ tasks: host.tasks.list(request.query) }));

  app.get("/api/v1/tasks/:id", {
    schema: { params: TaskParamsSchema, querystring: TaskWaitQuerySchema, response: responses({ 200: TaskSchema }, 404), summary: "A task; ?wait=N blocks up to N seconds for it to end" },
  }, async (request) => {
    return host.tasks.wait(request.params.id, (request.query.wait ?? 0) * 1000);
  });

  app.delete("/api/v1/tasks/:id", { schema: { params: TaskParamsSchema, response: responses({ 200: TaskSchema }, 404, 409), summary: "Cancel a queued task or a batch" } }, async (request) => {
    return host.tasks.cancel(request.params.id);
  });
}
