// vmctld.toml: every key declared once with its type and default, validated at load, then frozen.
import { readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { homedir } from "node:os";
import { isIP } from "node:net";
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { parse as parseToml, TomlError } from "smol-toml";
import { CIDR_PATTERN, IFNAME_PATTERN, NAME_PATTERN, NETWORK_KINDS, SIZE_PATTERN, VmctlError } from "@vmctl/api-types";
import type { RetentionLimits } from "../domain/retention.js";
import { unknownKeyIssues, describeExpected, schemaAt, formatIssue, locateField, parseSize, type DefinitionIssue } from "@vmctl/definition";
import { rootProblem } from "../domain/datastore-roots.js";

const DEFAULT_MAX_UPLOAD = "64GiB";
const DAY_MS = 24 * 3600_000;

export const HostConfigSchema = Type.Object({
  listen: Type.Optional(Type.String({ description: "host:port of the HTTPS API, e.g. 127.0.0.1:8443 or 0.0.0.0:8443" })),
  log_level: Type.Optional(Type.Union(["trace", "debug", "info", "warn", "error"].map((l) => Type.Literal(l)))),
  qemu: Type.Optional(Type.String({ description: "the qemu-system binary" })),
  task_retention_hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 365, description: "how long ended tasks are kept" })),
  event_retention_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: "how long events are kept" })),
  event_max_rows: Type.Optional(Type.Integer({ minimum: 1000, maximum: 100_000_000, description: "the most events kept; the oldest go first" })),
  audit_retention_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: "how long audit entries are kept" })),
  audit_max_rows: Type.Optional(Type.Integer({ minimum: 1000, maximum: 100_000_000, description: "the most audit entries kept; the oldest go first" })),
  max_upload_size: Type.Optional(Type.String({ pattern: SIZE_PATTERN, description: "the largest file one upload to a datastore may store, e.g. \"64GiB\" (never more than the free space)" })),
  tls: Type.Optional(Type.Object({ cert: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }) }, { additionalProperties: false, description: "a CA-signed certificate and its key (PEM); without it vmctld makes a self-signed one" })),
  datastores: Type.Optional(Type.Record(Type.String({ pattern: NAME_PATTERN }), Type.Object({
    path: Type.String({ minLength: 1 }),
    shared: Type.Optional(Type.Boolean({ description: "every host of the cluster mounts this storage under the same name (default false)" })),
  }, { additionalProperties: false }))),
  // Host networks (domain/network-registry.ts checks each kind's settings); `default` may change kind.
  networks: Type.Optional(Type.Record(Type.String({ pattern: NAME_PATTERN }), Type.Object({
    kind: Type.Union(NETWORK_KINDS.map((k) => Type.Literal(k))),
    subnet: Type.Optional(Type.String({ pattern: CIDR_PATTERN })),
    bridge: Type.Optional(Type.String({ pattern: IFNAME_PATTERN })),
    parent: Type.Optional(Type.String({ pattern: NAME_PATTERN })),
    vlan: Type.Optional(Type.Integer({ minimum: 1, maximum: 4094 })),
  }, { additionalProperties: false }))),
}, { additionalProperties: false });

/** A network as vmctld.toml declares it. */
export type ConfiguredNetwork = NonNullable<Static<typeof HostConfigSchema>["networks"]>[string];

export interface HostConfig {
  home: string;
  listen: { host: string; port: number };
  logLevel: string;
  qemu: string;
  taskRetentionMs: number;
  /** How long and how many of each growing table's rows are kept (domain/retention.ts). */
  retention: { events: RetentionLimits; audit: RetentionLimits };
  maxUploadBytes: number;
  datastores: Record<string, string>;
  /** The datastores declared `shared = true`: cluster storage whose VM folders carry an owner file. */
  sharedDatastores?: readonly string[];
  networks: Record<string, ConfiguredNetwork>;
  tls: { cert: string; key: string } | undefined;
  socketPath: string;
  dbPath: string;
  runDir: string;
}

