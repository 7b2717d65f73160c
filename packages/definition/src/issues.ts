// A definition problem, located and explained, and the error that carries a list of them.
import { VmctlError } from "@vmctl/api-types";

export interface DefinitionIssue {
  /** Dotted path of the field, e.g. "disks.disk0.size"; "" for the whole document. */
  field: string;
  message: string;
  line?: number;
  suggestion?: string;
}

export function formatIssue(issue: DefinitionIssue, file?: string): string {
  const where = [file, issue.line].filter((part) => part !== undefined).join(":");
  const hint = issue.suggestion ? ` (did you mean "${issue.suggestion}"?)` : "";
  return `${where ? `${where}: ` : ""}${issue.field ? `${issue.field}: ` : ""}${issue.message}${hint}`;
}

export class DefinitionError extends VmctlError {
  readonly issues: DefinitionIssue[];
  readonly file: string | undefined;
  constructor(issues: DefinitionIssue[], file?: string) {
    const lines = issues.map((issue) => formatIssue(issue, file));
    super("invalid_definition", lines.length === 1 ? lines[0]! : `${lines.length} problems:\n  ${lines.join("\n  ")}`, { file, issues });
    this.issues = issues;
    this.file = file;
  }
}
