// The wire contract cannot drift where it says nothing: every schema of every route (params, query,
// body, each answer of each status, the WebSockets too) is typed all the way down (but the allow-list
// of @vmctl/api-types schema-audit.ts), and the route files declare none of their own (they import
// them from @vmctl/api-types). The OpenAPI contract test (test/system/api-contract.test.ts) checks
// the served document the same way and holds every answer to these schemas.
import { describe, it, expect } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import Fastify, { type FastifySchema } from "fastify";
import { Type } from "@sinclair/typebox";
import { ErrorBodySchema, VmDetailSchema, untypedPlaces, ALLOWED_UNTYPED } from "@vmctl/api-types";
import { loadHostConfig } from "../config/host-config.js";
import { Host } from "../host.js";
import { buildApp } from "../server.js";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** A route's schemas by part: params, querystring, body (and each media type's), each response status (and media type). */
function partsOf(schema: FastifySchema): Array<[string, unknown]> {
  const parts: Array<[string, unknown]> = [];
  const media = (name: string, value: unknown) => {
    // A body or answer given per media type (OpenAPI's content map), else the schema itself.
    if (isObject(value) && isObject(value.content) && !("type" in value)) {
      for (const [type, entry] of Object.entries(value.content)) parts.push([`${name} ${type}`, isObject(entry) ? entry.schema : entry]);
    } else parts.push([name, value]);
  };
  for (const part of ["params", "querystring", "headers"] as const) if (schema[part] !== undefined) parts.push([part, schema[part]]);
  if (schema.body !== undefined) media("body", schema.body);
  for (const [status, answer] of Object.entries((schema.response ?? {}) as Json)) media(`response ${status}`, answer);
  return parts;
}

function untypedInRoute(schema: FastifySchema): string[] {
  return partsOf(schema).flatMap(([part, value]) => untypedPlaces(value).map((place) => `${part}: ${place}`))
    .filter((place) => !ALLOWED_UNTYPED.some((allowed) => allowed.test(place)));
}

