// Every typed QMP wrapper vmctl has, checked against the schema of the QEMU on this host
// (query-qmp-schema of a QEMU with no machine): the command exists, each argument we send is a
// member of its argument type (through nested objects, arrays and union variants), and no
// required member is missing. A wrapper added without a sample here fails to compile.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QmpClient, qmpCommands, type QmpCommands } from "../../packages/qmp/src/index.js";

interface SchemaMember { name: string; type: string; default?: unknown }
interface SchemaEntry {
  name: string;
  "meta-type": string;
  "arg-type"?: string;
  members?: SchemaMember[];
  tag?: string;
  variants?: Array<{ case: string; type: string }>;
  "element-type"?: string;
}

/** What each wrapper sends, recorded from a stand-in for the connection. */
const sent: Array<{ wrapper: string; command: string; args: Record<string, unknown> | undefined }> = [];
let current = "";
const recorder = { execute: async (command: string, args?: Record<string, unknown>) => { sent.push({ wrapper: current, command, args }); return {}; } } as unknown as QmpClient;

/** One call per wrapper with the arguments vmctl passes (keyed by wrapper: a new one must be added). */
const samples: { [K in keyof QmpCommands]: (qmp: QmpClient) => Promise<unknown> } = {
  queryStatus: (q) => qmpCommands.queryStatus(q),
  systemPowerdown: (q) => qmpCommands.systemPowerdown(q),
  systemReset: (q) => qmpCommands.systemReset(q),
  stop: (q) => qmpCommands.stop(q),
  cont: (q) => qmpCommands.cont(q),
  quit: (q) => qmpCommands.quit(q),
  screendump: (q) => qmpCommands.screendump(q, "/run/vm/io/s.png", "png"),
  sendKey: (q) => qmpCommands.sendKey(q, [{ type: "qcode", data: "ctrl" }, { type: "number", data: 0x1d }], 100),
  queryCpusFast: (q) => qmpCommands.queryCpusFast(q),
  queryBlockstats: (q) => qmpCommands.queryBlockstats(q),
  queryChardev: (q) => qmpCommands.queryChardev(q, 2000),
  qomGet: (q) => qmpCommands.qomGet(q, "/machine/peripheral/balloon0", "guest-stats"),
  qomSet: (q) => qmpCommands.qomSet(q, "/machine/peripheral/balloon0", "guest-stats-polling-interval", 2),
  blockdevAdd: async (q) => {
    await qmpCommands.blockdevAdd(q, { driver: "file", filename: "/d.qcow2", "node-name": "file-d", "read-only": false, cache: { direct: false } });
    await qmpCommands.blockdevAdd(q, { driver: "qcow2", file: "file-d", "node-name": "drive-d", "read-only": false });
    await qmpCommands.blockdevAdd(q, { driver: "raw", file: "file-d", "node-name": "drive-r" });
  },
  blockdevDel: (q) => qmpCommands.blockdevDel(q, "drive-d"),
  deviceAdd: (q) => qmpCommands.deviceAdd(q, { driver: "virtio-blk-pci", drive: "drive-d", id: "d", bus: "rp1" }),
  deviceDel: (q) => qmpCommands.deviceDel(q, "d"),
  eject: (q) => qmpCommands.eject(q, "cdrom0", true),
  blockdevChangeMedium: (q) => qmpCommands.blockdevChangeMedium(q, { id: "cdrom0", filename: "/i.iso", format: "raw", "read-only-mode": "read-only" }),
  blockResize: (q) => qmpCommands.blockResize(q, "drive-d", 1 << 30),
  queryPci: (q) => qmpCommands.queryPci(q),
  netdevAdd: async (q) => {
    await qmpCommands.netdevAdd(q, { type: "tap", id: "net-n1", ifname: "vmt0", script: "no", downscript: "no" });
    await qmpCommands.netdevAdd(q, { type: "user", id: "net-n2" });
  },
  netdevDel: (q) => qmpCommands.netdevDel(q, "net-n1"),
  setLink: (q) => qmpCommands.setLink(q, "n1", false),
  snapshotSave: (q) => qmpCommands.snapshotSave(q, { "job-id": "j", tag: "s1", vmstate: "drive-d", devices: ["drive-d"] }),
  snapshotDelete: (q) => qmpCommands.snapshotDelete(q, { "job-id": "j", tag: "s1", devices: ["drive-d"] }),
  queryJobs: (q) => qmpCommands.queryJobs(q),
  jobDismiss: (q) => qmpCommands.jobDismiss(q, "j"),
  transaction: (q) => qmpCommands.transaction(q, [{ type: "blockdev-snapshot-internal-sync", data: { device: "drive-d", name: "s1" } }]),
  migrate: (q) => qmpCommands.migrate(q, "unix:/run/vm.migrate.sock"),
  migrateIncoming: (q) => qmpCommands.migrateIncoming(q, "unix:/run/vm/io/migrate.sock"),
  queryMigrate: (q) => qmpCommands.queryMigrate(q),
  migrateSetCapabilities: (q) => qmpCommands.migrateSetCapabilities(q, { events: true, "pause-before-switchover": false }),
  migrateSetParameters: (q) => qmpCommands.migrateSetParameters(q, { "max-bandwidth": 2 ** 40, "downtime-limit": 300 }),
  migrateCancel: (q) => qmpCommands.migrateCancel(q),
};

