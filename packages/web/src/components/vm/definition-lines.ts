// Where a definition's problems are, in the lines the editor shows: the server names the line of a
// TOML syntax error and of most field errors; for the rest the field is found in the text (the
// deepest table or key on its path, by the definition package's own locateField).
import { locateField } from "@vmctl/definition/locate";

export interface DefinitionProblem { line: number | undefined; field: string; text: string }

interface Issue { field?: unknown; line?: unknown; message?: unknown; suggestion?: unknown }

/** 1-based line of the deepest table or key on `field`'s path, or undefined when none is in the text. */
export function lineOfField(text: string, field: string): number | undefined {
  return field ? locateField(text, field.split(".")) : undefined;
}

/**
 * The problems of a refused save, each with its line in `text`: from the answer's details.issues
 * when it has them, else from its message ("web01/web01.toml:3: …", one problem a line).
 */
export function definitionProblems(message: string, details: unknown, text: string): DefinitionProblem[] {
  const issues = (details as { issues?: unknown } | undefined)?.issues;
  if (Array.isArray(issues) && issues.length > 0) {
    return (issues as Issue[]).map((issue) => {
      const field = typeof issue.field === "string" ? issue.field : "";
      const line = typeof issue.line === "number" ? issue.line : lineOfField(text, field);
      const hint = typeof issue.suggestion === "string" ? ` (did you mean "${issue.suggestion}"?)` : "";
      return { line, field, text: `${field ? `${field}: ` : ""}${String(issue.message ?? "")}${hint}` };
    });
  }
  const lines = message.split("\n").map((l) => l.trim()).filter((l) => l && !/^\d+ problems:$/.test(l));
  return lines.map((l) => {
    const located = /^(?:[^\s:]+\.toml)?:?(\d+): (.*)$/.exec(l);
    if (located) {
      const rest = located[2]!;
      return { line: Number(located[1]), field: /^([\w.-]+): /.exec(rest)?.[1] ?? "", text: rest };
    }
    const unlocated = /^(?:[^\s:]+\.toml: )?(.*)$/.exec(l)![1]!;
    const field = /^([\w.-]+): /.exec(unlocated)?.[1] ?? "";
    return { line: lineOfField(text, field), field, text: unlocated };
  });
}
