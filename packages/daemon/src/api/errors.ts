// Where errors become HTTP answers: {"error":{"code","message","details"}}. Fastify's own errors
// (validation, body parsing) are given their code here; the rest follows the registry's one mapping
// (@vmctl/api-types errors.ts), which the task manager and the WebSockets use too.
import type { FastifyError, FastifyInstance } from "fastify";
import { VmctlError, httpErrorAnswer, type ErrorBody } from "@vmctl/api-types";
import { DefinitionError } from "@vmctl/definition";
import { hideHostPaths, type HostRoot } from "./host-paths.js";

/** Fastify's errors (schema validation, content types, JSON bodies) as coded errors; anything else as it is. */
export function codedError(error: unknown): unknown {
  if (error instanceof VmctlError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError?.validation) {
    const message = fastifyError.validation.map((v) => {
      const at = (v.instancePath || "").replace(/^\//, "").replace(/\//g, ".");
      const unknown = v.params?.additionalProperty as string | undefined;
      // An unknown key is named itself, not the object holding it: `disks.disk0.sise`, not `disks.disk0`.
      if (unknown !== undefined) return `${at ? `${at}.` : ""}${unknown}: unknown field; check its spelling (the API's schema is GET /api/v1/openapi.json)`;
      const where = at || String(v.params?.missingProperty ?? "") || fastifyError.validationContext || "body";
      return `${where}: ${v.message ?? "invalid"}`;
    }).join("; ");
    return new VmctlError("bad_request", message, fastifyError.validation);
  }
  if (fastifyError?.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new VmctlError("payload_too_large", fastifyError.message);
  if (fastifyError?.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return new VmctlError("unsupported_media_type", `${fastifyError.message}; send application/json or application/toml`);
  if (fastifyError?.code === "FST_ERR_CTP_INVALID_JSON_BODY" || fastifyError?.code === "FST_ERR_CTP_EMPTY_JSON_BODY" || (fastifyError?.statusCode === 400 && fastifyError.code?.startsWith("FST_"))) {
    return new VmctlError("bad_request", fastifyError.message);
  }
  return error;
}

export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  return httpErrorAnswer(codedError(error));
}

/**
 * A plugin's own refusal, thrown with a 4xx status (@fastify/static's 403 for /ui/..%2f..%2f): the
 * client's mistake, answered as such, where it was a 500 "internal error".
 */
function pluginRefusal(error: unknown, method: string, url: string): VmctlError | undefined {
  if (!(error instanceof Error) || error instanceof VmctlError || (error as FastifyError).validation) return undefined;
  const status = (error as { statusCode?: unknown; status?: unknown }).statusCode ?? (error as { status?: unknown }).status;
  if (typeof status !== "number" || status < 400 || status >= 500 || (error as FastifyError).code?.startsWith("FST_")) return undefined;
  const path = url.split("?")[0]!.slice(0, 200);
  if (status === 403) return new VmctlError("not_found", `no file at ${path}: a path that climbs out of its folder (.. or an encoded slash) is never served`);
  if (status === 404) return new VmctlError("not_found", `no file at ${path}`);
  return new VmctlError("bad_request", `${method} ${path}: ${error.message}`);
}

/** `hostRoots`: vmctld's home and the datastores' roots, which a definition's errors never show (host-paths.ts). */
export function registerErrorHandling(app: FastifyInstance, hostRoots: () => readonly HostRoot[] = () => []): void {
  app.setErrorHandler((error, request, reply) => {
    const answer = toErrorBody(pluginRefusal(error, request.method, request.url) ?? error);
    const { status } = answer;
    const body = answer.body.error.code === "invalid_definition" ? hideHostPaths(answer.body, hostRoots()) : answer.body;
    if (status >= 500) request.log.error({ err: error }, "request failed");
    else if (!(error instanceof DefinitionError)) request.log.debug({ code: body.error.code }, body.error.message);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = httpErrorAnswer(new VmctlError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`));
    void reply.status(status).send(body);
  });
}
