// What vmcenter reads of a VM definition before a host sees it: enough to place it (name, memory,
// CPUs, networks, [policy] ha and host_tags). The host validates the whole definition when it
// creates the VM; here a body is refused only when it cannot be placed at all. JSON or TOML, as a
// host's POST /api/v1/vms takes it.
import { parse as parseToml } from "smol-toml";
import { NAME_PATTERN, VmctlError } from "@vmctl/api-types";
import type { PlacementVm } from "./placement.js";

export const DEFAULT_MEMORY = "512MiB";
export const DEFAULT_CPUS = 1;
const NAME = new RegExp(NAME_PATTERN);
/** Binary like QEMU's for K/M/G/T with or without "iB"; decimal for "KB", "MB", "GB", "TB" (as the host reads sizes). */
const SIZE = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(?:([KMGT])(i?B)?|B)?\s*$/i;

/** A definition's size in bytes ("512MiB", "2G", "1.5GiB", "10GB"), or null. */
export function sizeBytes(text: string): number | null {
  const m = SIZE.exec(text);
  if (!m) return null;
  const exponent = m[2] ? "KMGT".indexOf(m[2].toUpperCase()) + 1 : 0;
  const base = m[3] && m[3].toUpperCase() === "B" ? 1000 : 1024;
  const bytes = Math.round(Number(m[1]) * base ** exponent);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

export interface VmRequest extends PlacementVm {
  ha: boolean;
  /** The uuid the body names, if any (the host allocates one otherwise). */
  uuid: string | null;
}

/** The body as sent, kept so that a resumed task sends the host the same. */
export interface CreateBody { type: "application/json" | "application/toml"; text: string }

const invalid = (message: string, field: string): VmctlError => new VmctlError("invalid_definition", message, { field });

function asRecord(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(`"${field}" must be a table (an object)`, field);
  return value as Record<string, unknown>;
}

/** The document of a JSON or TOML body. */
export function documentOf(body: CreateBody): Record<string, unknown> {
  let document: unknown;
  try {
    document = body.type === "application/toml" ? parseToml(body.text) : JSON.parse(body.text);
  } catch (error) {
    throw new VmctlError("invalid_definition", `the definition does not parse as ${body.type === "application/toml" ? "TOML" : "JSON"}: ${String((error as Error).message).split("\n")[0]!.slice(0, 300)}`);
  }
  const record = asRecord(document, "(the body)");
  if (!record) throw invalid("the body must be a VM definition (a table with at least name)", "(the body)");
  return record;
}

/** Placement's view of a definition; `datastore` is the ?datastore= of the request (null: the host's default). */
export function readVmRequest(document: Record<string, unknown>, datastore: string | null): VmRequest {
  const name = document.name;
  if (typeof name !== "string" || !NAME.test(name)) throw invalid('"name" must be lower case letters, digits, "-", "_" and "." (at most 63, starting with a letter or digit)', "name");
  const memoryText = document.memory ?? DEFAULT_MEMORY;
  const memoryBytes = typeof memoryText === "string" ? sizeBytes(memoryText) : null;
  if (memoryBytes === null || memoryBytes <= 0) throw invalid('"memory" must be a size such as "512MiB" or "2G"', "memory");
  const cpus = document.cpus ?? DEFAULT_CPUS;
  if (typeof cpus !== "number" || !Number.isInteger(cpus) || cpus < 1 || cpus > 256) throw invalid('"cpus" must be a whole number from 1 to 256', "cpus");
  const policy = asRecord(document.policy, "policy") ?? {};
  const ha = policy.ha ?? false;
  if (typeof ha !== "boolean") throw invalid('"policy.ha" must be true or false', "policy.ha");
  const tags = policy.host_tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string" || t.length > 63)) throw invalid('"policy.host_tags" must be a list of tag names, e.g. ["ssd"]', "policy.host_tags");
  const networks = new Set<string>();
  for (const [id, nic] of Object.entries(asRecord(document.nics, "nics") ?? {})) {
    const network = asRecord(nic, `nics.${id}`)?.network;
    if (network === undefined) continue;
    if (typeof network !== "string") throw invalid(`"nics.${id}.network" must be a network name`, `nics.${id}.network`);
    networks.add(network);
  }
  const uuid = typeof document.uuid === "string" ? document.uuid : null;
  return { name, memoryBytes, cpus, datastore, networks: [...networks].sort(), hostTags: [...new Set(tags as string[])].sort(), ha, uuid };
}
