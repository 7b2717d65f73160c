// Only the client spells the API's routes: a path literal (/api/v1…, /ws/…) anywhere else in the
// packages' sources or the benchmarks fails here. The daemon and vmcenter, which serve the routes, and the
// tests, which test the API itself, may spell them. Prose that names a route after a space ("GET
// /api/v1/tasks", "on /ws/events: …") is not a request target and passes; comments are not read.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const SPELLS_ROUTES = new Set(["client", "daemon", "center"]);
const SOURCE = /\.(ts|tsx|mts|js|mjs)$/;
const ROUTE = /\/api\/v1|\/ws\//g;
const NAMED_IN_PROSE = /\s$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && SOURCE.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts"))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !file.includes("/node_modules/") && !file.includes("/dist/"));
}

export function scannedFiles(): string[] {
  const packages = readdirSync(join(ROOT, "packages"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !SPELLS_ROUTES.has(entry.name))
    .flatMap((entry) => { try { return filesUnder(join(ROOT, "packages", entry.name, "src")); } catch { return []; } });
  return [...packages, ...filesUnder(join(ROOT, "bench"))];
}

/** The text of every string, template part and JSX text in a source file, with its line. */
export function literalsOf(file: string, text: string): Array<{ line: number; text: string }> {
  const kind = file.endsWith(".tsx") ? ts.ScriptKind.TSX : /\.m?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found: Array<{ line: number; text: string }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node) || ts.isJsxText(node) || ts.isRegularExpressionLiteral(node)) {
      found.push({ line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, text: node.text });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Whether a literal holds a route used as a path: at its start or joined to what precedes it, never after a space. */
export function spellsRoute(literal: string): boolean {
  for (const match of literal.matchAll(ROUTE)) {
    if (!NAMED_IN_PROSE.test(literal.slice(0, match.index))) return true;
  }
  return false;
}

describe("API paths are spelled only by the client", () => {
  it("tells a path from prose that names a route", () => {
    expect(spellsRoute("/api/v1/vms")).toBe(true);
    expect(spellsRoute("?x=1&then=/api/v1/host")).toBe(true);
    expect(spellsRoute("ws+unix:///tmp/vmctld.sock:/ws/events")).toBe(true);
    expect(spellsRoute("wait for the task to end (GET /api/v1/tasks), then ask again")).toBe(false);
    expect(spellsRoute("on /ws/vms/{name}/console: the same, in words")).toBe(false);
    expect(spellsRoute("vmctl ls")).toBe(false);
    expect(literalsOf("a.ts", "// GET /api/v1/vms\nconst a = `x${1}/api/v1/y`;").map((l) => l.text)).toEqual(["x", "/api/v1/y"]);
  });

  it("finds no /api/v1 or /ws/ path outside packages/client and the daemon", () => {
    const files = scannedFiles();
    expect(files.some((f) => f.includes("/packages/web/src/"))).toBe(true);
    expect(files.some((f) => f.includes("/packages/cli/src/"))).toBe(true);
    expect(files.some((f) => f.includes("/bench/"))).toBe(true);
    // Only a file that holds a route somewhere (comments included) is parsed.
    const offenders = files.map((file) => ({ file, text: readFileSync(file, "utf8") })).filter(({ text }) => /\/api\/v1|\/ws\//.test(text))
      .flatMap(({ file, text }) => literalsOf(file, text)
      .filter((literal) => spellsRoute(literal.text))
      .map((literal) => `${relative(ROOT, file)}:${literal.line}: ${JSON.stringify(literal.text)}: use a method of @vmctl/client (or apiPaths/socketPaths)`));
    expect(offenders).toEqual([]);
  });
});