/** $VMCTL_HOME; for root /var/lib/vmctl (QEMU's user must traverse the home, and /root is 0700). */
export function defaultHome(): string {
  if (process.env.VMCTL_HOME) return process.env.VMCTL_HOME;
  if (process.getuid?.() === 0) return "/var/lib/vmctl";
  return join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "vmctl");
}

function parseListen(value: string, file: string): HostConfig["listen"] {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new VmctlError("bad_request", `${file}: listen: "${value}" is not host:port, e.g. "127.0.0.1:8443"`);
  const host = match[1]!.replace(/^\[|\]$/g, "");
  if (host !== "localhost" && isIP(host) === 0) throw new VmctlError("bad_request", `${file}: listen: "${host}" is not an IP address; use e.g. "0.0.0.0:${port}" or "127.0.0.1:${port}"`);
  // Beyond loopback is allowed: TCP is always HTTPS with authentication.
  return { host, port };
}

export async function loadHostConfig(home = defaultHome(), overrides: { listen?: string } = {}): Promise<HostConfig> {
  const file = join(home, "vmctld.toml");
  let text = "";
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) throw new VmctlError("bad_request", `${file}:${error.line}: invalid TOML: ${error.message.split("\n")[0]}`);
    throw error;
  }
  const issues: DefinitionIssue[] = unknownKeyIssues(raw, HostConfigSchema);
  if (issues.length === 0) {
    for (const error of Value.Errors(HostConfigSchema, raw)) {
      const segments = error.path.split("/").filter(Boolean);
      issues.push({ field: segments.join("."), message: `is ${JSON.stringify(error.value)}; expected ${describeExpected(schemaAt(HostConfigSchema, segments))}` });
    }
  }
  if (issues.length > 0) {
    const lines = issues.map((issue) => formatIssue({ ...issue, ...(locateField(text, issue.field.split(".")) ? { line: locateField(text, issue.field.split("."))! } : {}) }, file));
    throw new VmctlError("bad_request", lines.join("\n"));
  }
  const input = raw as Static<typeof HostConfigSchema>;
  const datastores: Record<string, string> = { local: join(home, "datastores", "local") };
  for (const [name, ds] of Object.entries(input.datastores ?? {})) datastores[name] = isAbsolute(ds.path) ? ds.path : resolve(home, ds.path);
  for (const [name, path] of Object.entries(datastores)) {
    const problem = rootProblem(path, { home });
    if (problem) throw new VmctlError("bad_request", `${file}: datastores.${name}.path: "${path}"${problem}: every user with datastore.read could download what it holds; make it a directory of its own, e.g. "/srv/vmstore", and start vmctld again`);
  }
  return Object.freeze({
    home,
    listen: parseListen(overrides.listen ?? input.listen ?? "127.0.0.1:8443", file),
    logLevel: input.log_level ?? "info",
    qemu: input.qemu ?? "qemu-system-x86_64",
    taskRetentionMs: (input.task_retention_hours ?? 24 * 7) * 3600_000,
    retention: Object.freeze({
      events: Object.freeze({ maxAgeMs: (input.event_retention_days ?? 30) * DAY_MS, maxRows: input.event_max_rows ?? 200_000 }),
      audit: Object.freeze({ maxAgeMs: (input.audit_retention_days ?? 90) * DAY_MS, maxRows: input.audit_max_rows ?? 200_000 }),
    }),
    maxUploadBytes: parseSize(input.max_upload_size ?? DEFAULT_MAX_UPLOAD) ?? Number.MAX_SAFE_INTEGER,
    datastores: Object.freeze(datastores),
    sharedDatastores: Object.freeze(Object.entries(input.datastores ?? {}).filter(([, ds]) => ds.shared === true).map(([name]) => name)),
    networks: Object.freeze({ ...input.networks }),
    tls: input.tls ? { cert: resolve(home, input.tls.cert), key: resolve(home, input.tls.key) } : undefined,
    socketPath: join(home, "vmctld.sock"),
    dbPath: join(home, "vmctld.db"),
    runDir: join(home, "run"),
  });
}
