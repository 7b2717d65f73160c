// POST /api/v1/vms/{name}/power: every power action is a task; the answer is 202 with its Location.
// PUT /api/v1/vms/{name}/state: the desired state, idempotent: 200 with the VM's summary when it is
// there already, 202 with the task that gets it there otherwise.
import { PowerRequestSchema, VmNameParamsSchema, TaskSchema, DesiredStateRequestSchema, DesiredStateThereSchema, DesiredStateTaskSchema } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";
import { userOf } from "./request-user.js";

export function registerPowerRoutes(app: ApiApp, host: Host): void {
  app.post("/api/v1/vms/:name/power", { schema: { params: VmNameParamsSchema, body: PowerRequestSchema, response: responses({ 202: TaskSchema }, 404, 409), summary: "start | stop (graceful, then forced) | shutdown (never forced) | restart | reset | pause | resume" } }, async (request, reply) => {
    const task = host.power.request(request.params.name, request.body, userOf(request));
    return reply.status(202).header("Location", `/api/v1/tasks/${task.id}`).send(task);
  });

  app.put("/api/v1/vms/:name/state", {
    schema: {
      params: VmNameParamsSchema, body: DesiredStateRequestSchema,
      response: responses({ 200: DesiredStateThereSchema, 202: DesiredStateTaskSchema }, 404, 409),
      summary: "Desired state, idempotent: 200 and the VM's summary when it is there already; 202 and a task (start, resume, stop with escalation, or discarding a saved state) otherwise",
    },
  }, async (request, reply) => {
    const { name } = request.params;
    const task = host.power.desired(name, request.body.state, userOf(request));
    if (!task) return reply.status(200).send(host.vms.summary(host.inventory.get(name)));
    return reply.status(202).header("Location", `/api/v1/tasks/${task.id}`).send(task);
  });
}
