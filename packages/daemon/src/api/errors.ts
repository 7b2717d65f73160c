// The one place where errors become HTTP answers: {"error":{"code","message","details"}}.
import type { FastifyError, FastifyInstance } from "fastify";
import { VmctlError, type ErrorBody } from "@vmctl/api-types";
import { DefinitionError } from "@vmctl/definition";

export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof VmctlError) return { status: error.status, body: error.toBody() };
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const message = fastifyError.validation
      .map((v) => `${(v.instancePath || v.params?.missingProperty || "").toString().replace(/^\//, "").replace(/\//g, ".") || fastifyError.validationContext || "body"}: ${v.message ?? "invalid"}`)
      .join("; ");
    return { status: 400, body: { error: { code: "bad_request", message, details: fastifyError.validation } } };
  }
  if (fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE") return { status: 413, body: { error: { code: "payload_too_large", message: fastifyError.message } } };
  if (fastifyError.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return { status: 415, body: { error: { code: "unsupported_media_type", message: `${fastifyError.message}; send application/json or application/toml` } } };
  if (fastifyError.code === "FST_ERR_CTP_INVALID_JSON_BODY" || fastifyError.code === "FST_ERR_CTP_EMPTY_JSON_BODY" || (fastifyError.statusCode === 400 && fastifyError.code?.startsWith("FST_"))) {
    return { status: 400, body: { error: { code: "bad_request", message: fastifyError.message } } };
  }
  return { status: 500, body: { error: { code: "internal", message: "internal error in vmctld; its log has the details" } } };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorBody(error);
    if (status >= 500) request.log.error({ err: error }, "request failed");
    else if (!(error instanceof DefinitionError)) request.log.debug({ code: body.error.code }, body.error.message);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` } });
  });
}
