// The routes that take a VM definition (JSON or TOML) leave its checking to the definition's own
// validator (validateDefinition: every problem at once, each with its field and, in TOML, its line,
// and a suggestion for a misspelt key). Fastify's validator would first drop unknown keys and coerce
// types silently. The body's schema still documents it (OpenAPI) and types it; params and query are
// validated as on every other route.
import type { FastifySchemaCompiler } from "fastify";
import type { ApiApp } from "./api-app.js";

export function definitionBodyValidator(app: ApiApp): FastifySchemaCompiler<unknown> {
  return (route) => {
    if (route.httpPart === "body") return () => true;
    // Read when the route's schemas are compiled (at ready), once Fastify has set up its validator.
    const standard = app.validatorCompiler;
    if (!standard) throw new Error(`no default validator to check ${route.method} ${route.url}'s ${route.httpPart ?? "input"} with: register a route with a schema before this one`);
    return standard(route);
  };
}
