// Parses and validates a VM definition (TOML text or a JSON object) into a normalized VmDefinition,
// collecting every problem with its line, field and a fix, instead of stopping at the first.
import { parse as parseToml, TomlError } from "smol-toml";
import { Value } from "@sinclair/typebox/value";
import { VmDefinitionSchema, type VmDefinition, type VmDefinitionInput } from "@vmctl/api-types";
import { DefinitionError, type DefinitionIssue } from "./issues.js";
import { unknownKeyIssues, schemaAt, describeExpected } from "./schema-walk.js";
import { locateField } from "./locate.js";
import { parseSize } from "./sizes.js";

const MIN_MEMORY = 16 * 1024 ** 2;
const MAX_MEMORY = 4 * 1024 ** 4;

export interface ParseOptions {
  /** Shown in messages ("web01/web01.toml:7: …"). */
  file?: string;
}

export function parseDefinitionToml(text: string, options: ParseOptions = {}): VmDefinition {
  let document: unknown;
  try {
    document = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const firstLine = error.message.split("\n")[0] ?? "invalid TOML";
      throw new DefinitionError([{ field: "", line: error.line, message: `invalid TOML: ${firstLine.replace(/^Invalid TOML document: /, "")}` }], options.file);
    }
    throw error;
  }
  return validateDefinition(document, { ...options, text });
}

export function validateDefinition(document: unknown, options: ParseOptions & { text?: string } = {}): VmDefinition {
  const locate = (field: string) => (options.text ? locateField(options.text, field ? field.split(".") : []) : undefined);
  const withLine = (issue: DefinitionIssue): DefinitionIssue => {
    const line = issue.line ?? locate(issue.field);
    return line === undefined ? issue : { ...issue, line };
  };

  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new DefinitionError([{ field: "", message: "a definition must be a table (a JSON object)" }], options.file);
  }
  const issues: DefinitionIssue[] = unknownKeyIssues(document, VmDefinitionSchema);
  const seen = new Set(issues.map((issue) => issue.field));
  for (const error of Value.Errors(VmDefinitionSchema, document)) {
    const segments = error.path.split("/").filter(Boolean).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const field = segments.join(".");
    if ([...seen].some((known) => field === known || field.startsWith(`${known}.`))) continue;
    if (error.message.startsWith("Unexpected property")) continue; // reported by unknownKeyIssues with a suggestion
    seen.add(field);
    const expected = describeExpected(schemaAt(VmDefinitionSchema, segments));
    const given = error.value === undefined ? "is missing" : `is ${JSON.stringify(error.value)}`;
    issues.push({ field, message: `${given}; expected ${expected}` });
  }
  if (issues.length === 0) issues.push(...semanticIssues(document as VmDefinitionInput));
  if (issues.length > 0) throw new DefinitionError(issues.map(withLine), options.file);
  return normalize(document as VmDefinitionInput);
}

/** A path relative to a datastore may not climb out of it. Absolute paths are checked against the datastores by vmctld. */
export function datastorePathIssue(path: string): string | undefined {
  if (path.includes("\0")) return "contains a NUL byte";
  if (path.split(/[\\/]+/).includes("..")) return `"${path}" contains ".."; paths stay inside their datastore`;
  return undefined;
}

