// The datastore browser over HTTP: list a directory, download a file (Range, ETag), upload one as a
// raw body stream (atomic, resumable with Content-Range), delete, make directories. Uploads are the
// one route without the 1 MiB body limit: their scope hands the request stream over unparsed.
// A file is sent from the descriptor the browser opened inside the datastore, never by path again.
import { basename } from "node:path";
import { Readable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import {
  VmctlError, DatastoreParamsSchema, DatastorePathParamsSchema, DatastoreListingSchema, DatastorePathResultSchema,
  UploadStatusSchema, FilesQuerySchema, UploadQuerySchema, MkdirQuerySchema, FileBytesAnswer, UploadBody, bytesAnswer,
} from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import { responses } from "./openapi.js";
import { sourceOf } from "./auth-hooks.js";
import type { Host } from "../host.js";
import type { Located } from "../domain/datastore-browser.js";
import type { Opened } from "../domain/datastore-safe-open.js";
import { parseRange, contentRangeHeader } from "../domain/byte-ranges.js";
import { assertBrowse, assertNotReserved, listingFilter } from "./file-access-guards.js";
import { endRefusedBody } from "./refused-body.js";

interface PathParams { ds: string; "*"?: string }

export async function registerDatastoreFileRoutes(app: ApiApp, host: Host): Promise<void> {
  // A VM's folder and files are bounded by rights on that VM (file-access-guards.ts), on top of the
  // route's datastore privilege: listing it needs vm.read, its disks and memory vm.edit, changes vm.edit.
  const locate = (request: FastifyRequest & { params: PathParams }, action: "list" | "read" | "change", options: { entryItself?: boolean } = {}): Located => {
    const { params } = request;
    const at = host.browser.locate(params.ds, params["*"] ?? "", options);
    assertBrowse(host, request, at, action);
    return at;
  };

  app.get("/api/v1/datastores/:ds/files", {
    schema: { params: DatastoreParamsSchema, response: responses({ 200: DatastoreListingSchema }, 404), summary: "The root directory of a datastore" },
  }, async (request) => host.browser.list(locate(request, "list"), undefined, listingFilter(host, request)));

  app.get("/api/v1/datastores/:ds/files/*", {
    schema: {
      params: DatastorePathParamsSchema, querystring: FilesQuerySchema,
      response: {
        ...responses({}, 404, 416),
        200: FileBytesAnswer,
        206: bytesAnswer("the bytes of the one range asked for with Range"),
      },
      summary: "A directory's listing, a file's bytes (Range, If-Range, ETag), or with ?upload=status how much of an upload arrived",
    },
  }, async (request, reply) => {
    // Checked before opening, so a VM's folder the asker may not read does not tell what it holds.
    const at = locate(request, "list");
    if (request.query.upload === "status") return host.uploads.status(at);
    const opened = await host.browser.open(at);
    if (opened.info.isDirectory()) {
      try {
        return await host.browser.list(at, opened.handle, listingFilter(host, request));
      } finally {
        await opened.handle.close();
      }
    }
    try {
      assertBrowse(host, request, at, "read");
    } catch (error) {
      await opened.handle.close();
      throw error;
    }
    return sendFile(request, reply, at, opened);
  });

  app.delete("/api/v1/datastores/:ds/files/*", {
    schema: { params: DatastorePathParamsSchema, response: responses({ 200: DatastorePathResultSchema }, 404, 409), summary: "Delete a file or an empty directory (not a VM's folder nor a file a VM uses), or an unfinished upload to that path" },
  }, async (request) => host.uploads.delete(locate(request, "change", { entryItself: true })));

  app.post("/api/v1/datastores/:ds/files/*", {
    schema: { params: DatastorePathParamsSchema, querystring: MkdirQuerySchema, response: responses({ 201: DatastorePathResultSchema }, 404, 409), summary: "With ?mkdir: make a directory and its missing parents" },
  }, async (request, reply) => {
    const at = locate(request, "change");
    assertNotReserved(host, at);
    if (request.query.mkdir === undefined) throw new VmctlError("bad_request", `POST on a datastore path makes a directory: add ?mkdir (POST /api/v1/datastores/${at.datastore}/files/${at.path}?mkdir)`);
    return reply.status(201).send(await host.browser.mkdir(at));
  });

  await app.register(async (uploads: ApiApp) => {
    // Any body is the file's bytes, handed over as the request stream: no parsing, no body limit.
    // The stream travels beside the body, which stays the (empty) binary string the schema documents.
    const streams = new WeakMap<FastifyRequest, Readable>();
    uploads.removeAllContentTypeParsers();
    for (const type of ["application/octet-stream", "*"]) {
      uploads.addContentTypeParser(type, (request, payload, done) => {
        streams.set(request, payload);
        done(null, "");
      });
    }
    uploads.put("/api/v1/datastores/:ds/files/*", {
      schema: {
        params: DatastorePathParamsSchema, querystring: UploadQuerySchema,
        body: UploadBody,
        response: responses({ 201: UploadStatusSchema, 200: UploadStatusSchema }, 404, 409, 411, 413),
        summary: "Upload a file (201 when it is in place; 200 when a Content-Range part is stored and more is to come)",
      },
    }, async (request, reply) => {
      try {
        const at = locate(request, "change");
        assertNotReserved(host, at);
        const status = await host.uploads.receive({
          at,
          overwrite: request.query.overwrite ?? false,
          contentLength: request.headers["content-length"],
          contentRange: request.headers["content-range"],
          body: streams.get(request) ?? Readable.from([]),
        });
        return await reply.status(status.complete ? 201 : 200).send(status);
      } catch (error) {
        endRefusedBody(request, reply, streams.get(request));
        if (request.raw.socket.destroyed) auditAborted(host, request);
        throw error;
      }
    });
  });
}

/** Streams the opened file from its descriptor, which the stream closes; closed here when no byte is sent. */
async function sendFile(request: FastifyRequest, reply: FastifyReply, at: Located, { handle, info }: Opened): Promise<FastifyReply> {
  let stream: Readable | undefined;
  try {
    const etag = `"${info.size.toString(16)}-${Math.trunc(info.mtimeMs).toString(16)}"`;
    const lastModified = info.mtime.toUTCString();
    let range = parseRange(request.headers.range, info.size);
    // If-Range: a client resuming a download gets the rest only if the file is still the one it had.
    const ifRange = request.headers["if-range"];
    if (range !== undefined && ifRange !== undefined && ifRange !== etag && ifRange !== lastModified) range = undefined;
    void reply.header("accept-ranges", "bytes").header("etag", etag).header("last-modified", lastModified);
    if (range === "unsatisfiable") {
      void reply.header("content-range", `bytes */${info.size}`);
      throw new VmctlError("range_not_satisfiable", `Range "${request.headers.range}" starts past the end of "${at.path}" (${info.size} bytes)`, { size: info.size });
    }
    void reply.type("application/octet-stream").header("content-disposition", `attachment; filename*=UTF-8''${encodeURIComponent(basename(at.absolute))}`);
    const { start, end } = range ?? { start: 0, end: info.size - 1 };
    if (range) void reply.status(206).header("content-range", contentRangeHeader(range, info.size));
    void reply.header("content-length", String(end - start + 1));
    // HEAD: the headers say it all; reading the file would be for nothing.
    if (request.method === "HEAD" || info.size === 0) return await reply.send(Readable.from([]));
    stream = handle.createReadStream({ start, end });
    return await reply.send(stream);
  } finally {
    if (!stream) await handle.close();
  }
}

/** A dropped upload never reaches the onResponse hook that audits every change: record it here. */
function auditAborted(host: Host, request: FastifyRequest & { params: PathParams }): void {
  const { params } = request;
  host.audit.record({
    user: request.principal?.name ?? "anonymous", source: sourceOf(request), action: `${request.method} ${request.routeOptions.url ?? ""}`,
    target: `${params.ds}:${params["*"] ?? ""}`, result: "aborted", status: 499,
  });
}
