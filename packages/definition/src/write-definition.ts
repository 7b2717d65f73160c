// Turns a definition back into TOML, and edits single values in place so that a hand-written file
// keeps its comments and layout when vmctld writes something back (an allocated MAC, say).
import { stringify } from "smol-toml";
import type { VmDefinitionInput } from "@vmctl/api-types";
import { blankStrings, trailingCommentAt } from "./toml-scan.js";

const TOP_ORDER = ["name", "uuid", "description", "notes", "template", "cpus", "memory", "machine", "firmware", "accel", "boot", "disks", "cdroms", "nics", "console", "policy", "cloud_init"];

export function definitionToToml(input: VmDefinitionInput): string {
  const ordered: Record<string, unknown> = {};
  for (const key of TOP_ORDER) {
    const value = (input as Record<string, unknown>)[key];
    if (value !== undefined) ordered[key] = value;
  }
  return `${stringify(ordered)}\n`;
}

/**
 * Sets `key = value` inside `[table]` of a TOML text, replacing the line if the key is there,
 * otherwise appending it after the table's header. Returns null when the table is not found
 * (the caller then rewrites the whole document).
 */
export function setTomlValue(text: string, table: readonly string[], key: string, value: string | number | boolean): string | null {
  const lines = text.split("\n");
  const header = `[${table.join(".")}]`;
  const rendered = `${key} = ${JSON.stringify(value)}`;
  const start = lines.findIndex((line) => line.trim().replace(/\s+/g, "") === header.replace(/\s+/g, ""));
  if (start < 0) return null;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^\s*\[/.test(lines[i]!)) { end = i; break; }
  }
  for (let i = start + 1; i < end; i++) {
    const match = new RegExp(`^(\\s*)${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*=`).exec(lines[i]!);
    if (match) {
      const comment = trailingCommentAt(blankStrings(lines[i]!));
      lines[i] = `${match[1]}${rendered}${comment === undefined ? "" : lines[i]!.slice(comment)}`;
      return lines.join("\n");
    }
  }
  lines.splice(start + 1, 0, rendered);
  return lines.join("\n");
}

/**
 * Sets a top-level `key = value` (before the first table), replacing the line if the key is there,
 * otherwise inserting it after the `name` line (or after the leading comments), so that a
 * hand-written file keeps its comments and layout.
 */
export function setTopLevelValue(text: string, key: string, value: string | number | boolean): string {
  const lines = text.split("\n");
  const rendered = `${key} = ${JSON.stringify(value)}`;
  const tableAt = lines.findIndex((line) => line.trimStart().startsWith("["));
  const top = lines.slice(0, tableAt < 0 ? lines.length : tableAt);
  const keyOf = (line: string) => /^\s*([A-Za-z0-9_-]+)\s*=/.exec(line)?.[1];
  const existing = top.findIndex((line) => keyOf(line) === key);
  if (existing >= 0) {
    lines[existing] = rendered;
    return lines.join("\n");
  }
  const name = top.findIndex((line) => keyOf(line) === "name");
  const firstCode = top.findIndex((line) => line.trim() !== "" && !line.trim().startsWith("#"));
  lines.splice(name >= 0 ? name + 1 : Math.max(firstCode, 0), 0, rendered);
  return lines.join("\n");
}
