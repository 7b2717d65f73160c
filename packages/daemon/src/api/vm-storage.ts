// A VM's disks and CD-ROM media: /api/v1/vms/{name}/disks and /cdroms. Quick changes answer at
// once; a hot-unplug waits for the guest to let the disk go (up to 30 s).
import {
  VmNameParamsSchema, DiskIdParamsSchema, DiskAddRequestSchema, DiskResizeRequestSchema, DiskDetachQuerySchema, MediaRequestSchema,
  DiskInfoSchema, DiskListSchema, CdromAddRequestSchema, DiskDetachAnswerSchema,
} from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import type { Host } from "../host.js";
import { assertFiles } from "./file-access-guards.js";

export function registerStorageRoutes(app: ApiApp, host: Host): void {
  app.get("/api/v1/vms/:name/disks", { schema: { params: VmNameParamsSchema, response: responses({ 200: DiskListSchema }, 404), summary: "The VM's disks and CD-ROM drives, with sizes from the images" } }, async (request) => {
    const { name } = request.params;
    return { disks: await host.disks.list(name) };
  });

  app.post("/api/v1/vms/:name/disks", { schema: { params: VmNameParamsSchema, body: DiskAddRequestSchema, response: responses({ 201: DiskInfoSchema }, 404, 409), summary: "Add a disk: a new image (size) or an existing file; hot-plugged into a running VM (virtio)" } }, async (request, reply) => {
    const { name } = request.params;
    const body = request.body;
    // The file the disk will be (as DiskService resolves it, default name included) must be one the requester may give the VM.
    const disk = await host.disks.add(name, body, (ref) => assertFiles(host, request, name, [{ field: "file", ...ref }]));
    return reply.status(201).send(disk);
  });

  app.delete("/api/v1/vms/:name/disks/:id", { schema: { params: DiskIdParamsSchema, querystring: DiskDetachQuerySchema, response: responses({ 200: DiskDetachAnswerSchema }, 404, 409, 504), summary: "Detach a disk (hot-unplug when running); ?delete=true also deletes its image" } }, async (request) => {
    const { name, id } = request.params;
    const { delete: deleteFile } = request.query;
    return host.disks.detach(name, id, deleteFile ?? false);
  });

  app.post("/api/v1/vms/:name/disks/:id/resize", { schema: { params: DiskIdParamsSchema, body: DiskResizeRequestSchema, response: responses({ 200: DiskInfoSchema }, 404, 409), summary: "Grow a disk (live through block_resize when running)" } }, async (request) => {
    const { name, id } = request.params;
    const { size } = request.body;
    return host.disks.resize(name, id, size);
  });

  app.post("/api/v1/vms/:name/cdroms", { schema: { params: VmNameParamsSchema, body: CdromAddRequestSchema, response: responses({ 201: DiskInfoSchema }, 404, 409), summary: "Add a CD-ROM drive to a stopped VM" } }, async (request, reply) => {
    const { name } = request.params;
    const body = request.body;
    // The requester's right to the ISO does not depend on the VM's state: checked before its section.
    if (body.iso !== undefined) await assertFiles(host, request, name, [{ field: "iso", datastore: body.datastore ?? host.inventory.get(name).datastore, file: body.iso, mode: "read" }]);
    const drive = await host.disks.addCdrom(name, body);
    return reply.status(201).send(drive);
  });

  app.put("/api/v1/vms/:name/cdroms/:id/media", { schema: { params: DiskIdParamsSchema, body: MediaRequestSchema, response: responses({ 200: DiskInfoSchema }, 404, 409), summary: "Insert an ISO into a CD-ROM drive, or eject it (iso null); live while running" } }, async (request) => {
    const { name, id } = request.params;
    const { iso, datastore } = request.body;
    if (iso !== null) await assertFiles(host, request, name, [{ field: "iso", datastore: datastore ?? host.inventory.get(name).datastore, file: iso, mode: "read" }]);
    return host.disks.setMedium(name, id, iso, datastore);
  });
}
