// POST /api/v1/vms/{name}/power: every power action is a task; the answer is 202 with its Location.
import type { FastifyInstance } from "fastify";
import { PowerRequestSchema, VmNameParamsSchema, TaskSchema, type PowerRequest } from "@vmctl/api-types";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";
import { userOf } from "./request-user.js";

export function registerPowerRoutes(app: FastifyInstance, host: Host): void {
  app.post("/api/v1/vms/:name/power", { schema: { params: VmNameParamsSchema, body: PowerRequestSchema, response: responses({ 202: TaskSchema }, 404, 409), summary: "start | stop (graceful, then forced) | shutdown (never forced) | restart | reset | pause | resume" } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const task = host.power.request(name, request.body as PowerRequest, userOf(request));
    return reply.status(202).header("Location", `/api/v1/tasks/${task.id}`).send(task);
  });
}