/** device_add takes the driver's own qdev properties beside its declared members. */
const OPEN_ARGUMENTS = new Set(["device_add"]);

let qemu: ChildProcess | undefined;
let dir: string;
let schema: Map<string, SchemaEntry>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vmctl-qmp-schema-"));
  const socket = join(dir, "qmp.sock");
  qemu = spawn("qemu-system-x86_64", ["-machine", "none", "-nodefaults", "-display", "none", "-S", "-qmp", `unix:${socket},server=on,wait=off`], { stdio: "ignore" });
  let qmp: QmpClient | undefined;
  for (let attempt = 0; !qmp; attempt++) {
    try {
      qmp = await QmpClient.connect(socket, { timeoutMs: 2000 });
    } catch (error) {
      if (attempt > 200 || qemu.exitCode !== null) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const entries = await qmp.execute<SchemaEntry[]>("query-qmp-schema");
  schema = new Map(entries.map((e) => [e.name, e]));
  qmp.close();
  for (const [wrapper, call] of Object.entries(samples)) {
    current = wrapper;
    await call(recorder);
  }
});

afterAll(() => {
  if (qemu?.pid && qemu.exitCode === null) process.kill(qemu.pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Problems of `value` against object type `typeName`, each named by its path. */
function check(typeName: string, value: Record<string, unknown>, path: string, open = false): string[] {
  const type = schema.get(typeName);
  if (!type || type["meta-type"] !== "object") return [];
  let members = [...(type.members ?? [])];
  if (type.tag && type.variants) {
    const variant = type.variants.find((v) => v.case === value[type.tag!]);
    if (!variant) return [`${path}${type.tag}: "${String(value[type.tag])}" is not one of ${type.variants.map((v) => v.case).join(", ")}`];
    members = [...members, ...(schema.get(variant.type)?.members ?? [])];
  }
  const problems: string[] = [];
  for (const [key, member] of Object.entries(value)) {
    const declared = members.find((m) => m.name === key);
    if (!declared) {
      if (!open) problems.push(`${path}${key}: not a member of ${typeName} (members: ${members.map((m) => m.name).join(", ")})`);
      continue;
    }
    const memberType = schema.get(declared.type);
    if (memberType?.["meta-type"] === "object" && member && typeof member === "object" && !Array.isArray(member)) {
      problems.push(...check(declared.type, member as Record<string, unknown>, `${path}${key}.`));
    }
    if (memberType?.["meta-type"] === "array" && Array.isArray(member)) {
      member.forEach((element, i) => {
        if (element && typeof element === "object") problems.push(...check(memberType["element-type"]!, element as Record<string, unknown>, `${path}${key}[${i}].`));
      });
    }
  }
  for (const m of members) if (!("default" in m) && !(m.name in value)) problems.push(`${path}${m.name}: required by ${typeName}, not sent`);
  return problems;
}

describe("typed QMP commands against this QEMU's schema", () => {
  it("every wrapper names a command QEMU has, with arguments its schema declares", () => {
    expect(schema.size).toBeGreaterThan(100);
    expect(new Set(sent.map((s) => s.wrapper))).toEqual(new Set(Object.keys(qmpCommands)));
    const problems = sent.flatMap(({ wrapper, command, args }) => {
      const entry = schema.get(command);
      if (entry?.["meta-type"] !== "command") return [`${wrapper}: QEMU has no command "${command}"`];
      return check(entry["arg-type"]!, args ?? {}, `${wrapper} (${command}) `, OPEN_ARGUMENTS.has(command));
    });
    expect(problems).toEqual([]);
  });
});
