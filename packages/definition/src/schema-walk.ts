// Checks keys against the TypeBox schema so an unknown key is named with a suggestion, and turns
// TypeBox's type errors into messages that say what to write instead.
import type { TSchema } from "@sinclair/typebox";
import { suggestKey } from "./suggest.js";
import type { DefinitionIssue } from "./issues.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function recordValueSchema(schema: TSchema): TSchema | undefined {
  const patterns = (schema as { patternProperties?: Record<string, TSchema> }).patternProperties;
  return patterns ? Object.values(patterns)[0] : undefined;
}

export function unknownKeyIssues(value: unknown, schema: TSchema, path: string[] = []): DefinitionIssue[] {
  if (!isObject(value)) return [];
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  const recordOf = recordValueSchema(schema);
  const issues: DefinitionIssue[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (properties) {
      const childSchema = properties[key];
      if (!childSchema) {
        const suggestion = suggestKey(key, Object.keys(properties));
        const scope = path.length ? `[${path.join(".")}]` : "the top level";
        issues.push({ field: [...path, key].join("."), message: `unknown key in ${scope}; allowed: ${Object.keys(properties).join(", ")}`, ...(suggestion ? { suggestion } : {}) });
        continue;
      }
      const items = (childSchema as { items?: TSchema }).items;
      if (items && Array.isArray(child)) child.forEach((item, i) => issues.push(...unknownKeyIssues(item, items, [...path, key, String(i)])));
      else issues.push(...unknownKeyIssues(child, childSchema, [...path, key]));
    } else if (recordOf) {
      issues.push(...unknownKeyIssues(child, recordOf, [...path, key]));
    }
  }
  return issues;
}

/** Walks a JSON-pointer-like path ("/disks/disk0/size") down the schema. */
export function schemaAt(schema: TSchema, path: readonly string[]): TSchema | undefined {
  let current: TSchema | undefined = schema;
  for (const segment of path) {
    if (!current) return undefined;
    const properties: Record<string, TSchema> | undefined = (current as { properties?: Record<string, TSchema> }).properties;
    const items: TSchema | undefined = (current as { items?: TSchema }).items;
    current = properties ? properties[segment] : items && /^\d+$/.test(segment) ? items : recordValueSchema(current);
  }
  return current;
}

/** What the schema wants at a path, in words a person can act on. */
export function describeExpected(schema: TSchema | undefined): string {
  if (!schema) return "a valid value";
  const s = schema as { anyOf?: Array<{ const?: unknown }>; type?: string; pattern?: string; minimum?: number; maximum?: number; const?: unknown; description?: string; title?: string; maxItems?: number; maxLength?: number; items?: TSchema };
  if (s.title) return s.title;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf && s.anyOf.every((option) => option.const !== undefined)) {
    return `one of ${s.anyOf.map((option) => JSON.stringify(option.const)).join(", ")}`;
  }
  if (s.type === "string" && s.pattern?.includes("KMGT")) return 'a size with a unit, e.g. "512MiB" or "20GiB"';
  if (s.type === "string" && s.pattern?.includes("a-z0-9")) return 'a name of lower-case letters, digits, "-", "_" or "." (at most 63, starting with a letter or digit)';
  if (s.type === "string" && s.pattern?.includes("auto")) return '"auto" or a MAC address like "52:54:00:12:34:56"';
  if (s.type === "integer") {
    const range = s.minimum !== undefined && s.maximum !== undefined ? ` from ${s.minimum} to ${s.maximum}` : "";
    return `a whole number${range}`;
  }
  if (s.type === "boolean") return "true or false";
  if (s.type === "array") {
    const of = s.items && (s.items as { title?: string }).title ? ` of ${(s.items as { title?: string }).title}` : "";
    return `a list${s.maxItems !== undefined ? ` of at most ${s.maxItems}` : ""}${of}`;
  }
  if (s.type === "string" && s.maxLength !== undefined && !s.pattern) return `a string of at most ${s.maxLength} characters`;
  if (s.type === "object") return "a table";
  if (s.type === "string") return "a string";
  return s.description ?? "a valid value";
}
