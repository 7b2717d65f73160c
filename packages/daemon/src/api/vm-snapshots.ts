// Snapshots, clones and templates: /api/v1/vms/{name}/snapshots, /clone and /template. Taking,
// reverting, deleting and cloning are tasks (202 with the task and its Location).
import type { FastifyReply } from "fastify";
import {
  VmNameParamsSchema, SnapshotParamsSchema, SnapshotRequestSchema, SnapshotListSchema, CloneRequestSchema, TaskSchema, TemplateAnswerSchema, VmctlError,
  type Task,
} from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";
import { userOf } from "./request-user.js";
import { assertFiles, principalOf, updateGuard } from "./file-access-guards.js";
import { fileRefsOf, holdsCloudInitSecrets } from "../security/file-access.js";
import { can } from "../security/principal.js";

const accepted = (reply: FastifyReply, task: Task) => reply.status(202).header("Location", `/api/v1/tasks/${task.id}`).send(task);

export function registerSnapshotRoutes(app: ApiApp, host: Host): void {
  app.get("/api/v1/vms/:name/snapshots", { schema: { params: VmNameParamsSchema, response: responses({ 200: SnapshotListSchema }, 404), summary: "The VM's snapshots as a tree (parent, children) with the current position" } }, async (request) => {
    const { name } = request.params;
    return host.snapshots.list(name);
  });

  app.post("/api/v1/vms/:name/snapshots", { schema: { params: VmNameParamsSchema, body: SnapshotRequestSchema, response: responses({ 202: TaskSchema }, 404, 409), summary: "Take a snapshot: with memory while running (default), of the disks otherwise" } }, async (request, reply) => {
    const { name } = request.params;
    return accepted(reply, await host.snapshots.create(name, request.body, userOf(request)));
  });

  app.post("/api/v1/vms/:name/snapshots/:snap/revert", { schema: { params: SnapshotParamsSchema, response: responses({ 202: TaskSchema }, 404, 409), summary: "Revert to a snapshot: the guest resumes where it was (memory) or the VM is left stopped (disks only)" } }, async (request, reply) => {
    const { name, snap } = request.params;
    // The snapshot's definition comes back: the files it adds need what adding them by an edit needs.
    return accepted(reply, await host.snapshots.revert(name, snap, userOf(request), updateGuard(host, request, name)));
  });

  app.delete("/api/v1/vms/:name/snapshots/:snap", { schema: { params: SnapshotParamsSchema, response: responses({ 202: TaskSchema }, 404, 409), summary: "Delete a snapshot; its children hang from its parent" } }, async (request, reply) => {
    const { name, snap } = request.params;
    return accepted(reply, await host.snapshots.remove(name, snap, userOf(request)));
  });

  app.post("/api/v1/vms/:name/clone", { schema: { params: VmNameParamsSchema, body: CloneRequestSchema, response: responses({ 202: TaskSchema }, 404, 409), summary: "Clone a VM: a full copy (of a stopped VM or a snapshot) or a linked clone of a template" } }, async (request, reply) => {
    const { name } = request.params;
    const body = request.body;
    // A clone reads every file of its source (copies, or backing files of a linked clone): the
    // source's folder and disks need vm.edit on it, shared media the datastore's read privilege.
    const entry = host.inventory.get(name);
    const source = host.inventory.definition(name);
    // (The clone has no files yet: "" is no VM's name, so even a clash with an existing name grants nothing.)
    await assertFiles(host, request, "", fileRefsOf(source, entry.datastore).map((ref) => ({ ...ref, mode: "read" as const })));
    // A clone of a snapshot copies the definition saved with it, whose files may be others.
    const saved = body.snapshot === undefined ? undefined : await host.snapshots.definitionAt(name, body.snapshot);
    if (saved) {
      await assertFiles(host, request, "", fileRefsOf(saved, entry.datastore).map((ref) => ({ ...ref, mode: "read" as const })));
    }
    // The clone's guest gets the source's [cloud_init] (hashes in its /etc/shadow, user-data on its
    // disk), which GET /vms/{name} hides from whoever lacks vm.edit on the source.
    const principal = principalOf(request);
    if (!can(principal, "vm.edit", name) && (holdsCloudInitSecrets(entry) || (saved !== undefined && holdsCloudInitSecrets({ text: "", def: saved })))) {
      throw new VmctlError("forbidden", `${principal.name} may not clone VM "${name}": its definition holds [cloud_init] password hashes or user-data, which the clone would carry; that needs the privilege "vm.edit" on VM "${name}"`, { privilege: "vm.edit", vm: name });
    }
    return accepted(reply, await host.clones.clone(name, body, userOf(request)));
  });

  app.post("/api/v1/vms/:name/template", { schema: { params: VmNameParamsSchema, response: responses({ 200: TemplateAnswerSchema }, 404, 409), summary: "Make a stopped VM a template: it no longer starts or changes; clones deploy from it" } }, async (request) => {
    const { name } = request.params;
    await host.clones.setTemplate(name, true);
    return { name, template: true };
  });

  app.delete("/api/v1/vms/:name/template", { schema: { params: VmNameParamsSchema, response: responses({ 200: TemplateAnswerSchema }, 404, 409), summary: "Make a template a VM again (refused while linked clones read its disks)" } }, async (request) => {
    const { name } = request.params;
    await host.clones.setTemplate(name, false);
    return { name, template: false };
  });
}
