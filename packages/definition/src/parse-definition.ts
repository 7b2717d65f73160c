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
    const at = schemaAt(VmDefinitionSchema, segments);
    const expected = describeExpected(at);
    const given = error.value === undefined ? "is missing" : `is ${shownValue(error.value, at)}`;
    issues.push({ field, message: `${given}; expected ${expected}` });
  }
  if (issues.length === 0) issues.push(...semanticIssues(document as VmDefinitionInput));
  if (issues.length > 0) throw new DefinitionError(issues.map(withLine), options.file);
  return normalize(document as VmDefinitionInput);
}

/**
 * A wrong value as an error shows it: never a secret's (a password typed where its hash goes, a
 * private key pasted for a public one, user-data holding tokens), nor more than a line of anything.
 */
function shownValue(value: unknown, schema: unknown): string {
  const s = schema as { writeOnly?: boolean; title?: string; type?: string; items?: unknown } | undefined;
  if (s?.writeOnly || (s?.title && /ssh|\.pub/.test(s.title)) || (s?.type === "array" && (s.items as { title?: string } | undefined)?.title?.includes(".pub"))) {
    return `a ${Array.isArray(value) ? "list" : typeof value} (not shown)`;
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 60)}… (${text.length} characters)` : text;
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
  // A NIC boots by PXE from its option ROM (network boot), in the same order.
  const bootable = [...deviceIds, ...Object.keys(input.nics ?? {})];
  for (const id of input.boot?.order ?? []) {
    if (!bootable.includes(id)) issues.push({ field: "boot.order", message: `"${id}" is neither a disk, a cdrom nor a NIC of this VM; known: ${bootable.join(", ") || "none"}` });
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
  if (input.cloud_init) issues.push(...cloudInitIssues(input.cloud_init));
  return issues;
}

/** All of [cloud_init] goes on a seed ISO; more than this is a mistake (a file pasted whole), not configuration. */
export const MAX_CLOUD_INIT_BYTES = 128 * 1024;
/** What user-data may start with to be read by cloud-init at all (anything else it ignores). */
const USER_DATA_HEADER = /^(#cloud-config|#cloud-config-archive|#cloud-config-jsonp|#cloud-boothook|#include|#include-once|#part-handler|#!|## template: jinja|Content-Type: )/;

function cloudInitIssues(ci: NonNullable<VmDefinitionInput["cloud_init"]>): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  const seen = new Set<string>();
  (ci.users ?? []).forEach((user, i) => {
    const at = `cloud_init.users.${i}`;
    if (user.name === "root") issues.push({ field: `${at}.name`, message: "is root; give an ordinary user (with sudo = true for root's powers)" });
    if (seen.has(user.name)) issues.push({ field: `${at}.name`, message: `"${user.name}" is given twice; give each user once` });
    seen.add(user.name);
    if ((user.ssh_authorized_keys ?? []).length === 0 && user.password_hash === undefined) {
      issues.push({ field: at, message: `user "${user.name}" has neither ssh_authorized_keys nor password_hash and could never log in; give a public key (or a crypt hash from \`openssl passwd -6\`)` });
    }
  });
  if (ci.user_data !== undefined) {
    const generated = (["users", "ssh_authorized_keys", "packages"] as const).filter((key) => ci[key] !== undefined);
    if (generated.length > 0) {
      issues.push({ field: "cloud_init.user_data", message: `replaces the user-data vmctld makes from ${generated.join(", ")}, which would be lost; put them into your user_data, or leave user_data out` });
    }
    if (!USER_DATA_HEADER.test(ci.user_data)) {
      issues.push({ field: "cloud_init.user_data", message: "does not start with #cloud-config, #! (a script) or another cloud-init header, so cloud-init would ignore it; begin it with \"#cloud-config\" and a newline" });
    }
  }
  for (const key of ["user_data", "network_config"] as const) {
    const text = ci[key];
    if (text !== undefined && (text.includes("\0") || text.trim() === "")) issues.push({ field: `cloud_init.${key}`, message: "is empty or holds a NUL byte; give the YAML text, or leave it out" });
  }
  const bytes = Buffer.byteLength(JSON.stringify(ci));
  if (bytes > MAX_CLOUD_INIT_BYTES) issues.push({ field: "cloud_init", message: `is ${bytes} bytes; at most ${MAX_CLOUD_INIT_BYTES} (${MAX_CLOUD_INIT_BYTES / 1024} KiB) fit the seed; fetch big files from the guest instead` });
  return issues;
}

/** The host name a VM's guest gets when [cloud_init] names none: its name made a DNS label (web_01 → web-01). */
export function defaultHostname(vmName: string): string {
  const labels = vmName.toLowerCase().replace(/[^a-z0-9.-]/g, "-").split(".")
    .map((label) => label.replace(/^-+|-+$/g, "").slice(0, 63).replace(/-+$/g, "")).filter((label) => label !== "");
  return labels.join(".").slice(0, 253).replace(/[.-]+$/g, "") || "vm";
}

function normalizeCloudInit(ci: NonNullable<VmDefinitionInput["cloud_init"]>, vmName: string): NonNullable<VmDefinition["cloud_init"]> {
  return {
    hostname: ci.hostname ?? defaultHostname(vmName),
    users: (ci.users ?? []).map((u) => ({
      name: u.name, ssh_authorized_keys: u.ssh_authorized_keys ?? [], sudo: u.sudo ?? false,
      ...(u.password_hash !== undefined ? { password_hash: u.password_hash } : {}),
      ...(u.shell !== undefined ? { shell: u.shell } : {}),
    })),
    ssh_authorized_keys: ci.ssh_authorized_keys ?? [],
    packages: ci.packages ?? [],
    ...(ci.user_data !== undefined ? { user_data: ci.user_data } : {}),
    ...(ci.network_config !== undefined ? { network_config: ci.network_config } : {}),
  };
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
    nics[id] = { network: n.network ?? "default", model: n.model ?? "virtio", mac: (n.mac ?? "auto").toLowerCase(), link: n.link ?? "up" };
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
    notes: input.notes ?? "",
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
    policy: { autostart: input.policy?.autostart ?? false, on_crash: input.policy?.on_crash ?? "stop", stop_timeout: input.policy?.stop_timeout ?? 60, autostart_order: input.policy?.autostart_order ?? 0, autostart_delay: input.policy?.autostart_delay ?? 0, ha: input.policy?.ha ?? false, host_tags: input.policy?.host_tags ?? [] },
    ...(input.cloud_init ? { cloud_init: normalizeCloudInit(input.cloud_init, input.name) } : {}),
  };
}
