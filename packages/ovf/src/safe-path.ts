// Relative names that cannot leave the folder they are resolved in: tar member names, OVF hrefs
// and manifest entries all pass through here before they touch the file system.
import { lstat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join } from "node:path";

/** The normalized form of a relative name ("./a//b" → "a/b"), or the reason it is refused. */
export function checkRelativeName(name: string): { ok: true; name: string } | { ok: false; reason: string } {
  if (name.includes("\0")) return { ok: false, reason: "contains a NUL byte" };
  if (name.includes("\\")) return { ok: false, reason: "contains a backslash" };
  if (name.startsWith("/")) return { ok: false, reason: "is an absolute path" };
  if (/^[A-Za-z]:/.test(name)) return { ok: false, reason: "starts with a drive letter" };
  const parts = name.split("/").filter((part) => part !== "" && part !== ".");
  if (parts.includes("..")) return { ok: false, reason: "has a \"..\" component" };
  if (parts.length === 0) return { ok: false, reason: "is empty" };
  if (parts.some((part) => Buffer.byteLength(part) > 255)) return { ok: false, reason: "has a component longer than 255 bytes" };
  return { ok: true, name: parts.join("/") };
}

/**
 * Why `name` is not a relative name already in normal form (one that checkRelativeName would
 * refuse or rewrite), or undefined when it is: names vmctl writes itself must need no rewriting.
 */
export function normalFormProblem(name: string): string | undefined {
  const checked = checkRelativeName(name);
  if (!checked.ok) return checked.reason;
  return checked.name === name ? undefined : "is not in normal form";
}

/** Quotes a name for a message, showing control characters instead of printing them. */
export function quote(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}

/**
 * Stats `name` inside `folder` without following a symlink at any component, so a folder that
 * holds a link cannot lead a read outside it. Undefined when missing or when a component is a link.
 */
export async function lstatInside(folder: string, name: string): Promise<Stats | undefined> {
  const parts = name.split("/");
  let path = folder;
  for (const [index, part] of parts.entries()) {
    path = join(path, part);
    const stat = await lstat(path).catch(() => undefined);
    if (!stat || stat.isSymbolicLink()) return undefined;
    if (index === parts.length - 1) return stat;
    if (!stat.isDirectory()) return undefined;
  }
  return undefined;
}
