// Wire types of the storage API: disks, CD-ROM media, snapshots, clones and templates.
import { Type, type Static } from "@sinclair/typebox";
import { NAME_PATTERN, SIZE_PATTERN } from "./definition-schema.js";

const Id = (description: string) => Type.String({ pattern: NAME_PATTERN, description });

export const DiskIdParamsSchema = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }), id: Type.String({ pattern: NAME_PATTERN }) });

export const DiskAddRequestSchema = Type.Object({
  id: Type.Optional(Id("device id, e.g. disk1 (default: the next free diskN)")),
  size: Type.Optional(Type.String({ pattern: SIZE_PATTERN, description: "create a new image of this size, e.g. \"10GiB\"" })),
  file: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "an existing image, relative to the datastore (default: a new <vm>/<id>.qcow2)" })),
  datastore: Type.Optional(Id("datastore of the file (default: the VM's)")),
  format: Type.Optional(Type.Union([Type.Literal("qcow2"), Type.Literal("raw")])),
  bus: Type.Optional(Type.Union([Type.Literal("virtio"), Type.Literal("sata"), Type.Literal("scsi"), Type.Literal("ide")], { description: "virtio (default) is the one that hot-plugs into a running VM" })),
  readonly: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type DiskAddRequest = Static<typeof DiskAddRequestSchema>;

export const DiskResizeRequestSchema = Type.Object({
  size: Type.String({ pattern: SIZE_PATTERN, description: "the new size; disks only grow" }),
}, { additionalProperties: false });

export const DiskDetachQuerySchema = Type.Object({
  delete: Type.Optional(Type.Boolean({ description: "also delete the image file (only a file inside the VM's folder)" })),
}, { additionalProperties: false });

export const MediaRequestSchema = Type.Object({
  iso: Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()], { description: "an ISO relative to the datastore, e.g. \"iso/debian.iso\"; null ejects" }),
  datastore: Type.Optional(Id("datastore of the ISO (default: the VM's)")),
}, { additionalProperties: false });

export type MediaRequest = Static<typeof MediaRequestSchema>;

export const CdromAddRequestSchema = Type.Object({
  id: Type.Optional(Id("device id, e.g. cdrom1 (default: the next free cdromN)")),
  bus: Type.Optional(Type.Union([Type.Literal("sata"), Type.Literal("ide"), Type.Literal("scsi")])),
  iso: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: "an ISO to load, relative to the datastore" })),
  datastore: Type.Optional(Id("datastore of the ISO (default: the VM's)")),
}, { additionalProperties: false });
export type CdromAddRequest = Static<typeof CdromAddRequestSchema>;

export const DiskInfoSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal("disk"), Type.Literal("cdrom")]),
  bus: Type.String(),
  format: Type.Optional(Type.String()),
  file: Type.Optional(Type.String()),
  datastore: Type.String(),
  path: Type.Optional(Type.String()),
  virtualSizeBytes: Type.Optional(Type.Integer()),
  allocatedBytes: Type.Optional(Type.Integer()),
  backingFile: Type.Optional(Type.String()),
  readonly: Type.Boolean(),
});
export const DiskListSchema = Type.Object({ disks: Type.Array(DiskInfoSchema) });
export type DiskInfo = Static<typeof DiskInfoSchema>;
export const DiskDetachAnswerSchema = Type.Object({ deleted: Type.Union([Type.String(), Type.Null()], { description: "the image file deleted, or null when it was kept" }) });
export type DiskDetachAnswer = Static<typeof DiskDetachAnswerSchema>;

export const SnapshotRequestSchema = Type.Object({
  name: Id("snapshot name"),
  description: Type.Optional(Type.String({ maxLength: 1024 })),
  memory: Type.Optional(Type.Boolean({ description: "include the memory of a running VM, so a revert resumes exactly there (default: true while running)" })),
}, { additionalProperties: false });
export type SnapshotRequest = Static<typeof SnapshotRequestSchema>;

export const SnapshotSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  parent: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  memory: Type.Boolean({ description: "holds the memory state: a revert resumes the guest where it was" }),
  vmState: Type.String({ description: "the VM's state when taken" }),
  disks: Type.Array(Type.String()),
  current: Type.Boolean({ description: "the snapshot the VM's present state descends from" }),
  children: Type.Array(Type.String()),
});
export type Snapshot = Static<typeof SnapshotSchema>;
export const SnapshotListSchema = Type.Object({ current: Type.Union([Type.String(), Type.Null()]), snapshots: Type.Array(SnapshotSchema) });
export type SnapshotList = Static<typeof SnapshotListSchema>;
export const SnapshotParamsSchema = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }), snap: Type.String({ pattern: NAME_PATTERN }) });

export const CloneRequestSchema = Type.Object({
  name: Id("the new VM's name"),
  linked: Type.Optional(Type.Boolean({ description: "a qcow2 overlay on the template's disks: constant time (the source must be a template)" })),
  snapshot: Type.Optional(Id("clone the disks as they were at this snapshot")),
  datastore: Type.Optional(Id("datastore of the new VM (default: the source's)")),
  start: Type.Optional(Type.Boolean({ description: "start the clone when it is made" })),
}, { additionalProperties: false });
export type CloneRequest = Static<typeof CloneRequestSchema>;
