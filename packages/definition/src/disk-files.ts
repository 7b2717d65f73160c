// A definition's new disks (a size, no file) named by the one rule of disk-file-name.ts, as data
// (a JSON body) or in a TOML text.
import { parse as parseToml } from "smol-toml";
import { setTomlValue } from "./write-definition.js";
import { defaultDiskFile } from "./disk-file-name.js";

export { defaultDiskFile };

interface DiskLike { file?: unknown; size?: unknown; format?: unknown }

/** The disks of a definition (as data) that give a size but no file, to be named by the rule. */
function unnamedDisks(doc: unknown): Array<[string, DiskLike]> {
  if (typeof doc !== "object" || doc === null) return [];
  const { name, disks } = doc as { name?: unknown; disks?: unknown };
  if (typeof name !== "string" || typeof disks !== "object" || disks === null || Array.isArray(disks)) return [];
  return Object.entries(disks as Record<string, unknown>).filter((entry): entry is [string, DiskLike] => {
    const disk = entry[1];
    return typeof disk === "object" && disk !== null && (disk as DiskLike).file === undefined && (disk as DiskLike).size !== undefined;
  });
}

const formatOf = (disk: DiskLike): "qcow2" | "raw" => (disk.format === "raw" ? "raw" : "qcow2");

/**
 * A definition given as data, with every new disk (a size and no file) named by the rule; anything
 * else, valid or not, is left for the validator to judge. Returns a copy; the input is not changed.
 */
export function nameNewDisks<T>(input: T): T {
  const unnamed = unnamedDisks(input);
  if (unnamed.length === 0) return input;
  const vm = (input as { name: string }).name;
  const disks = { ...(input as { disks: Record<string, unknown> }).disks };
  for (const [id, disk] of unnamed) disks[id] = { file: defaultDiskFile(vm, id, formatOf(disk)), ...disk };
  return { ...input, disks };
}

/**
 * The same on a TOML text: `file = "…"` is added to each new disk's [disks.<id>] table, keeping the
 * text's layout and comments; a disk written another way (an inline table) has the text rendered
 * again by `render`, from the document with its files named.
 */
export function nameNewDisksInToml(text: string, render: (doc: Record<string, unknown>) => string): string {
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch {
    return text; // the validator reports the TOML error with its line
  }
  const unnamed = unnamedDisks(doc);
  if (unnamed.length === 0) return text;
  const vm = (doc as { name: string }).name;
  let out: string | null = text;
  for (const [id, disk] of unnamed) {
    out = out === null ? null : setTomlValue(out, ["disks", id], "file", defaultDiskFile(vm, id, formatOf(disk)));
  }
  return out ?? render(nameNewDisks(doc as Record<string, unknown>));
}
