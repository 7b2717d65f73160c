// Where a JSON schema says nothing: the places that accept any value. The route schema test and the
// OpenAPI contract test refuse them (but for a short, documented allow-list), so the wire contract
// cannot drift where it is silent.

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The untyped places of a JSON schema, as dotted paths ("" is the schema itself, "*" a table's
 * values, "[]" an array's items): `{}` (Type.Unknown, Type.Any), an object with no declared key that
 * is not closed, an object open to anything besides its keys, an array of anything. A `$ref` is
 * typed where it points (walk those schemas too); `{not: {}}` (Type.Never) accepts nothing.
 */
export function untypedPlaces(schema: unknown, path = ""): string[] {
  const here = path || "(the whole schema)";
  if (schema === true) return [here];
  if (!isObject(schema)) return [];
  const found: string[] = [];
  const walk = (child: unknown, key: string) => found.push(...untypedPlaces(child, path ? `${path}.${key}` : key));
  for (const combinator of ["anyOf", "oneOf", "allOf"] as const) {
    const members = schema[combinator];
    if (Array.isArray(members)) members.forEach((member) => found.push(...untypedPlaces(member, path)));
  }
  const never = isObject(schema.not) && Object.keys(schema.not).length === 0;
  const typed = never || ["type", "enum", "const", "$ref", "anyOf", "oneOf", "allOf"].some((key) => key in schema);
  if (!typed) return [here, ...found];
  // Its values are listed (OpenAPI 3.0 writes null as {type: "object", nullable: true, enum: [null]}).
  if ("enum" in schema || "const" in schema) return found;
  if (schema.type === "object") {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const patterns = isObject(schema.patternProperties) ? schema.patternProperties : {};
    for (const [key, value] of Object.entries(properties)) walk(value, key);
    for (const value of Object.values(patterns)) walk(value, "*");
    if (isObject(schema.additionalProperties)) walk(schema.additionalProperties, "*");
    // An intersection (allOf) declares its keys in its members.
    const declared = Object.keys(properties).length > 0 || Object.keys(patterns).length > 0 || isObject(schema.additionalProperties) || Array.isArray(schema.allOf);
    if (!declared && schema.additionalProperties !== false) found.unshift(here);
    else if (schema.additionalProperties === true) found.unshift(`${here} (additionalProperties: true)`);
  }
  if (schema.type === "array") {
    if (schema.items === undefined) found.unshift(`${here} (items)`);
    else walk(schema.items, "[]");
  }
  return found;
}

/**
 * The untyped places the wire may have, and why, matched against "<where>: <path>": each error code
 * carries its own details (the field and fix of a refusal, a limit, the privileges a token lacks, the
 * validator's list), described per code in docs/errors.md; and a task's result is its op's (a
 * migrate-out's MigrationResult of migration-wire.ts, a cluster task's of cluster-wire.ts), a table
 * of values whose shape each op's route documents.
 */
export const ALLOWED_UNTYPED: readonly RegExp[] = [/(^|[ :])error\.details$/, /(^|[ :.])result\.\*$/];
