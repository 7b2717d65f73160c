// Wire types of the datastore browser and the ISO library: datastores added at run time, directory
// listings, resumable uploads and ISO images with their checksums.
import { Type, type Static } from "@sinclair/typebox";
import { NAME_PATTERN } from "./definition-schema.js";

export const DATASTORE_ORIGINS = ["default", "config", "added"] as const;
export type DatastoreOrigin = (typeof DATASTORE_ORIGINS)[number];

export const DatastoreAddRequestSchema = Type.Object({
  // The pattern (NAME_PATTERN) is checked by vmctld, whose answer says how to fix the name.
  name: Type.String({ minLength: 1, maxLength: 63, description: "lower case letters, digits, '-', '_' and '.', starting with a letter or digit" }),
  path: Type.String({ minLength: 1, maxLength: 4096, description: "an absolute directory on this host; made when it does not exist" }),
  shared: Type.Optional(Type.Boolean({ description: "the same storage is mounted under this name on every host of the cluster (default false): VM folders there carry an owner file, and only their owner lists them" })),
}, { additionalProperties: false });
export type DatastoreAddRequest = Static<typeof DatastoreAddRequestSchema>;

export const DatastoreRemovedSchema = Type.Object({
  name: Type.String(),
  path: Type.String({ description: "the directory, left as it was: removing a datastore deletes no file" }),
});

export const DatastoreParamsSchema = Type.Object({ ds: Type.String({ pattern: NAME_PATTERN }) });
export const DatastorePathParamsSchema = Type.Object({ ds: Type.String({ pattern: NAME_PATTERN }), "*": Type.String({ maxLength: 4096 }) });

export const DatastoreEntrySchema = Type.Object({
  name: Type.String(),
  type: Type.Union([Type.Literal("file"), Type.Literal("dir")]),
  size: Type.Integer({ description: "bytes (0 for a directory)" }),
  mtime: Type.String({ description: "last modification, ISO 8601" }),
});
export type DatastoreEntry = Static<typeof DatastoreEntrySchema>;

export const DatastoreListingSchema = Type.Object({
  datastore: Type.String(),
  path: Type.String({ description: "the directory, relative to the datastore (\"\" for its root)" }),
  entries: Type.Array(DatastoreEntrySchema, { description: "directories first, then files, each by name; upload part files are hidden" }),
});
export type DatastoreListing = Static<typeof DatastoreListingSchema>;

export const UploadStatusSchema = Type.Object({
  datastore: Type.String(),
  path: Type.String(),
  received: Type.Integer({ description: "bytes stored so far: continue with Content-Range: bytes <received>-<total-1>/<total>" }),
  total: Type.Union([Type.Integer(), Type.Null()], { description: "the size the upload announced; null when none is pending and the file does not exist" }),
  complete: Type.Boolean({ description: "the file is in place (no part left to continue)" }),
  inProgress: Type.Boolean({ description: "a request is writing to this path right now" }),
});
export type UploadStatus = Static<typeof UploadStatusSchema>;

export const DatastorePathResultSchema = Type.Object({
  datastore: Type.String(),
  path: Type.String(),
  type: Type.Union([Type.Literal("file"), Type.Literal("dir")]),
});
export type DatastorePathResult = Static<typeof DatastorePathResultSchema>;

export const FilesQuerySchema = Type.Object({
  upload: Type.Optional(Type.Literal("status", { description: "GET: how much of an upload to this path has arrived, instead of the file" })),
}, { additionalProperties: false });
export const UploadQuerySchema = Type.Object({
  overwrite: Type.Optional(Type.Boolean({ description: "replace an existing file" })),
}, { additionalProperties: false });
export const MkdirQuerySchema = Type.Object({
  mkdir: Type.Optional(Type.String({ description: "present (`?mkdir`): make this directory and its missing parents" })),
}, { additionalProperties: false });

export const IsoSchema = Type.Object({
  datastore: Type.String(),
  path: Type.String({ description: "relative to the datastore, e.g. \"iso/debian-12.iso\": what a cdrom's `iso` takes" }),
  name: Type.String(),
  size: Type.Integer(),
  mtime: Type.String(),
  sha256: Type.Union([Type.String(), Type.Null()], { description: "hex; null until computed in the background" }),
  checksumPending: Type.Boolean(),
});
export type Iso = Static<typeof IsoSchema>;
export const IsoListSchema = Type.Object({ isos: Type.Array(IsoSchema) });

/** GET on a datastore path answers one of these as JSON (else the file's bytes). */
export const DatastorePathJsonSchema = Type.Union([DatastoreListingSchema, UploadStatusSchema]);
/** PUT on a datastore path: the body is the file's bytes, whatever its Content-Type. */
export const UploadBody = { content: { "application/octet-stream": { schema: Type.String({ format: "binary", description: "the file's bytes (any Content-Type); with Content-Range: bytes <start>-<end>/<total>, the part of it that continues an interrupted upload" }) } } };
export const FileBytesAnswer = {
  description: "a directory's listing, an upload's status (?upload=status), or the file's bytes",
  content: { "application/json": { schema: DatastorePathJsonSchema }, "application/octet-stream": { schema: Type.String({ format: "binary" }) } },
};
