// The desired-state endpoint (PUT /api/v1/vms/{name}/state): a script says where a VM should be and
// never has to read a 409 for "already there". How each state gets there is desiredStep (states.ts).
import { Type, type Static } from "@sinclair/typebox";
import { DESIRED_STATES } from "./states.js";
import { literalUnion } from "./literal-union.js";
import { TaskSchema, VmSummarySchema, type Task, type VmSummary } from "./wire.js";

export const DesiredStateRequestSchema = Type.Object({
  state: literalUnion(DESIRED_STATES),
}, {
  // Refused, not dropped: Fastify's validator silently removes unknown keys where this is `false`.
  additionalProperties: Type.Never(),
  description: "running: start (or resume) it unless it runs; stopped: stop it (graceful, then forced, as stop) unless it is stopped or crashed",
});
export type DesiredStateRequest = Static<typeof DesiredStateRequestSchema>;

/** 200: the VM is there already, and this is its summary (nothing was done, no task made). */
export const DesiredStateThereSchema = VmSummarySchema;
/** 202: the task that gets it there (Location: /api/v1/tasks/{id}). */
export const DesiredStateTaskSchema = TaskSchema;

/** What the client answers: the VM as it is when nothing had to change, or the task that changes it. */
export type DesiredStateResult = { readonly changed: false; readonly vm: VmSummary } | { readonly changed: true; readonly task: Task };