function semanticIssues(input: VmDefinitionInput): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  if (input.memory !== undefined) {
    const bytes = parseSize(input.memory);
    if (bytes === null) issues.push({ field: "memory", message: `"${input.memory}" is not a size; write e.g. "512MiB"` });
    else if (bytes < MIN_MEMORY) issues.push({ field: "memory", message: `"${input.memory}" is too small; at least 16MiB` });
    else if (bytes > MAX_MEMORY) issues.push({ field: "memory", message: `"${input.memory}" is too large; at most 4TiB` });
  }
  const pathFields: Array<[string, string | undefined]> = [
    ["boot.kernel", input.boot?.kernel],
    ["boot.initrd", input.boot?.initrd],
    ...Object.entries(input.disks ?? {}).map(([id, d]): [string, string] => [`disks.${id}.file`, d.file]),
    ...Object.entries(input.cdroms ?? {}).map(([id, c]): [string, string | undefined] => [`cdroms.${id}.iso`, c.iso]),
  ];
  for (const [field, path] of pathFields) {
    const problem = path === undefined ? undefined : datastorePathIssue(path);
    if (problem) issues.push({ field, message: problem });
  }
  for (const [id, disk] of Object.entries(input.disks ?? {})) {
    if (disk.size === undefined) continue;
    const bytes = parseSize(disk.size);
    if (bytes === null || bytes < 1024 ** 2) issues.push({ field: `disks.${id}.size`, message: `"${disk.size}" is not a usable disk size; at least 1MiB, e.g. "10GiB"` });
  }
  const deviceIds = [...Object.keys(input.disks ?? {}), ...Object.keys(input.cdroms ?? {})];
  for (const id of input.boot?.order ?? []) {
    if (!deviceIds.includes(id)) issues.push({ field: "boot.order", message: `"${id}" is neither a disk nor a cdrom of this VM; known: ${deviceIds.join(", ") || "none"}` });
  }
  if (input.boot && !input.boot.kernel && (input.boot.initrd || input.boot.cmdline)) {
    issues.push({ field: "boot.kernel", message: "initrd and cmdline need a kernel for direct kernel boot; add kernel = \"path/to/vmlinuz\"" });
  }
  if (input.machine === "microvm" && !input.boot?.kernel) {
    issues.push({ field: "machine", message: "microvm has no firmware to boot disks; use direct kernel boot ([boot] kernel) or machine = \"q35\"" });
  }
  const ids = new Set<string>();
  for (const id of deviceIds) {
    if (ids.has(id)) issues.push({ field: `cdroms.${id}`, message: `"${id}" is already a disk id; device ids must be unique` });
    ids.add(id);
  }
  return issues;
}

function formatFor(file: string, declared: "qcow2" | "raw" | undefined): "qcow2" | "raw" {
  return declared ?? (/\.qcow2$/i.test(file) ? "qcow2" : /\.(img|raw)$/i.test(file) ? "raw" : "qcow2");
}

function normalize(input: VmDefinitionInput): VmDefinition {
  const memory = input.memory ?? "512MiB";
  const disks: VmDefinition["disks"] = {};
  for (const [id, d] of Object.entries(input.disks ?? {})) {
    disks[id] = {
      file: d.file, bus: d.bus ?? "virtio", format: formatFor(d.file, d.format), readonly: d.readonly ?? false,
      ...(d.datastore ? { datastore: d.datastore } : {}),
      ...(d.size ? { size: d.size, sizeBytes: parseSize(d.size)! } : {}),
    };
  }
  const cdroms: VmDefinition["cdroms"] = {};
  for (const [id, c] of Object.entries(input.cdroms ?? {})) {
    const bus = c.bus ?? (input.machine === "pc" ? "ide" : "sata");
    cdroms[id] = { ...(c.iso ? { iso: c.iso } : {}), ...(c.datastore ? { datastore: c.datastore } : {}), bus };
  }
  const nics: VmDefinition["nics"] = {};
  for (const [id, n] of Object.entries(input.nics ?? {})) {
    nics[id] = { network: n.network ?? "default", model: n.model ?? "virtio", mac: (n.mac ?? "auto").toLowerCase() };
  }
  const boot: VmDefinition["boot"] = { order: input.boot?.order ?? Object.keys(disks).concat(Object.keys(cdroms)) };
  for (const key of ["kernel", "initrd", "cmdline", "datastore"] as const) {
    const value = input.boot?.[key];
    if (value !== undefined) boot[key] = value;
  }
  return {
    name: input.name,
    ...(input.uuid ? { uuid: input.uuid } : {}),
    description: input.description ?? "",
    template: input.template ?? false,
    cpus: input.cpus ?? 1,
    memory,
    memoryBytes: parseSize(memory)!,
    machine: input.machine ?? "q35",
    firmware: input.firmware ?? "bios",
    accel: input.accel ?? "auto",
    boot,
    disks,
    cdroms,
    nics,
    console: { serial: input.console?.serial ?? true, vnc: input.console?.vnc ?? true },
    policy: { autostart: input.policy?.autostart ?? false, on_crash: input.policy?.on_crash ?? "stop", stop_timeout: input.policy?.stop_timeout ?? 60 },
  };
}
