// The VM's hardware as the Hardware tab shows it, read from GET /api/v1/vms/:name `definition`,
// which the wire types leave untyped: every field is checked here, and what is missing stays absent.

export interface Disk { id: string; file: string; datastore?: string; size?: string; sizeBytes?: number; bus?: string; format?: string; readonly: boolean }
export interface Cdrom { id: string; iso?: string; datastore?: string; bus?: string }
export interface Nic { id: string; network?: string; model?: string; mac?: string }

export interface Hardware {
  cpus?: number;
  memory?: string;
  memoryBytes?: number;
  machine?: string;
  firmware?: string;
  accel?: string;
  boot: { order: string[]; kernel?: string; initrd?: string; cmdline?: string; datastore?: string };
  disks: Disk[];
  cdroms: Cdrom[];
  nics: Nic[];
  console: { serial?: boolean; vnc?: boolean };
  policy: { autostart?: boolean; onCrash?: string; stopTimeout?: number };
}

type Fields = Record<string, unknown>;
const isObject = (v: unknown): v is Fields => typeof v === "object" && v !== null && !Array.isArray(v);
/** Copies only the fields whose value has the expected type (exactOptionalPropertyTypes: absent, not undefined). */
function pick(from: Fields, kind: "string" | "number" | "boolean", keys: readonly string[]): Fields {
  const out: Fields = {};
  for (const key of keys) if (typeof from[key] === kind) out[key] = from[key];
  return out;
}
const entries = (v: unknown): Array<[string, Fields]> => (isObject(v) ? Object.entries(v).filter((e): e is [string, Fields] => isObject(e[1])) : []);

export function readHardware(definition: unknown): Hardware | null {
  if (!isObject(definition)) return null;
  const boot = isObject(definition.boot) ? definition.boot : {};
  const policy = isObject(definition.policy) ? definition.policy : {};
  return {
    ...(pick(definition, "number", ["cpus", "memoryBytes"]) as { cpus?: number; memoryBytes?: number }),
    ...(pick(definition, "string", ["memory", "machine", "firmware", "accel"]) as { memory?: string; machine?: string; firmware?: string; accel?: string }),
    boot: {
      ...(pick(boot, "string", ["kernel", "initrd", "cmdline", "datastore"]) as Omit<Hardware["boot"], "order">),
      order: Array.isArray(boot.order) ? boot.order.filter((d): d is string => typeof d === "string") : [],
    },
    disks: entries(definition.disks).filter(([, d]) => typeof d.file === "string").map(([id, d]) => ({
      id, file: d.file as string, readonly: d.readonly === true,
      ...(pick(d, "string", ["datastore", "size", "bus", "format"]) as Omit<Disk, "id" | "file" | "readonly">),
      ...(pick(d, "number", ["sizeBytes"]) as { sizeBytes?: number }),
    })),
    cdroms: entries(definition.cdroms).map(([id, c]) => ({ id, ...(pick(c, "string", ["iso", "datastore", "bus"]) as Omit<Cdrom, "id">) })),
    nics: entries(definition.nics).map(([id, n]) => ({ id, ...(pick(n, "string", ["network", "model", "mac"]) as Omit<Nic, "id">) })),
    console: isObject(definition.console) ? (pick(definition.console, "boolean", ["serial", "vnc"]) as Hardware["console"]) : {},
    policy: {
      ...(typeof policy.autostart === "boolean" ? { autostart: policy.autostart } : {}),
      ...(typeof policy.on_crash === "string" ? { onCrash: policy.on_crash } : {}),
      ...(typeof policy.stop_timeout === "number" ? { stopTimeout: policy.stop_timeout } : {}),
    },
  };
}
