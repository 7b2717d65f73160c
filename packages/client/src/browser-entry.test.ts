// The browser entry (@vmctl/client/browser) must bundle for a page: nothing it loads at run time
// may be a Node module, ws, or any package but the wire types. Type-only imports vanish and pass.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const HERE = import.meta.dirname;

/** The run-time imports of one source file (type-only ones left out). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly) {
      const named = statement.importClause?.namedBindings;
      const allTypes = !statement.importClause?.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (!allTypes) found.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      const named = statement.exportClause;
      const allTypes = named && ts.isNamedExports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      if (!allTypes) found.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return found;
}

/** Every module the browser entry loads, following relative imports; bare ones are reported. */
function browserGraph(): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith(".")) visit(resolve(file, "..", specifier.replace(/\.js$/, ".ts")));
      else packages.add(specifier);
    }
  };
  visit(join(HERE, "browser.ts"));
  return { files: [...files], packages: [...packages] };
}

describe("the browser entry", () => {
  it("loads no Node module, no ws and no package but the wire types", () => {
    const { files, packages } = browserGraph();
    expect(files.map((f) => f.slice(HERE.length + 1)).sort()).toEqual(expect.arrayContaining(["api-client.ts", "browser-client.ts", "browser-transport.ts", "browser.ts"]));
    expect(files.map((f) => f.slice(HERE.length + 1))).not.toContain("vmctl-client.ts");
    expect(packages.filter((p) => p !== "@vmctl/api-types" && !p.startsWith("@vmctl/api-types/"))).toEqual([]);
  });
});