describe("route schemas", () => {
  it("are found untyped where they are: a deliberate Unknown in a throwaway route is caught, at any depth and status", async () => {
    const throwaway = Fastify();
    const schemas: FastifySchema[] = [];
    throwaway.addHook("onRoute", (route) => { if (route.schema) schemas.push(route.schema); });
    throwaway.post("/throwaway", {
      schema: {
        body: Type.Object({ fine: Type.String(), loose: Type.Unknown() }),
        response: {
          200: Type.Object({ list: Type.Array(Type.Object({ any: Type.Record(Type.String(), Type.Any()) })) }),
          201: Type.Object({}, { additionalProperties: true }),
          400: ErrorBodySchema,
          404: { description: "bytes", content: { "application/octet-stream": { schema: {} } } },
        },
      },
    }, async () => ({ list: [] }));
    await throwaway.ready();
    expect(untypedInRoute(schemas[0]!)).toEqual([
      "body: loose",
      "response 200: list.[].any.*",
      "response 201: (the whole schema)",
      "response 404 application/octet-stream: (the whole schema)",
    ]);
    await throwaway.close();
    // The one allowed place is allowed only there.
    expect(untypedPlaces(ErrorBodySchema)).toEqual(["error.details"]);
    expect(untypedPlaces(VmDetailSchema)).toEqual([]);
  });

  it("of every route of vmctld are typed all the way down, but for the documented allow-list", async () => {
    const home = mkdtempSync(join(tmpdir(), "wire-schemas-test-"));
    try {
      const logger = pino({ level: "silent" });
      const host = new Host(await loadHostConfig(home), logger);
      const routes: Array<{ route: string; schema: FastifySchema }> = [];
      const app = await buildApp(host, logger, (method, url, schema) => { if (method !== "HEAD") routes.push({ route: `${method} ${url}`, schema: schema ?? {} }); });
      await app.ready();
      // Every route that takes or answers JSON declares it (the Host Client's files and the redirect take nothing).
      const undeclared = routes.filter(({ route, schema }) => Object.keys(schema).filter((key) => !["hide", "summary"].includes(key)).length === 0 && !/^GET \/(ui(\/|$)|$)|openapi\.json|^GET \/api\/docs/.test(route));
      expect(undeclared.map(({ route }) => route)).toEqual([]);
      expect(routes.flatMap(({ route, schema }) => untypedInRoute(schema).map((place) => `${route} ${place}`))).toEqual([]);
      await app.close();
      host.db.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("route files", () => {
  const dir = fileURLToPath(new URL(".", import.meta.url));
  const files = readdirSync(dir).filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"));
  /** What an inline schema looks like in a route file: TypeBox builders, or JSON Schema written out. */
  const INLINE = [
    // (its compiler, which checks a declared schema, is no schema)
    { what: "a TypeBox import", pattern: /from "@sinclair\/typebox"/ },
    { what: "a TypeBox builder", pattern: /\b(Type|T)\.(Object|String|Integer|Number|Boolean|Array|Union|Literal|Optional|Record|Unknown|Any|Null|Intersect|Unsafe)\(/ },
    { what: "a JSON Schema type", pattern: /\btype:\s*["'](string|object|integer|number|boolean|array|null)["']/ },
    { what: "an OpenAPI media map", pattern: /\bcontent:\s*\{/ },
    { what: "a literalUnion built here", pattern: /\bliteralUnion\(/ },
  ];

  it("are scanned: the scan finds an inline schema in a throwaway source", () => {
    const throwaway = 'app.get("/x", { schema: { querystring: Type.Object({ a: Type.String() }) } }, handler);\nconst body = { content: { "image/png": { schema: { type: "string" } } } };';
    expect(INLINE.filter(({ pattern }) => pattern.test(throwaway)).map(({ what }) => what)).toEqual(["a TypeBox builder", "a JSON Schema type", "an OpenAPI media map"]);
  });

  it("declare no schema of their own: every one comes from @vmctl/api-types", () => {
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((file) => readFileSync(join(dir, file), "utf8").split("\n").flatMap((line, index) =>
      INLINE.filter(({ pattern }) => pattern.test(line)).map(({ what }) => `${file}:${index + 1}: ${what}: ${line.trim().slice(0, 120)}`)));
    expect(found).toEqual([]);
  });
});

describe("the definition routes", () => {
  it("leave the body to the definition's validator: a misspelt key is named with a fix, not dropped; a string is no number", async () => {
    const home = mkdtempSync(join(tmpdir(), "wire-definition-test-"));
    try {
      const logger = pino({ level: "silent" });
      const host = new Host(await loadHostConfig(home), logger);
      const app = await buildApp(host, logger);
      await app.ready();
      await host.auth.createUser("wire", "wire-password-1", "Admin");
      const headers = { authorization: `Bearer ${host.auth.createToken("wire", "test", "Admin", null).token}` };
      const call = (method: "POST" | "PUT" | "PATCH", url: string, payload: object) => app.inject({ method, url, payload, headers });
      expect((await call("POST", "/api/v1/vms", { name: "w1", memory: "64MiB" })).statusCode).toBe(201);

      const misspelt = await call("PUT", "/api/v1/vms/w1", { name: "w1", memory: "64MiB", cpu: 2 });
      expect(misspelt.statusCode).toBe(400);
      expect(misspelt.json().error.message).toMatch(/cpu.*unknown key.*cpus/s);
      const patched = await call("PATCH", "/api/v1/vms/w1", { cpus: "2" });
      expect(patched.statusCode).toBe(400);
      expect(patched.json().error.message).toContain("cpus");
      expect((await call("POST", "/api/v1/vms", { name: "w2", memory: "64MiB", nic: {} })).json().error.message).toMatch(/nic.*nics/s);
      // The name in the path is still checked by the route's schema.
      expect((await call("PATCH", "/api/v1/vms/..%2Fetc", { cpus: 2 })).statusCode).toBe(400);
      expect((await call("PATCH", "/api/v1/vms/w1", { cpus: 2 })).json().definition.cpus).toBe(2);
      await app.close();
      host.db.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
